import { spawn, spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { haproxyConfig } from '@meshbalancer/example-websocket-service'
import type { ChildProcess } from 'node:child_process'

export interface Backend {
  name: string
  port: number
  /** Its agent's port, when HAProxy should ask it for a weight. */
  agentPort?: number
}

/**
 * Debian's HAProxy as the front door of the WebSocket servers, with the configuration that websocket-service
 * recommends (its HAPROXY.md): `/health` checks, each server's agent setting its weight, and `?node=NAME` to reach a
 * named server, which is how a client behind the front door follows a reconnect hint.
 */
export class HaproxyFront {
  private child: ChildProcess | undefined

  /** @param clients - connections to plan for; each takes two file descriptors, and HAProxy checks the limit at start */
  constructor (
    private readonly dir: string,
    readonly port: number,
    private readonly backends: readonly Backend[],
    private readonly clients: number,
    private readonly balance: 'roundrobin' | 'leastconn' = 'roundrobin'
  ) {}

  get url (): string {
    return `ws://127.0.0.1:${this.port}/`
  }

  async start (): Promise<void> {
    const found = spawnSync('haproxy', ['-v'], { encoding: 'utf8' })
    if (found.error !== undefined || found.status !== 0) {
      throw new Error('--front haproxy needs HAProxy on the PATH (Debian: apt-get install haproxy)')
    }
    const config = join(this.dir, 'haproxy.cfg')
    writeFileSync(config, this.config())
    const check = spawnSync('haproxy', ['-c', '-q', '-f', config], { encoding: 'utf8' })
    if (check.status !== 0) throw new Error(`HAProxy refused the generated configuration: ${check.stderr}`)
    const child = spawn('haproxy', ['-db', '-q', '-f', config], { stdio: ['ignore', 'ignore', 'inherit'] })
    this.child = child
    // Ready once it accepts connections: on a busy machine that can take well over a second.
    const deadline = performance.now() + 15_000
    while (!await accepts(this.port)) {
      if (child.exitCode !== null) throw new Error(`HAProxy exited with ${child.exitCode}`)
      if (performance.now() > deadline) throw new Error(`HAProxy did not listen on ${this.port} within 15 s`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  async stop (): Promise<void> {
    const child = this.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise(resolve => { child.once('exit', resolve) })
    child.kill('SIGTERM')
    await exited
  }

  private config (): string {
    return haproxyConfig({
      bind: `127.0.0.1:${this.port}`,
      servers: this.backends.map(b => ({ name: b.name, address: `127.0.0.1:${b.port}`, ...(b.agentPort === undefined ? {} : { agentPort: b.agentPort }) })),
      balance: this.balance,
      maxconn: this.clients + 1000
    })
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
async function accepts (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
  })
}
