import { EventEmitter } from 'node:events'
import { decideShed } from './decide.js'
import { InvalidShedCountError } from '../errors.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { Logger } from '../logger.js'
import type { ClusterMember } from '../member/member.js'
import type { ShedDecision, ShedMember, ShedTarget } from './decide.js'
import type { ShedKnobs } from './knobs.js'

/** Where a round's shed connections should go, for directed reconnects. */
export interface ShedHint {
  /** Members below the mean with how many of this round's connections each should take; shares sum to the count. */
  readonly targets: readonly ShedTarget[]
}

/**
 * What a service gives its shedder (**contract**): how many sheddable things it holds, and a way to drop some of
 * them so that their clients reconnect elsewhere.
 */
export interface ShedImplementation {
  /** The current count (open sockets, sessions). */
  count(): number | Promise<number>
  /** Drops up to `count` of them, preferably telling their clients to reconnect to `hint`'s targets; resolves with how many it dropped. */
  killProcesses(count: number, hint: ShedHint): Promise<number>
}

/** Why a round did nothing without deciding. */
export type ShedSkipReason = 'not-settled' | 'incomplete-view' | 'count-failed' | 'kill-failed'

/** One round of a shedder, with everything it decided from: emitted as `shed:round` by the cluster. */
export interface ShedRound {
  readonly namespace: string
  /** Counts the rounds of this shedder, from 1. */
  readonly round: number
  readonly time: number
  /** The member table's version when the snapshot was taken. */
  readonly snapshotVersion: number
  readonly members: ReadonlyArray<Pick<ShedMember, 'id' | 'name' | 'count' | 'draining'>>
  /** Present when the round decided; absent when it was skipped. */
  readonly decision?: ShedDecision
  readonly skipped?: ShedSkipReason
  /** How many the implementation dropped. */
  readonly killed: number
  readonly error?: string
}

/** What the shedder needs from its cluster. */
export interface ShedderHost {
  readonly id: string
  readonly clock: Clock
  readonly logger: Logger
  /** The table version, for explanations. */
  version(): number
  members(): readonly ClusterMember[]
  /** True once this node has been up long enough to have heard from every member. */
  settled(): boolean
  /** True while this node drains. */
  draining(): boolean
  setCount(count: number): void
  emitRound(round: ShedRound): void
  onStop(shedder: Shedder): void
}

export interface ShedderEvents {
  round: [round: ShedRound]
}

/**
 * Runs shedding rounds for one namespace on one node: it counts, takes a snapshot of the namespace, decides with
 * {@link decideShed} and drops what was decided. Rounds never overlap, and a failing `count()` or
 * `killProcesses()` is logged and skips the round.
 *
 * Rounds fall on the clock's multiples of `roundDurationSeconds`, on every node alike, so that all members decide
 * at the same moment from the same counts: in parallel mode their shares then add up to no more than is missing,
 * and in exact mode only one node sheds per round, as the rule intends. (Started at random moments, nodes would
 * take turns, each deciding from a view the others had just changed.)
 */
export class Shedder extends EventEmitter<ShedderEvents> {
  /** Rounds run so far. */
  rounds = 0
  /** Connections dropped so far. */
  shed = 0
  private timer: TimerHandle | undefined
  private running: Promise<ShedRound> | undefined
  private stopped = false
  private lastCount: number | undefined
  private drainDeadline: number | undefined

  constructor (
    readonly namespace: string,
    readonly knobs: Readonly<ShedKnobs>,
    private readonly implementation: ShedImplementation,
    private readonly host: ShedderHost
  ) {
    super()
  }

  /** The count of the last round, if any. */
  get count (): number | undefined {
    return this.lastCount
  }

  /** @internal */
  start (): void {
    this.schedule(this.untilNextSlot())
  }

  /** Runs a round now (or joins the one running) and resolves with it. */
  async round (): Promise<ShedRound> {
    this.running ??= this.execute().finally(() => { this.running = undefined })
    return await this.running
  }

  /**
   * Announces this node's count in the namespace now, between rounds, so that the other members decide from a
   * fresh count rather than the one of this node's last round (each round announces the count it takes anyway).
   * A service whose count changes with every connection calls it on each change; publishes are coalesced within
   * the cluster's `minPublishIntervalMs`. Ignored once stopped.
   *
   * @throws InvalidOptionError when `count` is not an integer in [0, 2^32 - 1]
   */
  announce (count: number): void {
    if (!this.stopped) this.host.setCount(count)
  }

  /** Stops the rounds and takes the namespace out of this node's record; a round in progress finishes. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
    this.host.onStop(this)
  }

  /** @internal Switches to draining rounds that hand everything over by `deadline`. */
  drainBy (deadline: number): void {
    this.drainDeadline = deadline
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
    this.schedule(0)
  }

