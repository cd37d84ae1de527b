import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * Samples the event loop's delay between `start()` and `stop()`: each `sample()` returns the 99th percentile (ms)
 * since the previous one. A member that announces a high lag is busy beyond its load figures; operators see it in
 * the member list.
 */
export function eventLoopLagSampler (): { start: () => void, sample: () => number, stop: () => void } {
  // One sample every 100 ms: enough for a p99 per lag sample (one a second), without waking an idle process 50 times a second.
  const histogram = monitorEventLoopDelay({ resolution: 100 })
  return {
    start () {
      histogram.enable()
    },
    sample () {
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0
      histogram.reset()
      return p99
    },
    stop () {
      histogram.disable()
    }
  }
}
