/**
 * The event-loop lag of this process as a connection arriving at a random moment meets it: the mean time it
 * waits before its first callback runs. A timer ticks every `resolutionMs`; a tick that is late by `d` means the
 * loop was blocked for about `d`, and an arrival inside that block waits `d / 2` on average, with probability
 * `d / window`. Summed over the window that is Σd² / (2 · window): a loop blocked half of the time in 100 ms
 * blocks reads 25 ms, and an idle one about 0.
 */
export class LagSampler {
  private readonly timer: NodeJS.Timeout
  private last = performance.now()
  private windowStart = this.last
  private squares = 0

  constructor (private readonly resolutionMs: number) {
    this.timer = setInterval(() => { this.tick() }, resolutionMs)
    // Measuring must never be what keeps a worker alive after it was told to go.
    this.timer.unref()
  }

  /** The mean wait over the window since the previous call, in milliseconds; starts a new window. */
  take (): number {
    const now = performance.now()
    const window = now - this.windowStart
    const lag = window > 0 ? this.squares / (2 * window) : 0
    this.windowStart = now
    this.squares = 0
    return lag
  }

  stop (): void {
    clearInterval(this.timer)
  }

  private tick (): void {
    const now = performance.now()
    const late = now - this.last - this.resolutionMs
    // Lateness under a millisecond is timer jitter, not a blocked loop.
    if (late > 1) this.squares += late * late
    this.last = now
  }
}
