import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { minimumMoves, withinOfMean } from './balance.js'
import { ClientFleet } from './clients.js'
import { HaproxyFront } from './haproxy.js'
import { freePorts } from './ports.js'
import { Placement } from './placement.js'
import { ServiceProcess } from './service-process.js'
import type { MeshOptions } from './options.js'
import { viaFrontDoor } from '@meshbalancer/example-websocket-service'
import type { FleetStats } from './clients.js'
import type { ShedMode } from '@meshbalancer/core'
import type { PrintedMemberChange, PrintedRound, ServiceState, ServiceStatus } from './service-process.js'

/** Balance means every server within this many percent of the mean. */
export const BALANCE_PERCENT = 10
const SAMPLE_MS = 250

export type Phase = 'starting' | 'connecting' | 'deploying' | 'balancing' | 'balanced' | 'recovering' | 'done'

/** Within this long of a server's death, every client it held must be connected to another (the report's check). */
export const KILL_RECONNECT_SECONDS = 5
/** How often the stand-in for DNS health checks (no front door) notices that a server died. */
const DNS_CHECK_MS = 250

/** Clients per server at one moment, seconds since the scenario started. */
export interface Sample {
  t: number
  counts: Record<string, number>
}

/** What the terminal table and the dashboard show. */
export interface MeshState {
  mode: ShedMode
  phase: Phase
  elapsed: number
  clients: { total: number, connected: number }
  nodes: Array<{ name: string, url: string, state: ServiceState, clients: number } & ServiceStatus>
  history: Sample[]
  log: string[]
}

/** The outcome of one run, as the JSON report gives it. Times in seconds. */
export interface RunResult {
  mode: ShedMode
  /** Clients per server once all had connected, before any restart. */
  countsWhenConnected: Record<string, number>
  /** Clients per server each first reached: where placement sent them, before shedding moved any. */
  countsWhenPlaced: Record<string, number>
  deployEndedAt: number
  countsAtDeployEnd: Record<string, number>
  minimumMoves: number
  /** Connections shed after the deploy (up to the kill, with `--kill`). */
  totalShed: number
  /** `totalShed` over `minimumMoves`. */
  shedOverMinimum: number | null
  secondsToBalance: number | null
  /** The servers left (all but a killed one) within ±10 % of their mean, every client connected. */
  balancedAtEnd: boolean
  /** Clients per server at the end; a killed server is left out. */
  finalCounts: Record<string, number>
  connectedAtEnd: number
  clientStats: FleetStats
  /** With `--kill`: the death of one server and what followed. */
  kill?: KillResult
  /**
   * Every shedding round from the deploy's start (the clients' connection, without a deploy) to the end of the
   * run, each with the counts it decided from and why it was skipped, if it was: what explains a slow balance.
   */
  rounds: PrintedRound[]
  /** Every liveness change a server saw during the run: the deploy's leaves, and any suspicion. */
  memberChanges: PrintedMemberChange[]
  timeline: Sample[]
}

/** What `--kill` did and what followed, times in seconds. */
export interface KillResult {
  name: string
  /** When it was killed, since the scenario started. */
  at: number
  /** Clients connected to it when it died. */
  clients: number
  /** Until every one of them was connected to another server; null if some never were. */
  secondsUntilItsClientsReconnected: number | null
  /** Until the servers left were within ±10 % of their mean; null if they never were. */
  secondsToBalance: number | null
  /** Connections the servers left shed after the kill. */
  shed: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * One run of the mesh: N servers, M clients, a rolling deploy, then shedding until every server is within ±10 % of
 * the mean. Emits `state` as it goes.
 */
export class MeshScenario extends EventEmitter<{ state: [MeshState], log: [line: string] }> {
  phase: Phase = 'starting'
  private readonly services: ServiceProcess[] = []
  /** Servers a new client may be sent to: the ones up, like DNS with health checks. */
  private readonly available = new Set<string>()
  private fleet: ClientFleet | undefined
  private front: HaproxyFront | undefined
  private placement: Placement | undefined
  private readonly history: Sample[] = []
  private readonly log: string[] = []
  private readonly startedAt = performance.now()
  private sampler: ReturnType<typeof setInterval> | undefined

  constructor (private readonly options: MeshOptions, readonly mode: ShedMode, private readonly dir: string) {
    super()
  }

