/**
 * A worker's round-trip time over IPC, smoothed by an exponentially weighted moving average in time: a sample
 * `dt` after the previous one weighs `1 − e^(−dt / decayMs)`. A worker whose loop is blocked half of the time
 * answers some pings at once and others late; the mean follows the wait a connection handed to it at a random
 * moment meets. A mean rather than Finagle's peak EWMA: on a busy machine every process is now and then
 * descheduled, and holding on to each worker's worst answer made the fast workers look as slow as the blocked one.
 */
export class Ewma {
  private current: number | undefined
  private at = 0
  private samples = 0

  constructor (private readonly decayMs: number) {}

  get value (): number | undefined {
    return this.current
  }

  observe (sampleMs: number, now: number): void {
    if (this.current === undefined) {
      this.current = sampleMs
    } else {
      // The first samples weigh as in a plain mean of those so far, so that a new worker's estimate settles in a
      // few pings instead of creeping from its first answer over several time constants.
      const keep = Math.min(Math.exp(-Math.max(0, now - this.at) / this.decayMs), this.samples / (this.samples + 1))
      this.current = this.current * keep + sampleMs * (1 - keep)
    }
    this.samples++
    this.at = now
  }

  /** Raises the estimate to at least `floorMs` (a ping unanswered for that long), without counting a sample. */
  atLeast (floorMs: number): void {
    if (this.current === undefined || floorMs > this.current) this.current = floorMs
  }
}

