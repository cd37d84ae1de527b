import { monitorEventLoopDelay } from 'node:perf_hooks'

/** One tick every 100 ms: enough for a p99 per lag sample (one a second), without waking an idle process 50 times a second. */
export const LAG_RESOLUTION_MS = 100

/**
 * Samples the event loop's delay between `start()` and `stop()`: each `sample()` returns the 99th percentile (ms)
 * since the previous one. A member that announces a high lag is busy beyond its load figures; operators see it in
 * the member list.
 */
export function eventLoopLagSampler (): { start: () => void, sample: () => number, stop: () => void } {
  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
  return {
    start () {
      histogram.enable()
    },
    sample () {
      // The histogram holds the time between two of its timer's ticks, the resolution included: an idle loop
      // records about 100 ms. The lag is what goes beyond the resolution.
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 - LAG_RESOLUTION_MS : 0
      histogram.reset()
      return Math.max(0, p99)
    },
    stop () {
      histogram.disable()
    }
  }
}
