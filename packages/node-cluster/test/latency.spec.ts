import { describe, expect, it } from '@jest/globals'
import { Ewma } from '../src/primary/latency.js'

describe('Ewma', () => {
  it('averages its first samples, then moves towards each by the share of the time constant since the previous', () => {
    const ewma = new Ewma(1000)
    expect(ewma.value).toBeUndefined()
    ewma.observe(10, 0)
    expect(ewma.value).toBe(10)
    ewma.observe(50, 100)
    expect(ewma.value).toBeCloseTo(30, 6)
    for (let i = 2; i < 20; i++) ewma.observe(30, i * 100)
    ewma.observe(50, 2000)
    expect(ewma.value).toBeCloseTo(30 * Math.exp(-0.1) + 50 * (1 - Math.exp(-0.1)), 1)
    ewma.observe(1, 20_100)
    expect(ewma.value!).toBeLessThan(1.01)
  })

  it('averages a worker that answers at once half of the time and late the other half', () => {
    const ewma = new Ewma(5000)
    for (let i = 0; i < 400; i++) ewma.observe(i % 2 === 0 ? 0 : 50, i * 500)
    expect(ewma.value!).toBeGreaterThan(20)
    expect(ewma.value!).toBeLessThan(30)
  })

  it('raises the estimate to an unanswered ping\'s age', () => {
    const ewma = new Ewma(1000)
    ewma.observe(2, 0)
    ewma.atLeast(300)
    expect(ewma.value).toBe(300)
    ewma.atLeast(100)
    expect(ewma.value).toBe(300)
  })
})
