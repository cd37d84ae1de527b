import { describe, expect, it } from '@jest/globals'
import { defaults } from '@meshbalancer/core'
import { eventLoopLagSampler, LAG_RESOLUTION_MS } from '../src/node/event-loop-lag.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function block (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* the event loop is blocked */ }
}

describe('eventLoopLagSampler', () => {
  it('reports the lateness beyond its own tick: near 0 for an idle loop, high for a long block, low for one short stall', async () => {
    const sampler = eventLoopLagSampler()
    sampler.start()
    try {
      expect(sampler.sample()).toBe(0)
      await sleep(10 * LAG_RESOLUTION_MS)
      // Idle: the histogram's raw mean would be the tick itself, 100 ms or more.
      expect(sampler.sample()).toBeLessThan(LAG_RESOLUTION_MS / 2)

      // The histogram counts no tick until the first one after a sample: the block comes after that.
      await sleep(2 * LAG_RESOLUTION_MS)
      block(400)
      await sleep(3 * LAG_RESOLUTION_MS)
      // The tick due during the block ran at its end, at least 300 ms late; among the five or so intervals the
      // sample records (the tick before it, the three or so after), the mean is at least a sixth of that.
      const blocked = sampler.sample()
      expect(blocked).toBeGreaterThanOrEqual((400 - LAG_RESOLUTION_MS) / 6)
      expect(blocked).toBeLessThan(400)

      await sleep(10 * LAG_RESOLUTION_MS)
      block(120)
      await sleep(10 * LAG_RESOLUTION_MS)
      // A stall longer than the tick always delays one, by 20 to 120 ms: a maximum or p99 of the ticks would read at
      // least 20 ms. Shared over the sample's some twenty ticks, it reads below what is worth announcing.
      expect(sampler.sample()).toBeLessThan(defaults.DEFAULT_LAG_CHANGE_MIN_MS)
    } finally {
      sampler.stop()
    }
  })
})
