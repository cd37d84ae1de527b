import { describe, expect, it } from '@jest/globals'
import { PeakEwma } from '../src/primary/latency.js'

describe('PeakEwma', () => {
  it('takes a slower sample at once and lets a faster one pull it down with time', () => {
    const ewma = new PeakEwma(1000)
    expect(ewma.value).toBeUndefined()
    ewma.observe(1, 0)
    ewma.observe(50, 100)
    expect(ewma.value).toBe(50)
    ewma.observe(1, 200)
    // One tenth of the time constant later: about 10 % of the way down.
    expect(ewma.value).toBeCloseTo(50 * Math.exp(-0.1) + 1 * (1 - Math.exp(-0.1)), 6)
    ewma.observe(1, 10_200)
    expect(ewma.value!).toBeLessThan(1.01)
  })

  it('raises the estimate to an unanswered ping\'s age', () => {
    const ewma = new PeakEwma(1000)
    ewma.observe(2, 0)
    ewma.atLeast(300)
    expect(ewma.value).toBe(300)
    ewma.atLeast(100)
    expect(ewma.value).toBe(300)
  })
})
