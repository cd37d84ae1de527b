import type { Clock, TimerHandle } from '../clock.js'
import type { Logger } from '../logger.js'
import type { MemberTable } from '../member/table.js'

export interface ExpiryInit {
  clock: Clock
  logger: Logger
  table: MemberTable
  /** Ticks come five times per probe interval, so that a pause is noticed within a fifth of one. */
  probeIntervalMs: number
  /** A tick later than this means this process did not run: a pause, credited to every member. */
  pauseThresholdMs: number
  /** This process was paused for `ms`. */
  paused(ms: number): void
  /** Runs a change of the table, reporting a listener that throws. */
  guard(change: () => void): void
  /** Runs on every tick after the table's expiry: pruning of rate limiters and caches. */
  prune(): void
}

/**
 * The housekeeping clock of membership: every tick prunes tombstones, rate limiters and caches. A tick that comes
 * late by more than `pauseThresholdMs` means this process did not run (stopped, swapped, blocked): the silence
 * was its own, not its peers', so every member is credited with the pause before anyone is suspected or removed.
 */
export class Expiry {
  private timer: TimerHandle | undefined
  private readonly intervalMs: number
  private last = 0

  constructor (private readonly init: ExpiryInit) {
    this.intervalMs = Math.max(10, Math.floor(init.probeIntervalMs / 5))
  }

  start (): void {
    this.last = this.init.clock.now()
    this.schedule()
  }

  stop (): void {
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * True while this process is in a pause its ticks have not caught up with yet: after a SIGCONT, input that
   * waited in the sockets can be read before the late tick runs.
   */
  stalled (): boolean {
    return this.timer !== undefined && this.init.clock.now() - this.last - this.intervalMs > this.init.pauseThresholdMs
  }

  private schedule (): void {
    this.timer = this.init.clock.setTimeout(() => { this.tick() }, this.intervalMs)
  }

  private tick (): void {
    if (this.timer === undefined) return
    const { clock, logger, table } = this.init
    const now = clock.now()
    const late = now - this.last - this.intervalMs
    if (late > this.init.pauseThresholdMs) {
      logger.warn(`this node was paused for ${Math.round(late)} ms; not counting it against peers`)
      this.init.paused(late)
    }
    this.last = now
    this.init.guard(() => { table.expire(now) })
    this.init.prune()
    this.schedule()
  }
}
