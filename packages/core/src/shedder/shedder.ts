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
  /**
   * How old, at most, the other members' counts in this round were when their records left them, in milliseconds:
   * `countIntervalMs` (a count is polled at least that often) plus the longest a changed count waits for a publish
   * (`minPublishIntervalMs`, or the interval of a member's share of the load budget when longer). The network's
   * delay comes on top. Computed with this node's view of the cluster's size.
   */
  readonly countAgeBoundMs: number
  /** The counts decided from: as announced, or a target's count plus what this node recently shed to it (see the README). */
  readonly members: ReadonlyArray<Pick<ShedMember, 'id' | 'name' | 'count' | 'draining'>>
  /** Present when the round decided; absent when it was skipped. */
  readonly decision?: ShedDecision
  readonly skipped?: ShedSkipReason
  /** How many the implementation dropped. */
  readonly killed: number
  readonly error?: string
}

/**
 * Connections this node shed to a member, counted as arrived there until its announced count shows them, or for
 * {@link CREDIT_ROUNDS} rounds and at least {@link CREDIT_MIN_MS} (clients that went elsewhere must not hold this
 * node back for longer).
 */
interface Credit {
  /** The member's count at the shed plus its share. */
  readonly expected: number
  readonly until: number
}

/** How many rounds a shed is credited to its targets. */
export const CREDIT_ROUNDS = 3
/**
 * The least time a shed is credited to its targets, however short the rounds: on a busy machine, clients that
 * reconnect and the target's record that counts them were seen to take more than 1.5 s between them.
 */
export const CREDIT_MIN_MS = 10_000

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
  /** The longest a changed count waits before a record carries it (the publish interval or the load budget's). */
  publishDelayMs(): number
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
  /** The count last announced, by a round, a poll or `announce()`. */
  private announced: number | undefined
  private poller: TimerHandle | undefined
  private polling = false
  private readonly credits = new Map<string, Credit>()
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
    this.poll()
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
    if (this.stopped) return
    this.host.setCount(count)
    this.announced = count
  }

  /** Stops the rounds and takes the namespace out of this node's record; a round in progress finishes. */
  stop (): void {
    if (this.stopped) return
    this.stopped = true
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
    if (this.poller !== undefined) this.host.clock.clearTimeout(this.poller)
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

  /**
   * Polls `count()` every `countIntervalMs` between rounds and announces a count that changed, so that the others
   * decide from a count at most that old plus the publish delay, even from a service that never calls
   * `announce()`. A round counts for itself; a poll that fails is only logged (the round will report it).
   */
  private poll (): void {
    if (this.stopped) return
    this.poller = this.host.clock.setTimeout(() => {
      if (this.running !== undefined || this.polling) {
        this.poll()
        return
      }
      this.polling = true
      Promise.resolve().then(async () => await this.implementation.count()).then(count => {
        if (this.stopped || !Number.isSafeInteger(count) || count < 0 || count === this.announced) return
        this.announce(count)
      }, (err: unknown) => { this.host.logger.debug(`count() of ${this.namespace} failed between rounds: ${(err as Error).message}`) })
        .finally(() => {
          this.polling = false
          this.poll()
        })
    }, this.knobs.countIntervalMs)
  }

  /**
   * The count a decision takes for a member: what it announced, or more while this node's last shed towards it
   * may not show in its announcements yet. Otherwise a node whose target's record is late (delayed, or published
   * before the clients arrived) would see the same imbalance again and shed twice for it.
   */
  private creditedCount (id: string, announced: number, now: number): number {
    const credit = this.credits.get(id)
    if (credit === undefined) return announced
    if (announced >= credit.expected || now > credit.until) {
      this.credits.delete(id)
      return announced
    }
    return credit.expected
  }

  /** After a shed, its targets are credited with their shares (scaled down if fewer were dropped than decided). */
  private credit (targets: readonly ShedTarget[], decided: number, killed: number): void {
    const until = this.host.clock.now() + Math.max(CREDIT_MIN_MS, CREDIT_ROUNDS * this.knobs.roundDurationSeconds * 1000)
    let left = killed
    for (const target of targets) {
      const share = Math.min(left, decided === killed ? target.share : Math.round(target.share * killed / decided))
      left -= share
      if (share > 0) this.credits.set(target.id, { expected: target.count + share, until })
    }
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
    const countAgeBoundMs = this.knobs.countIntervalMs + host.publishDelayMs()
    const report = (fields: Omit<ShedRound, 'namespace' | 'round' | 'time' | 'countAgeBoundMs'>): ShedRound => {
      const result: ShedRound = { namespace: this.namespace, round, time, countAgeBoundMs, ...fields }
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
    this.announce(count)

    const snapshotVersion = host.version()
    const draining = host.draining()
    // A drain only needs somewhere to go: it hands over to the members it hears from, without waiting for a full view.
    const inNamespace = host.members().filter(member => member.shedding.has(this.namespace) &&
      (!draining || member.id === host.id || (member.liveness === 'alive' && member.status !== 'joining')))
    const members: ShedMember[] = inNamespace.map(member => ({
      id: member.id,
      name: member.name,
      count: member.id === host.id ? count : this.creditedCount(member.id, member.shedding.get(this.namespace) ?? 0, time),
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
      this.credit(decision.targets, decision.amount, killed)
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
