import type { Clock, TimerHandle } from '../clock.js'

export interface PublisherInit {
  clock: Clock
  /** Least time between two publishes. */
  minIntervalMs: number
  /** Publish at least this often even when nothing changed. */
  heartbeatIntervalMs: number
  /** Builds and sends the record; called at most once per `minIntervalMs`. */
  publish(): void
}

/**
 * Decides when this node's record goes out: a change is published at once when the previous publish is older than
 * `minIntervalMs`, otherwise once at the end of that interval with every change made meanwhile; and a heartbeat
 * republishes when nothing was published for `heartbeatIntervalMs`.
 */
export class Publisher {
  private lastPublish = Number.NEGATIVE_INFINITY
  private changeTimer: TimerHandle | undefined
  private heartbeatTimer: TimerHandle | undefined
  private running = false
  private immediate = false

  constructor (private readonly init: PublisherInit) {}

  /** Publishes now and starts the heartbeat. */
  start (): void {
    this.running = true
    this.fire()
  }

  /** Asks for a publish because something changed; coalesced with other changes. */
  changed (): void {
    if (!this.running || this.changeTimer !== undefined || this.immediate) return
    const { clock, minIntervalMs } = this.init
    const wait = this.lastPublish + minIntervalMs - clock.now()
    if (wait > 0) {
      this.changeTimer = clock.setTimeout(() => { this.fire() }, wait)
      return
    }
    // Due now: after the current task, so that changes made together go out together, without the extra
    // millisecond a zero-delay timer costs.
    this.immediate = true
    queueMicrotask(() => {
      // A publish in between (a flush) already carried the change.
      if (this.immediate && this.running) this.fire()
    })
  }

  /** Publishes at once, bypassing the interval (used for announcements that must not wait, like leaving). */
  flush (): void {
    if (this.running) this.fire()
  }

  stop (): void {
    this.running = false
    this.clear()
  }

  private fire (): void {
    this.clear()
    this.immediate = false
    const { clock } = this.init
    this.lastPublish = clock.now()
    this.heartbeatTimer = clock.setTimeout(() => { this.fire() }, this.init.heartbeatIntervalMs)
    this.init.publish()
  }

  private clear (): void {
    if (this.changeTimer !== undefined) this.init.clock.clearTimeout(this.changeTimer)
    if (this.heartbeatTimer !== undefined) this.init.clock.clearTimeout(this.heartbeatTimer)
    this.changeTimer = undefined
    this.heartbeatTimer = undefined
  }
}
