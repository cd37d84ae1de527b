import { monitorEventLoopDelay } from 'node:perf_hooks'

/** One tick every 100 ms: ten ticks per lag sample (one a second), without waking an idle process 50 times a second. */
export const LAG_RESOLUTION_MS = 100

/**
 * Samples the event loop's delay between `start()` and `stop()`: each `sample()` returns the mean lateness (ms) of
 * the sampler's timer since the previous sample. For work in pieces shorter than the tick, the ticks fall at
 * moments unrelated to it, so a tick's lateness is what a request arriving then would wait, and the mean is the
 * wait of a request arriving at a random moment: what a balancer adds to a member's cost. A longer block delays one
 * tick (the timer restarts when it runs), so it reads lower than the wait it causes (one 400 ms block in a second:
 * about 50 ms, against 80), still far above the significance rule's 20 ms. One short stall reads its length shared
 * over the sample's ticks (a 50 ms stall in a second, about 5 ms), so that the pauses of a process on a busy
 * machine (descheduled, a garbage collection) are not announced to every member. A maximum or a high percentile of
 * ten ticks would announce each of them, and their end.
 */
export function eventLoopLagSampler (): { start: () => void, sample: () => number, stop: () => void } {
  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
  return {
    start () {
      histogram.enable()
    },
    sample () {
      // The histogram holds the time between two of its timer's ticks, the resolution included: an idle loop
      // records about 100 ms. The lateness is what goes beyond the resolution. After a reset, the histogram
      // starts from its next tick, so a stall in the first tick of a sample is not seen.
      const mean = histogram.count > 0 ? histogram.mean / 1e6 - LAG_RESOLUTION_MS : 0
      histogram.reset()
      return Math.max(0, mean)
    },
    stop () {
      histogram.disable()
    }
  }
}
