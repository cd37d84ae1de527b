import { spawn, spawnSync } from 'node:child_process'
import { connect } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'

export interface Backend {
  name: string
  port: number
}

/**
 * Debian's HAProxy as the front door of the WebSocket servers: round robin over the servers whose /health answers
 * 200 (a draining server answers 503 and stops getting new clients), and `?node=NAME` to reach a named server, which
 * is how a client behind the front door follows a reconnect hint.
 */
export class HaproxyFront {
  private child: ChildProcess | undefined

  /** @param clients - connections to plan for; each takes two file descriptors, and HAProxy checks the limit at start */
  constructor (private readonly dir: string, readonly port: number, private readonly backends: readonly Backend[], private readonly clients: number) {}

  get url (): string {
    return `ws://127.0.0.1:${this.port}/`
  }

  /** The front door's address that leads to server `name`. */
  urlFor (name: string): string {
    return `ws://127.0.0.1:${this.port}/?node=${encodeURIComponent(name)}`
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
    return [
      'global',
      `  maxconn ${this.clients + 1000}`,
      'defaults',
      '  mode http',
      // A server that is stopping refuses connections before the next health check marks it down: retry
      // elsewhere (redispatch on every retry), also when it closed an accepted connection without answering.
      '  retries 3',
      '  option redispatch 1',
      '  retry-on conn-failure empty-response',
      '  timeout connect 2s',
      '  timeout client 1h',
      '  timeout server 1h',
      '  timeout tunnel 1h',
      'frontend websockets',
      `  bind 127.0.0.1:${this.port}`,
      '  default_backend servers',
      'backend servers',
      '  balance roundrobin',
      '  option httpchk GET /health',
      ...this.backends.map(b => `  use-server ${b.name} if { urlp(node) -m str ${b.name} }`),
      ...this.backends.map(b => `  server ${b.name} 127.0.0.1:${b.port} check inter 250 fall 1 rise 1`),
      ''
    ].join('\n')
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