  async run (): Promise<RunResult> {
    const { options } = this
    const ports = await freePorts(3 * options.nodes + 1)
    const agents = options.front === 'haproxy' && options.agent
    for (let i = 0; i < options.nodes; i++) {
      const name = `ws${i + 1}`
      this.services.push(new ServiceProcess({
        name,
        port: ports[i]!,
        clusterPort: ports[options.nodes + i]!,
        keyFile: join(this.dir, `${this.mode}-${name}.key`),
        ...(agents ? { agentPort: ports[2 * options.nodes + i]! } : {}),
        args: ['--mode', this.mode, '--round-seconds', String(options.roundSeconds), '--deviation', '2', '--min-shed', '5', '--tag', `zone=${i % 2 === 0 ? 'a' : 'b'}`]
      }, () => this.services.filter(other => other.spec.name !== name).map(other => other.clusterAddress)))
    }
    this.sampler = setInterval(() => { this.sample() }, SAMPLE_MS)

    this.note(`starting ${options.nodes} servers (${this.mode} mode, rounds of ${options.roundSeconds} s)`)
    await Promise.all(this.services.map(async service => { await service.start() }))
    await this.untilConverged()
    for (const service of this.services) this.available.add(service.spec.name)
    if (options.front === 'haproxy') {
      const backends = this.services.map(s => ({ name: s.spec.name, port: s.spec.port, ...(s.spec.agentPort === undefined ? {} : { agentPort: s.spec.agentPort }) }))
      this.front = new HaproxyFront(this.dir, ports[3 * options.nodes]!, backends, options.clients, options.balance)
      await this.front.start()
      this.note(`HAProxy in front at ${this.front.url} (balance ${options.balance}, ${agents ? 'weights from the servers\' agents' : 'no agent checks'})`)
    }

    if (options.algorithm !== undefined) {
      this.placement = await Placement.join(options.algorithm, this.services.map(s => s.clusterAddress), options.nodes)
      this.note(`placing new clients with ${options.algorithm}`)
    }

    this.setPhase('connecting')
    this.fleet = new ClientFleet(options.clients, {
      // A broker that sees no server leaves the client to retry, rather than placing it at random.
      pick: () => this.front?.url ?? (this.placement === undefined ? this.pickAvailable() : this.placement.pick()),
      followHints: options.reconnect === 'hint',
      ...(this.front === undefined ? {} : { resolveHint: viaFrontDoor(this.front.url) })
    })
    this.fleet.start()
    await this.until(() => this.fleet!.connected() === options.clients, 60_000, 'every client connected')
    const countsWhenConnected = this.counts()
    const countsWhenPlaced = this.counts(this.fleet.byFirstServer())
    this.note(`${options.clients} clients connected: ${JSON.stringify(countsWhenConnected)}`)

    const deployStart = performance.now()
    const last = options.deploy ? await this.rollingDeploy() : undefined
    await this.until(() => this.fleet!.connected() === options.clients, 30_000, 'every client reconnected after the deploy')
    const deployEnd = last?.at ?? performance.now()
    const countsAtDeployEnd = last?.counts ?? this.counts()
    this.note(`deploy over; clients per server ${JSON.stringify(countsAtDeployEnd)}`)

    this.setPhase('balancing')
    const timeoutMs = Math.max(60_000, 40 * options.roundSeconds * 1000)
    let balancedAt: number | undefined
    try {
      await this.until(() => this.balanced(), timeoutMs, 'balance')
      balancedAt = performance.now()
      this.setPhase('balanced')
      this.note(`balanced ${((balancedAt - deployEnd) / 1000).toFixed(1)} s after the deploy`)
    } catch {
      this.note(`not balanced ${timeoutMs / 1000} s after the deploy`)
    }
    // Two more rounds: balance must hold, not just be passed through. Shedding may still be fine-tuning (below the
    // ±10 % of the report, down to the servers' own threshold): clients it closed in the last round reconnect with
    // jitter, so the final reading waits for them, and takes counts and connections in one instant.
    await sleep(2 * options.roundSeconds * 1000)
    await this.until(() => this.fleet!.connected() === options.clients, 10_000, 'every client reconnected at the end').catch(() => {})
    const killedAt = performance.now()
    const kill = options.kill === undefined ? undefined : await this.killOne(options.kill)
    const seconds = (at: number): number => Math.round((at - this.startedAt) / 10) / 100
    const totalShed = this.shedBetween(deployEnd, killedAt)
    const minimum = minimumMoves(Object.values(countsAtDeployEnd))
    this.sample()
    return {
      mode: this.mode,
      countsWhenConnected,
      countsWhenPlaced,
      deployEndedAt: seconds(deployEnd),
      countsAtDeployEnd,
      minimumMoves: minimum,
      totalShed,
      shedOverMinimum: minimum > 0 ? Math.round(totalShed / minimum * 100) / 100 : null,
      secondsToBalance: balancedAt === undefined ? null : Math.round((balancedAt - deployEnd) / 10) / 100,
      balancedAtEnd: this.balanced(),
      finalCounts: this.counts(),
      connectedAtEnd: this.fleet.connected(),
      clientStats: this.fleet.stats(),
      ...(kill === undefined ? {} : { kill }),
      rounds: this.services.flatMap(service => service.rounds)
        .filter(r => r.t >= performance.timeOrigin + deployStart)
        .sort((a, b) => a.t - b.t)
        .map(r => ({ ...r, t: this.secondsAt(r.t) })),
      memberChanges: this.services.flatMap(service => service.memberChanges)
        .sort((a, b) => a.t - b.t)
        .map(c => ({ ...c, t: this.secondsAt(c.t) })),
      timeline: [...this.history]
    }
  }

