import { describe, expect, it } from '@jest/globals'
import { seededRandom } from '@meshbalancer/core'
import { powerOfTwo, random } from '../src/index.js'
import { testMember, testMembers } from '../src/compliance/members.js'
import type { SelectionAlgorithm } from '@meshbalancer/core'

const N = 100_000
const SEEDS = 20

/** Throws n balls into n bins with `algorithm` (picks never released) and returns the fullest bin. */
function maxLoad (algorithm: SelectionAlgorithm, bins: ReturnType<typeof testMembers>, index: Map<string, number>): number {
  const counts = new Int32Array(bins.length)
  for (let ball = 0; ball < bins.length; ball++) counts[index.get(algorithm.chooseFromNodes(bins, {}).id)!]! += 1
  return Math.max(...counts)
}

describe('powerOfTwo', () => {
  it(`keeps the fullest of ${N} bins at ln ln n / ln 2 + O(1) balls over ${SEEDS} seeds, far below random`, () => {
    const bins = testMembers(N)
    const index = new Map(bins.map((bin, i) => [bin.id, i]))
    const twoChoices: number[] = []
    const oneChoice: number[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      twoChoices.push(maxLoad(powerOfTwo({ random: seededRandom(seed) }), bins, index))
      oneChoice.push(maxLoad(random({ random: seededRandom(seed) }), bins, index))
    }
    const theory = Math.log(Math.log(N)) / Math.log(2) // 3.52 for n = 10^5
    for (const max of twoChoices) expect(max).toBeLessThanOrEqual(Math.floor(theory) + 2)
    for (let i = 0; i < SEEDS; i++) expect(oneChoice[i]! - twoChoices[i]!).toBeGreaterThanOrEqual(2)
    const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
    // Random's fullest bin grows like ln n / ln ln n (about 8 here); two choices stay near 4.
    expect(mean(oneChoice)).toBeGreaterThan(6.5)
    expect(mean(twoChoices)).toBeLessThan(4.5)
  })

  it('prefers the member with the lower gossiped load plus picks in flight', () => {
    const nodes = Object.freeze([testMember(0, { load: 10 }), testMember(1, { load: 0 })])
    const algorithm = powerOfTwo({ random: seededRandom(3) })
    const picks = Array.from({ length: 10 }, () => algorithm.chooseFromNodes(nodes, {}).name)
    // Member 1 takes every pick until its load plus picks in flight reaches member 0's load…
    expect(picks).toEqual(Array(10).fill('node-1'))
    // …and from then on the two stay within one pick of each other.
    const more = Array.from({ length: 20 }, () => algorithm.chooseFromNodes(nodes, {}).name)
    const extra = more.filter(name => name === 'node-1').length
    expect(Math.abs(10 + extra - (10 + 20 - extra))).toBeLessThanOrEqual(1)
    for (let i = 0; i < 30; i++) algorithm.releaseNode!(nodes[1]!)
    expect(algorithm.chooseFromNodes(nodes, {}).name).toBe('node-1')
  })
})
