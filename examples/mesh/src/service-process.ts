import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** The websocket-service entry point, resolved through the workspace dependency. */
const SERVICE = fileURLToPath(import.meta.resolve('@meshbalancer/example-websocket-service/main'))

/** What a service process printed last. */
export interface ServiceStatus {
  count: number
  members: number
  rounds: number
  shed: number
}

/** One shedding round as a service printed it. */
export interface PrintedRound {
  t: number
  node: string
  round: number
  reason: string | null
  skipped: string | null
  amount: number
  killed: number
  /** The counts the round decided from, by member name. */
  counts: Record<string, number>
}

/** Another member's liveness as a service saw it change: `suspect`, `alive` again, `left`, `dead` or `restarted`. */
export interface PrintedMemberChange {
  t: number
  node: string
  member: string
  change: string
}

export type ServiceState = 'starting' | 'up' | 'stopping' | 'stopped' | 'killed'

export interface ServiceSpec {
  name: string
  port: number
  clusterPort: number
  keyFile: string
  /** Port of its HAProxy agent, if it runs one. */
  agentPort?: number
  /** Arguments passed as they are (shedding knobs). */
  args: string[]
}

/**
 * A websocket-service process of the mesh: started, followed through the JSON lines it prints, stopped with
 * SIGTERM (it drains, then leaves) and started again with the same ports and key file, as a rolling deploy does.
 */
export class ServiceProcess {
  state: ServiceState = 'stopped'
  status: ServiceStatus = { count: 0, members: 0, rounds: 0, shed: 0 }
  /** Rounds since the process was created, across restarts. */
  readonly rounds: PrintedRound[] = []
  /** Liveness changes of other members, since the process was created. */
  readonly memberChanges: PrintedMemberChange[] = []
  url: string
  private child: ChildProcess | undefined
  private readyWaiters: Array<() => void> = []

  constructor (readonly spec: ServiceSpec, private readonly join: () => string[]) {
    this.url = `ws://127.0.0.1:${spec.port}`
  }

  get clusterAddress (): string {
    return `/ip4/127.0.0.1/tcp/${this.spec.clusterPort}`
  }

  /** Starts the process and resolves once it printed `ready`. */
  async start (): Promise<void> {
    this.state = 'starting'
    this.status = { count: 0, members: 0, rounds: 0, shed: 0 }
    const child = spawn(process.execPath, [
      '--max-semi-space-size=2', SERVICE,
      '--name', this.spec.name,
      '--port', String(this.spec.port),
      '--cluster-listen', this.clusterAddress,
      '--key-file', this.spec.keyFile,
      ...(this.spec.agentPort === undefined ? [] : ['--agent-port', String(this.spec.agentPort)]),
      ...this.join().flatMap(address => ['--join', address]),
      ...this.spec.args
    ], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } })
    this.child = child
    createInterface({ input: child.stdout! }).on('line', line => { this.receive(line) })
    const exited = new Promise<number | null>(resolve => { child.once('exit', resolve) })
    await Promise.race([
      new Promise<void>(resolve => { this.readyWaiters.push(resolve) }),
      exited.then(code => { throw new Error(`${this.spec.name} exited (${String(code)}) before it was ready`) })
    ])
  }

  /** SIGTERM: the service drains, closes what is left with the reconnect code and exits. */
  async stop (): Promise<void> {
    const child = this.child
    if (child === undefined || hasExited(child)) return
    this.state = 'stopping'
    const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    child.kill('SIGTERM')
    await exited
    this.state = 'stopped'
  }

  /** Ends the process at once (cleanup). */
  kill (): void {
    if (this.child !== undefined && !hasExited(this.child)) this.child.kill('SIGKILL')
  }

  /** SIGKILL, as a crash would end it: no drain, no goodbye. Resolves once it exited. */
  async crash (): Promise<void> {
    const child = this.child
    if (child === undefined || hasExited(child)) return
    const gone = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
    child.kill('SIGKILL')
    await gone
    this.state = 'killed'
  }

  private receive (line: string): void {
    let event: { event: string, t: number, [field: string]: unknown }
    try {
      event = JSON.parse(line)
    } catch {
      return
    }
    switch (event.event) {
      case 'ready':
        this.url = event.url as string
        this.state = 'up'
        for (const resolve of this.readyWaiters.splice(0)) resolve()
        break
      case 'count':
        this.status = { count: event.count as number, members: event.members as number, rounds: event.rounds as number, shed: event.shed as number }
        break
      case 'round':
        this.rounds.push({
          t: event.t,
          node: this.spec.name,
          round: event.round as number,
          reason: event.reason as string | null,
          skipped: event.skipped as string | null,
          amount: event.amount as number,
          killed: event.killed as number,
          counts: event.counts as Record<string, number>
        })
        break
      case 'member':
        this.memberChanges.push({ t: event.t, node: this.spec.name, member: event.member as string, change: event.change as string })
        break
    }
  }
}

function hasExited (child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}