  /** Stops clients, servers and the front door. */
  async shutdown (): Promise<void> {
    if (this.sampler !== undefined) clearInterval(this.sampler)
    this.fleet?.stop()
    await this.front?.stop()
    await this.placement?.stop()
    await Promise.all(this.services.map(async service => {
      await Promise.race([service.stop(), sleep(10_000)])
      service.kill()
    }))
    this.setPhase('done')
  }

  state (): MeshState {
    const byServer = this.fleet?.byServer() ?? new Map<string, number>()
    return {
      mode: this.mode,
      phase: this.phase,
      elapsed: (performance.now() - this.startedAt) / 1000,
      clients: { total: this.options.clients, connected: this.fleet?.connected() ?? 0 },
      nodes: this.services.map(s => ({ name: s.spec.name, url: s.url, state: s.state, clients: byServer.get(s.url) ?? 0, ...s.status })),
      history: this.history,
      log: this.log.slice(-12)
    }
  }

  /**
   * Restarts every server in turn: out of rotation, SIGTERM (it drains), start again, back into rotation. Resolves
   * with the moment the last server was ready again and the counts then: the deploy's end, which no shedding round
   * can precede (the others shed to a server only once they hear from it), whereas by the time all servers are seen
   * to see each other, a round may already have moved clients to it.
   */
  private async rollingDeploy (): Promise<{ at: number, counts: Record<string, number> }> {
    this.setPhase('deploying')
    let end: { at: number, counts: Record<string, number> } | undefined
    for (const [i, service] of this.services.entries()) {
      this.available.delete(service.spec.name)
      this.note(`restarting ${service.spec.name}`)
      await service.stop()
      await service.start()
      if (i === this.services.length - 1) {
        const at = performance.now()
        // The last server's drained clients reconnected while it restarted; should some still be on their way, the
        // counts wait for them (and any round meanwhile still counts as shed after the deploy).
        await this.until(() => this.fleet!.connected() === this.options.clients, 30_000, 'every client reconnected after the deploy')
        end = { at, counts: this.counts() }
      }
      await this.untilConverged()
      this.available.add(service.spec.name)
      this.note(`${service.spec.name} is back`)
      // As a deploy tool lets a restarted server settle before the next restart; after the last, the deploy is over.
      if (i < this.services.length - 1) await sleep(this.options.roundSeconds * 1000)
    }
    return end!
  }

