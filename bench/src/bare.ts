import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { RECOMMENDED_NODE_FLAGS } from '@meshbalancer/testing'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

const SCRIPT = join(import.meta.dirname, 'bare-node.js')

/** What `bare-node.js` prints, one object a line. */
export interface BareEvent {
  event: string
  [field: string]: unknown
}

/** A bare libp2p + gossipsub process (bare-node.ts): the same stack as `meshbalancer node`, no meshbalancer code. */
export class BareNode {
  readonly events: BareEvent[] = []
  id = ''
  address = ''
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiters = new Set<() => void>()
  private stderr = ''

  constructor (options: object = {}) {
    this.child = spawn(process.execPath, [...RECOMMENDED_NODE_FLAGS, SCRIPT, JSON.stringify(options)], { env: { ...process.env, NODE_OPTIONS: '' } })
    this.child.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString() })
    createInterface({ input: this.child.stdout }).on('line', line => {
      let event: BareEvent
      try {
        event = JSON.parse(line) as BareEvent
      } catch {
        return
      }
      if (event.event === 'ready') {
        this.id = event.id as string
        this.address = event.address as string
      }
      this.events.push(event)
      for (const waiter of [...this.waiters]) waiter()
    })
    this.child.once('exit', () => { for (const waiter of [...this.waiters]) waiter() })
  }

  get pid (): number {
    return this.child.pid as number
  }

  send (command: string): void {
    this.child.stdin.write(`${command}\n`)
  }

  /** The first event after index `from` that matches, within `timeoutMs`. */
  async next (predicate: (event: BareEvent) => boolean, timeoutMs: number, from = this.events.length): Promise<BareEvent> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.events.slice(from).find(predicate)
        if (found !== undefined) {
          done()
          resolve(found)
        } else if (this.child.exitCode !== null) {
          done()
          reject(new Error(`bare node exited (${this.child.exitCode}): ${this.stderr.slice(-1000)}`))
        }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`bare node: no matching event within ${timeoutMs} ms; ${this.stderr.slice(-1000)}`)) }, timeoutMs)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  async ask (command: string, event: string, timeoutMs = 10_000): Promise<BareEvent> {
    const from = this.events.length
    this.send(command)
    return await this.next(e => e.event === event || e.event === 'error', timeoutMs, from)
  }

  async kill (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise(resolve => this.child.once('exit', resolve))
    this.child.kill('SIGKILL')
    await exited
  }
}

/**
 * Starts `count` bare nodes with `options`, connects every pair (each dials those started before it) and waits
 * until each sees the other `count − 1` subscribed to the topic, or `timeoutMs` passed.
 */
export async function startBareCluster (count: number, options: object = {}, timeoutMs = 15_000): Promise<BareNode[]> {
  const nodes = Array.from({ length: count }, () => new BareNode(options))
  try {
    await Promise.all(nodes.map(async node => await node.next(e => e.event === 'ready', 20_000, 0)))
    for (let i = 1; i < count; i++) {
      for (let j = 0; j < i; j++) {
        const { address, id } = nodes[j]!
        // libp2p lists its own addresses with /p2p/<id> already.
        const target = address.includes('/p2p/') ? address : `${address}/p2p/${id}`
        // libp2p refuses more than 5 inbound connections a second from one host (inboundConnectionThreshold), and
        // every node here dials from 127.0.0.1: a refused dial is tried again a little later.
        for (let attempt = 1; ; attempt++) {
          const answer = await nodes[i]!.ask(`dial ${target}`, 'dialed')
          if (answer.event !== 'error') break
          if (attempt === 20) throw new Error(`dial failed: ${answer.message as string}`)
          await new Promise(resolve => setTimeout(resolve, 250))
        }
      }
    }
    // Every pair was dialled, but libp2p may close some of those connections again (20 processes of one host
    // end with about 14 peers each): past the deadline, measure what stays connected.
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const stats = await Promise.all(nodes.map(async node => await node.ask('stats', 'stats')))
      if (stats.every(s => s.subscribers === count - 1) || Date.now() > deadline) return nodes
      await new Promise(resolve => setTimeout(resolve, 250))
    }
  } catch (err) {
    await Promise.all(nodes.map(async node => { await node.kill() }))
    throw err
  }
}
