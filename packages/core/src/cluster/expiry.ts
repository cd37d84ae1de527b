import type { Clock, TimerHandle } from '../clock.js'
import type { Logger } from '../logger.js'
import type { MemberTable } from '../member/table.js'

export interface ExpiryInit {
  clock: Clock
  logger: Logger
  table: MemberTable
  /** Ticks come five times per heartbeat interval, so that a silence is noticed within a fifth of one. */
  heartbeatIntervalMs: number
  suspectAfterMs: number
  /** Runs a change of the table, reporting a listener that throws. */
  guard(change: () => void): void
  /** Runs on every tick after the table's expiry: pruning of rate limiters and caches. */
  prune(): void
}

/**
 * The clock of membership: every tick suspects and removes members that went silent. A tick that comes late by
 * more than half the suspicion time means this process did not run (stopped, swapped, blocked): the silence was
 * its own, not its peers', so every member is credited with the pause before anyone is suspected.
 */
export class Expiry {
  private timer: TimerHandle | undefined
  private readonly intervalMs: number
  private last = 0

  constructor (private readonly init: ExpiryInit) {
    this.intervalMs = Math.max(10, Math.floor(init.heartbeatIntervalMs / 5))
  }

  start (): void {
    this.last = this.init.clock.now()
    this.schedule()
  }

  stop (): void {
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule (): void {
    this.timer = this.init.clock.setTimeout(() => { this.tick() }, this.intervalMs)
  }

  private tick (): void {
    if (this.timer === undefined) return
    const { clock, logger, table } = this.init
    const now = clock.now()
    const late = now - this.last - this.intervalMs
    if (late > this.init.suspectAfterMs / 2) {
      logger.warn(`this node was paused for ${Math.round(late)} ms; not counting it against peers`)
      table.forgive(late, now)
    }
    this.last = now
    this.init.guard(() => { table.expire(now) })
    this.init.prune()
    this.schedule()
  }
}