  /**
   * SIGKILLs server `name` once the mesh is balanced, then waits for its clients to come back elsewhere (the front
   * door's health checks, or the stand-in for DNS, stop sending anyone there) and for the others to rebalance. The
   * killed server is not restarted.
   */
  private async killOne (name: string): Promise<KillResult> {
    const service = this.services.find(s => s.spec.name === name)!
    const fleet = this.fleet!
    this.setPhase('recovering')
    const orphans = fleet.clientsOn(service.url)
    fleet.markKilled(service.url, name)
    const at = performance.now()
    await service.crash()
    this.note(`killed ${name} (SIGKILL) holding ${orphans.length} clients`)
    // Without a front door, clients pick among the servers that are up, as DNS with health checks would: it notices
    // the death at its next check, and clients that dial the dead server meanwhile are refused.
    setTimeout(() => { this.available.delete(name) }, DNS_CHECK_MS)
    let reconnectedAt: number | undefined
    try {
      // Each client counts once it has connected to another server, even if shedding moves it again afterwards.
      const waiting = new Set(orphans)
      await this.until(() => {
        for (const client of waiting) if (client.connected && client.server !== undefined && client.server !== service.url) waiting.delete(client)
        return waiting.size === 0
      }, 30_000, `${name}'s clients reconnected`)
      reconnectedAt = performance.now()
      this.note(`${name}'s ${orphans.length} clients connected elsewhere ${((reconnectedAt - at) / 1000).toFixed(1)} s after the kill`)
    } catch {
      this.note(`some of ${name}'s clients were not connected elsewhere 30 s after the kill`)
    }
    let balancedAt: number | undefined
    try {
      await this.until(() => this.balanced(), Math.max(60_000, 40 * this.options.roundSeconds * 1000), 'balance after the kill')
      balancedAt = performance.now()
      this.note(`the ${this.live().length} servers left balanced ${((balancedAt - at) / 1000).toFixed(1)} s after the kill`)
    } catch {
      this.note('the servers left did not balance')
    }
    await sleep(2 * this.options.roundSeconds * 1000)
    await this.until(() => fleet.connected() === this.options.clients, 10_000, 'every client reconnected at the end').catch(() => {})
    const seconds = (end: number | undefined): number | null => end === undefined ? null : Math.round((end - at) / 10) / 100
    return {
      name,
      at: Math.round((at - this.startedAt) / 10) / 100,
      clients: orphans.length,
      secondsUntilItsClientsReconnected: seconds(reconnectedAt),
      secondsToBalance: seconds(balancedAt),
      shed: this.shedBetween(at, performance.now())
    }
  }

  /** Connections the servers shed between two moments (`performance.now()` readings). */
  private shedBetween (from: number, to: number): number {
    return this.services.flatMap(s => s.rounds)
      .filter(r => r.t >= performance.timeOrigin + from && r.t < performance.timeOrigin + to)
      .reduce((sum, r) => sum + r.killed, 0)
  }

  /** Seconds since the scenario started, from a time the services printed (ms since the epoch). */
  private secondsAt (epochMs: number): number {
    return Math.round((epochMs - performance.timeOrigin - this.startedAt) / 10) / 100
  }

  /** The servers not killed. */
  private live (): ServiceProcess[] {
    return this.services.filter(s => s.state !== 'killed')
  }

  private async untilConverged (): Promise<void> {
    await this.until(() => this.live().every(s => s.state === 'up' && s.status.members === this.live().length), 30_000, 'servers seeing each other')
  }

  private balanced (): boolean {
    return this.fleet?.connected() === this.options.clients && withinOfMean(Object.values(this.counts()), BALANCE_PERCENT)
  }

  /** Clients per server, for the servers not killed. */
  private counts (byServer = this.fleet?.byServer() ?? new Map<string, number>()): Record<string, number> {
    return Object.fromEntries(this.live().map(s => [s.spec.name, byServer.get(s.url) ?? 0]))
  }

  private pickAvailable (): string | undefined {
    const up = this.services.filter(s => this.available.has(s.spec.name))
    return up[Math.floor(Math.random() * up.length)]?.url
  }

  private sample (): void {
    this.history.push({ t: Math.round((performance.now() - this.startedAt) / 10) / 100, counts: this.counts() })
    this.emit('state', this.state())
  }

  private setPhase (phase: Phase): void {
    this.phase = phase
    this.emit('state', this.state())
  }

  private note (message: string): void {
    const line = `${((performance.now() - this.startedAt) / 1000).toFixed(1).padStart(6)} s  ${message}`
    this.log.push(line)
    this.emit('log', line)
    this.emit('state', this.state())
  }

  private async until (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs / 1000} s`)
      await sleep(50)
    }
  }
}
