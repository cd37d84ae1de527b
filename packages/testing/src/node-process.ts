/**
 * Runs `meshbalancer node --json` processes and follows what they print: the harness of meshbalancer's own tests
 * across processes and of its benchmarks.
 *
 * @packageDocumentation
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

/** The `meshbalancer` command of `@meshbalancer/cli` (built: `pnpm build`), found as Node.js resolves packages. */
export const CLI = cliPath()

function cliPath (): string {
  const manifest = createRequire(import.meta.url).resolve('@meshbalancer/cli/package.json')
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }
  return join(dirname(manifest), bin.meshbalancer!)
}

/**
 * Node.js flags the harness starts nodes with, as recommended for deployments: a 2 MiB young generation (V8's
 * default is 16 MiB per semi-space) keeps about 25 MiB less resident per process at no measurable CPU cost.
 */
export const RECOMMENDED_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2']

export interface NodeProcessOptions {
  /** Flags for the Node.js runtime itself. @default RECOMMENDED_NODE_FLAGS */
  nodeFlags?: readonly string[]
  /** A command that runs the node, for example in a network namespace: `['ip', 'netns', 'exec', 'host-1']`. */
  wrap?: readonly string[]
}

export interface PrintedMember {
  id: string
  name: string
  status: string
  liveness: string
  incarnation: number
  groups: Record<string, number>
  latencyMs: number | null
}

export interface PrintedEvent {
  time: string
  /** Wall-clock milliseconds with a fraction, comparable across processes of one machine. */
  t: number
  event: string
  member?: PrintedMember
  [field: string]: unknown
}

/**
 * A `meshbalancer node --json` process: every line it prints is parsed into `events`, and `view` follows its
 * membership events, so a test can wait for what this process sees.
 */
export class NodeProcess {
  readonly events: PrintedEvent[] = []
  /** Members this process sees, itself excluded, by id. */
  readonly view = new Map<string, PrintedMember>()
  id = ''
  address = ''
  incarnation = 0
  readonly exited: Promise<number | null>
  private readonly child: ChildProcessWithoutNullStreams
  private readonly waiters = new Set<() => void>()
  /** What the process wrote on stderr. */
  stderr = ''

  constructor (readonly name: string, args: string[], options: NodeProcessOptions = {}) {
    const command = [...(options.wrap ?? []), process.execPath, ...(options.nodeFlags ?? RECOMMENDED_NODE_FLAGS), CLI, 'node', '--name', name, '--json', '--stop-on-stdin-end', ...args]
    this.child = spawn(command[0]!, command.slice(1), {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.exited = new Promise(resolve => { this.child.once('exit', code => { resolve(code); this.notify() }) })
    this.child.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString() })
    createInterface({ input: this.child.stdout }).on('line', line => { this.receive(line) })
  }

  get pid (): number {
    return this.child.pid as number
  }

  get running (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Waits until the node printed `node:ready`, and returns its dialable address. */
  async ready (timeoutMs = 20_000): Promise<this> {
    await this.until(() => this.id !== '', timeoutMs, 'node:ready')
    return this
  }

  /** The address others join through: listen address with /p2p/<id>. */
  get joinAddress (): string {
    return `${this.address}/p2p/${this.id}`
  }

  sees (name: string): PrintedMember | undefined {
    for (const member of this.view.values()) if (member.name === name) return member
    return undefined
  }

  send (command: string): void {
    this.child.stdin.write(`${command}\n`)
  }

  signal (signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /** Resolves once `condition()` holds, re-checked on every printed line; rejects after `timeoutMs`. */
  async until (condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<number> {
    const started = Date.now()
    if (condition()) return 0
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          done()
          resolve(Date.now() - started)
        } else if (!this.running && this.child.exitCode !== null) {
          done()
          reject(new Error(`${this.name} exited (${this.child.exitCode}) before ${what}; stderr: ${this.stderr.slice(-2000)}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${this.name}: ${what} not reached within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`))
      }, timeoutMs)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
    })
  }

  /**
   * Waits for an event matching `predicate` printed after this call, or after the `from`-th event when given
   * (take `events.length` before causing what is awaited, when it may be printed before the wait begins).
   */
  async next (predicate: (event: PrintedEvent) => boolean, timeoutMs: number, from = this.events.length): Promise<PrintedEvent> {
    let found: PrintedEvent | undefined
    await this.until(() => {
      found = this.events.slice(from).find(predicate)
      return found !== undefined
    }, timeoutMs, 'the expected event')
    return found as PrintedEvent
  }

  /** Sends a command (`stats`, `members`…) and resolves with the event the node prints in answer, named `event`. */
  async ask (command: string, event: string, timeoutMs = 10_000): Promise<PrintedEvent> {
    const from = this.events.length
    this.send(command)
    return await this.next(e => e.event === event, timeoutMs, from)
  }

  /** Asks the node to leave gracefully (SIGTERM) and returns its exit code: 0 when it stopped cleanly. */
  async terminate (): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM')
    return await this.exited
  }

  /** Stops the process for good; safe to call twice. */
  async kill (): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await this.exited
  }

  private receive (line: string): void {
    let event: PrintedEvent
    try {
      event = JSON.parse(line) as PrintedEvent
    } catch {
      return
    }
    this.events.push(event)
    const member = event.member
    switch (event.event) {
      case 'node:ready':
        this.id = event.id as string
        this.address = (event.addresses as string[])[0] as string
        this.incarnation = event.incarnation as number
        break
      case 'member:join':
      case 'member:update':
      case 'member:suspect':
      case 'member:alive':
        if (member !== undefined && member.id !== this.id) this.view.set(member.id, member)
        break
      case 'member:leave':
        if (member !== undefined) this.view.delete(member.id)
        break
    }
    this.notify()
  }

  private notify (): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

/** Starts a seed and `count - 1` nodes that join through it; resolves when every process has printed its address. */
export async function startProcesses (count: number, args: string[] = []): Promise<NodeProcess[]> {
  const seed = await new NodeProcess('n1', args).ready()
  const others = Array.from({ length: count - 1 }, (_, i) => new NodeProcess(`n${i + 2}`, ['--join', seed.address, ...args]))
  await Promise.all(others.map(async node => await node.ready()))
  return [seed, ...others]
}

/**
 * Waits until every process has an open connection to each of the others (by its `stats`): members met through
 * gossip are dialled on the dialler's tick, so a full mesh of connections lags the views by a second or two.
 */
export async function fullyConnected (nodes: readonly NodeProcess[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const connected = await Promise.all(nodes.map(async node => (await node.ask('stats', 'stats')).connectedPeers as number))
    if (connected.every(count => count === nodes.length - 1)) return
    if (Date.now() > deadline) throw new Error(`not every node is connected to the ${nodes.length - 1} others: ${connected.join(', ')}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

/** Waits until every process sees every other one (by name). */
export async function converged (nodes: readonly NodeProcess[], timeoutMs = 20_000): Promise<void> {
  await Promise.all(nodes.map(async node => await node.until(
    () => nodes.every(other => other === node || node.sees(other.name)?.liveness === 'alive'),
    timeoutMs,
    `${node.name} seeing all ${nodes.length} nodes`
  )))
}