  private schedule (delayMs: number): void {
    if (this.stopped) return
    this.timer = this.host.clock.setTimeout(() => {
      this.round().catch(() => {}).finally(() => { this.schedule(this.drainDeadline === undefined ? this.untilNextSlot() : this.interval()) })
    }, delayMs)
  }

  /** Time to the next multiple of the round duration (a round that overran skips the slots it missed). */
  private untilNextSlot (): number {
    const period = this.knobs.roundDurationSeconds * 1000
    const wait = period - (this.host.clock.now() % period)
    return wait < 1 ? period : wait
  }

  /**
   * Draining rounds come often enough to hand everything over by the deadline at `maxShedCount` a round (and at
   * least four times over the drain), never less often than ordinary rounds nor more than every 50 ms.
   */
  private interval (): number {
    const ordinary = this.knobs.roundDurationSeconds * 1000
    if (this.drainDeadline === undefined) return ordinary
    const roundsNeeded = Math.max(4, Math.ceil((this.lastCount ?? 0) / this.knobs.maxShedCount))
    return Math.max(50, Math.min(ordinary, (this.drainDeadline - this.host.clock.now()) / roundsNeeded))
  }

  private async execute (): Promise<ShedRound> {
    const { host } = this
    const round = ++this.rounds
    const time = host.clock.now()
    const report = (fields: Omit<ShedRound, 'namespace' | 'round' | 'time'>): ShedRound => {
      const result: ShedRound = { namespace: this.namespace, round, time, ...fields }
      host.emitRound(result)
      this.emit('round', result)
      return result
    }

    let count: number
    try {
      count = await this.implementation.count()
      if (!Number.isSafeInteger(count) || count < 0) throw new InvalidShedCountError(`count() returned ${String(count)}, not a count`)
    } catch (err) {
      host.logger.warn(`shedding round of ${this.namespace} skipped: ${(err as Error).message}`)
      return report({ snapshotVersion: host.version(), members: [], skipped: 'count-failed', killed: 0, error: (err as Error).message })
    }
    this.lastCount = count
    host.setCount(count)

    const snapshotVersion = host.version()
    const draining = host.draining()
    // A drain only needs somewhere to go: it hands over to the members it hears from, without waiting for a full view.
    const inNamespace = host.members().filter(member => member.shedding.has(this.namespace) &&
      (!draining || member.id === host.id || (member.liveness === 'alive' && member.status !== 'joining')))
    const members: ShedMember[] = inNamespace.map(member => ({
      id: member.id,
      name: member.name,
      count: member.id === host.id ? count : member.shedding.get(this.namespace) ?? 0,
      draining: member.id === host.id ? draining : member.status === 'draining',
      clientAddress: member.clientAddress
    }))
    const summary = members.map(({ id, name, count: c, draining }) => ({ id, name, count: c, draining }))
    if (!draining && !host.settled()) return report({ snapshotVersion, members: summary, skipped: 'not-settled', killed: 0 })
    // A member we do not hear from, or one still joining, may hold any count: decide on nothing rather than on that.
    if (!draining && inNamespace.some(member => member.liveness !== 'alive' || member.status === 'joining')) {
      return report({ snapshotVersion, members: summary, skipped: 'incomplete-view', killed: 0 })
    }

    const decision = decideShed({ self: host.id, members, drainQuota: this.drainQuota(count) }, this.knobs)
    if (decision.amount === 0) return report({ snapshotVersion, members: summary, decision, killed: 0 })
    try {
      const killed = await this.implementation.killProcesses(decision.amount, { targets: decision.targets })
      if (!Number.isSafeInteger(killed) || killed < 0) throw new InvalidShedCountError(`killProcesses() returned ${String(killed)}, not a count`)
      this.shed += killed
      return report({ snapshotVersion, members: summary, decision, killed })
    } catch (err) {
      host.logger.warn(`shedding round of ${this.namespace} failed to drop connections: ${(err as Error).message}`)
      return report({ snapshotVersion, members: summary, decision, skipped: 'kill-failed', killed: 0, error: (err as Error).message })
    }
  }

  /** While draining, an even share of what is left per remaining round (at most `maxShedCount`). */
  private drainQuota (count: number): number | undefined {
    if (this.drainDeadline === undefined) return undefined
    const roundsLeft = Math.max(1, Math.floor((this.drainDeadline - this.host.clock.now()) / this.interval()))
    return Math.min(this.knobs.maxShedCount, Math.max(1, Math.ceil(count / roundsLeft)))
  }
}
