import { describe, expect, it } from '@jest/globals'
import { seededRandom } from '@meshbalancer/core'
import { weightedRoundRobin } from '../src/index.js'
import { testMembers } from '../src/compliance/members.js'
import { SmoothSchedule } from '../src/weighted-round-robin/smooth-schedule.js'

/** nginx's smooth weighted round robin as written in its source: the oracle. */
function nginxSequence (weights: number[], picks: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0)
  const current = weights.map(() => 0)
  const sequence: number[] = []
  for (let t = 0; t < picks; t++) {
    let best = -1
    weights.forEach((w, i) => {
      if (w === 0) return
      current[i]! += w
      if (best === -1 || current[i]! > current[best]!) best = i
    })
    current[best]! -= total
    sequence.push(best)
  }
  return sequence
}

function randomWeights (seed: number): number[] {
  const draw = seededRandom(seed)
  return Array.from({ length: 2 + Math.floor(draw() * 19) }, () => 1 + Math.floor(draw() * 50))
}

describe('weightedRoundRobin', () => {
  it('interleaves 5:1:1 as nginx does: a a b a c a a', () => {
    const nodes = testMembers(3, i => ({ name: 'abc'[i]!, weight: [5, 1, 1][i]! }))
    const algorithm = weightedRoundRobin()
    expect(Array.from({ length: 14 }, () => algorithm.chooseFromNodes(nodes, {}).name).join('')).toBe('aabacaaaabacaa')
  })

  it('matches the nginx sequence exactly, precomputed or stepped live', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const weights = randomWeights(seed)
      const schedule = new SmoothSchedule(weights)
      expect(Array.from({ length: 3000 }, () => schedule.next())).toEqual(nginxSequence(weights, 3000))
    }
    // A cycle too long to precompute is stepped live, with the same result.
    const long = [300_000, 7, 1]
    const live = new SmoothSchedule(long)
    expect(Array.from({ length: 5000 }, () => live.next())).toEqual(nginxSequence(long, 5000))
  })

  it('is smooth: at every prefix each member is within one pick of its exact share', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const weights = randomWeights(seed)
      const total = weights.reduce((a, b) => a + b, 0)
      const schedule = new SmoothSchedule(weights)
      const counts = weights.map(() => 0)
      let worst = 0
      for (let t = 1; t <= 2 * total; t++) {
        counts[schedule.next()]!++
        weights.forEach((w, i) => { worst = Math.max(worst, Math.abs(counts[i]! - t * w / total)) })
      }
      expect(worst).toBeLessThan(1)
    }
  })

  it('never picks a member twice in a row when weights are equal', () => {
    const nodes = testMembers(7)
    const algorithm = weightedRoundRobin()
    let previous = ''
    for (let i = 0; i < 700; i++) {
      const id = algorithm.chooseFromNodes(nodes, {}).id
      expect(id).not.toBe(previous)
      previous = id
    }
  })

  it('keeps proportions within 1 % over 100,000 picks', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const weights = randomWeights(seed)
      const total = weights.reduce((a, b) => a + b, 0)
      const nodes = testMembers(weights.length, i => ({ weight: weights[i]! }))
      const algorithm = weightedRoundRobin()
      const counts = new Map<string, number>()
      for (let i = 0; i < 100_000; i++) {
        const id = algorithm.chooseFromNodes(nodes, {}).id
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      nodes.forEach((node, i) => {
        const expected = 100_000 * weights[i]! / total
        expect(Math.abs((counts.get(node.id) ?? 0) - expected)).toBeLessThanOrEqual(expected * 0.01 + 1)
      })
    }
  })

  it('takes weights from options by name, then by id, then from the member', () => {
    const nodes = testMembers(3, i => ({ weight: 1 + i }))
    const algorithm = weightedRoundRobin({ weights: { 'node-0': 4, [nodes[1]!.id]: 0 } })
    const counts = new Map<string, number>()
    for (let i = 0; i < 700; i++) {
      const name = algorithm.chooseFromNodes(nodes, {}).name
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    expect(Object.fromEntries(counts)).toEqual({ 'node-0': 400, 'node-2': 300 })
  })

  it('shares equally when every member has weight 0', () => {
    const nodes = testMembers(4, () => ({ weight: 0 }))
    const algorithm = weightedRoundRobin()
    const picked = new Set(Array.from({ length: 4 }, () => algorithm.chooseFromNodes(nodes, {}).id))
    expect(picked.size).toBe(4)
  })

  it('rebuilds its cycle when a gossiped weight changes', () => {
    const nodes = testMembers(2)
    const algorithm = weightedRoundRobin()
    algorithm.chooseFromNodes(nodes, {})
    const reweighted = Object.freeze([nodes[0]!, Object.freeze({ ...nodes[1]!, weight: 3 })])
    algorithm.onNodeChange!({ nodes: reweighted, joined: [], left: [], updated: [reweighted[1]!] })
    const names = Array.from({ length: 8 }, () => algorithm.chooseFromNodes(reweighted, {}).name)
    expect(names.filter(name => name === 'node-1')).toHaveLength(6)
  })
})
