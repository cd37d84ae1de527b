import { describe, expect, it } from '@jest/globals'
import { eventLoopLagSampler, LAG_RESOLUTION_MS } from '../src/node/event-loop-lag.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function block (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* the event loop is blocked */ }
}

describe('eventLoopLagSampler', () => {
  it('reports the lag beyond its own tick: near 0 for an idle loop, about the block for a blocked one', async () => {
    const sampler = eventLoopLagSampler()
    sampler.start()
    try {
      expect(sampler.sample()).toBe(0)
      await sleep(10 * LAG_RESOLUTION_MS)
      // Idle: the histogram's raw p99 would be the tick itself, 100 ms or more.
      expect(sampler.sample()).toBeLessThan(LAG_RESOLUTION_MS / 2)
      await sleep(2 * LAG_RESOLUTION_MS)
      block(400)
      await sleep(3 * LAG_RESOLUTION_MS)
      const blocked = sampler.sample()
      // The tick that waited for the block was late by the block, less what was left of its interval when it began.
      expect(blocked).toBeGreaterThanOrEqual(400 - LAG_RESOLUTION_MS)
      expect(blocked).toBeLessThan(400 + LAG_RESOLUTION_MS)
    } finally {
      sampler.stop()
    }
  })
})
