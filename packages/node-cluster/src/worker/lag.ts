/**
 * The event-loop lag of this process: the longest the loop was blocked within a window, measured by a timer that
 * ticks every `resolutionMs` (a tick `d` late means the loop was blocked for about `d`). Over a window of some
 * fifty ticks this is the window's p99 of the delays, the measure the gossiped member record also carries. A loop
 * blocked for 50 ms out of every 100 ms reads about 50 ms; an idle one about 0.
 */
export class LagSampler {
  private readonly timer: NodeJS.Timeout
  private last = performance.now()
  private longest = 0

  constructor (private readonly resolutionMs: number) {
    this.timer = setInterval(() => { this.tick() }, resolutionMs)
    // Measuring must never be what keeps a worker alive after it was told to go.
    this.timer.unref()
  }

  /** The longest block since the previous call, in milliseconds; starts a new window. */
  take (): number {
    // A block that is still being waited out (the tick not yet run) counts too.
    const pending = performance.now() - this.last - this.resolutionMs
    const lag = Math.max(this.longest, pending > 1 ? pending : 0)
    this.longest = 0
    return lag
  }

  stop (): void {
    clearInterval(this.timer)
  }

  private tick (): void {
    const now = performance.now()
    const late = now - this.last - this.resolutionMs
    // Lateness under a millisecond is timer jitter, not a blocked loop.
    if (late > 1 && late > this.longest) this.longest = late
    this.last = now
  }
}
