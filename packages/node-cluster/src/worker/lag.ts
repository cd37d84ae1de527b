/**
 * The event-loop lag of this process as a connection arriving at a random moment meets it: the mean time it
 * waits before the loop runs again. A timer ticks every `resolutionMs`; a tick `d` late means the loop was
 * blocked for about `d`, and an arrival within that block (probability `d / window`) waits `d / 2` on average. Over
 * the window that is Σd² / (2 · window): a loop blocked for 50 ms out of every 100 ms reads 12.5 ms, an idle one
 * about 0. Squares weigh long blocks, so that the short pauses every process has on a busy machine (descheduled
 * for a few milliseconds now and then) count for little, and a loop that is blocked often counts for much.
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
