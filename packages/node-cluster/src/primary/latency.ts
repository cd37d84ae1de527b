/**
 * A worker's round-trip time over IPC, smoothed as Finagle's peak EWMA smooths it: a slower sample is taken at
 * once, a faster one only pulls the estimate down with time constant `decayMs`. A worker whose loop is blocked
 * half of the time answers some pings at once and others late; the estimate follows the late ones, which are
 * what a connection handed to it at a random moment risks.
 */
export class PeakEwma {
  private current: number | undefined
  private at = 0

  constructor (private readonly decayMs: number) {}

  get value (): number | undefined {
    return this.current
  }

  observe (sampleMs: number, now: number): void {
    if (this.current === undefined || sampleMs >= this.current) {
      this.current = sampleMs
    } else {
      const keep = Math.exp(-Math.max(0, now - this.at) / this.decayMs)
      this.current = this.current * keep + sampleMs * (1 - keep)
    }
    this.at = now
  }

  /** Raises the estimate to at least `floorMs` (a ping unanswered for that long), without counting a sample. */
  atLeast (floorMs: number): void {
    if (this.current === undefined || floorMs > this.current) this.current = floorMs
  }
}
