import { scaledInterval } from './scaled-interval.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { RandomSource } from '../random.js'

/** Why a record goes out: a change of content, a significant change of load, the refresh, or an explicit flush. */
export type PublishReason = 'start' | 'change' | 'load' | 'refresh' | 'flush'

export interface PublisherInit {
  clock: Clock
  random: RandomSource
  /** Least time between two publishes. */
  minIntervalMs: number
  /** Mean time between two refreshes when nothing else was published (jittered, scaled with the cluster). */
  refreshIntervalMs: number
  /** Load-only records the whole cluster may send per second; this node's share is that over its peers. */
  loadRecordsPerSecond: number
  /** How many other members there are (n − 1), read whenever the budget or the refresh is computed. */
  peers(): number
  /** Builds and sends the record; called at most once per `minIntervalMs` but for flushes. */
  publish(reason: PublishReason): void
}

/**
 * Peers up to which the refresh keeps its interval; beyond, the interval grows with the number of peers, so that
 * refreshes cost each receiver at most REFRESH_SCALE_PEERS / refreshIntervalMs records per second however large
 * the cluster. Small on purpose: the refresh is only anti-entropy (changes are published when they happen, push-pull
 * exchanges repair views, SWIM probes decide liveness), and each refresh costs every receiver a record and
 * gossipsub's copies of it, so from 5 members up an idle member's traffic stays flat instead of growing with n
 * (30 s up to 5 members, 67.5 s at 10, 142.5 s at 20, about 2 h at 1,000).
 */
export const REFRESH_SCALE_PEERS = 4
/**
 * The mean interval between a member's refreshes, before jitter, in a cluster of `members` (itself included):
 * `refreshIntervalMs` × max(1, (members − 1) / {@link REFRESH_SCALE_PEERS}) (docs/PROTOCOL.md, 2.5).
 */
export function refreshIntervalFor (refreshIntervalMs: number, members: number): number {
  return scaledInterval(refreshIntervalMs, members, REFRESH_SCALE_PEERS)
}

/** Refreshes fall uniformly in [1 − this, 1 + this] × their interval, so that members do not refresh in step. */
export const REFRESH_JITTER = 0.25

/**
 * Decides when this node's record goes out (docs/PROTOCOL.md, "When records are published"):
 *
 * - a change of content (status, groups, weight, tags, addresses, shedding namespaces) at once when the previous
 *   publish is older than `minIntervalMs`, otherwise at the end of that interval with every change made meanwhile;
 * - a significant change of load likewise, but only as this node's share of the cluster-wide budget allows:
 *   a token bucket filled at `loadRecordsPerSecond / (n − 1)` per second, holding at most one second of it (and
 *   at least one token), so that each member receives at most about `loadRecordsPerSecond` load records per second
 *   whatever the size of the cluster;
 * - and a refresh when nothing was published for a jittered `refreshIntervalMs` (longer beyond
 *   {@link REFRESH_SCALE_PEERS} peers).
 *
 * Every publish carries the whole current record, so a publish for one reason carries every pending change.
 */
export class Publisher {
  private lastPublish = Number.NEGATIVE_INFINITY
  private changeTimer: TimerHandle | undefined
  private refreshTimer: TimerHandle | undefined
  private running = false
  /** A publish is due after the current task (a microtask is queued). */
  private immediate: PublishReason | undefined
  /** The reason of the pending timer's publish. */
  private pending: PublishReason | undefined
  private tokens = 1
  private tokensAt = 0

  constructor (private readonly init: PublisherInit) {}

  /** Publishes now and starts the refresh. */
  start (): void {
    this.running = true
    this.tokensAt = this.init.clock.now()
    this.fire('start')
  }

  /** Asks for a publish because the record's content changed; coalesced with other changes. */
  changed (): void {
    if (!this.running || this.pending === 'change') return
    if (this.immediate !== undefined) {
      // Due already: it goes out as a change, which takes no load token.
      this.immediate = 'change'
      return
    }
    // A change outranks a load publish that waits for a token: it goes out within the interval, load included.
    this.schedule('change', this.lastPublish + this.init.minIntervalMs - this.init.clock.now())
  }

  /** Asks for a publish because a load changed significantly; within this node's share of the load budget. */
  loadChanged (): void {
    if (!this.running || this.immediate !== undefined || this.pending !== undefined) return
    const { clock, minIntervalMs } = this.init
    const now = clock.now()
    this.refill(now)
    const tokenWait = this.tokens >= 1 ? 0 : (1 - this.tokens) / this.ratePerMs()
    this.schedule('load', Math.max(this.lastPublish + minIntervalMs - now, tokenWait))
  }

  /** Publishes at once, bypassing the interval and the budget (for announcements that must not wait: leaving, refuting). */
  flush (): void {
    if (this.running) this.fire('flush')
  }

  stop (): void {
    this.running = false
    this.clear()
  }

  /** The load records this node may publish per second now: its share of the cluster's budget. */
  loadShare (): number {
    return this.ratePerMs() * 1000
  }

  /** The refresh interval for the current size of the cluster, before jitter. */
  refreshInterval (): number {
    return refreshIntervalFor(this.init.refreshIntervalMs, this.init.peers() + 1)
  }

  private schedule (reason: PublishReason, wait: number): void {
    this.clearChange()
    if (wait > 0) {
      this.pending = reason
      this.changeTimer = this.init.clock.setTimeout(() => { this.fire(reason) }, wait)
      return
    }
    // Due now: after the current task, so that changes made together go out together, without the extra
    // millisecond a zero-delay timer costs.
    this.immediate = reason
    queueMicrotask(() => {
      // A publish in between (a flush) already carried the change.
      if (this.immediate !== undefined && this.running) this.fire(this.immediate)
    })
  }

  private fire (reason: PublishReason): void {
    this.clear()
    const { clock } = this.init
    const now = clock.now()
    if (reason === 'load') {
      this.refill(now)
      this.tokens = Math.max(0, this.tokens - 1)
    }
    this.lastPublish = now
    const jitter = 1 - REFRESH_JITTER + 2 * REFRESH_JITTER * this.init.random()
    this.refreshTimer = clock.setTimeout(() => { this.fire('refresh') }, this.refreshInterval() * jitter)
    this.init.publish(reason)
  }

  private ratePerMs (): number {
    return this.init.loadRecordsPerSecond / Math.max(1, this.init.peers()) / 1000
  }

  /** Tokens accrue at this node's share; the bucket holds one second of it, and at least one token. */
  private refill (now: number): void {
    const rate = this.ratePerMs()
    const capacity = Math.max(1, rate * 1000)
    this.tokens = Math.min(capacity, this.tokens + (now - this.tokensAt) * rate)
    this.tokensAt = now
  }

  private clearChange (): void {
    if (this.changeTimer !== undefined) this.init.clock.clearTimeout(this.changeTimer)
    this.changeTimer = undefined
    this.pending = undefined
  }

  private clear (): void {
    this.clearChange()
    this.immediate = undefined
    if (this.refreshTimer !== undefined) this.init.clock.clearTimeout(this.refreshTimer)
    this.refreshTimer = undefined
  }
}
