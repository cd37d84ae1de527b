import { describe, expect, it } from '@jest/globals'
import { seededRandom } from '@meshbalancer/core'
import { leastConnections, leastLatency, roundRobin } from '../src/index.js'
import { testMembers } from '../src/compliance/members.js'
import type { Member, SelectionAlgorithm } from '@meshbalancer/core'

function tally (algorithm: SelectionAlgorithm, nodes: readonly Member[], picks: number, release = true): Map<string, number> {
  const counts = new Map<string, number>(nodes.map(node => [node.name, 0]))
  for (let i = 0; i < picks; i++) {
    const member = algorithm.chooseFromNodes(nodes, {})
    counts.set(member.name, counts.get(member.name)! + 1)
    if (release) algorithm.releaseNode?.(member)
  }
  return counts
}

describe('roundRobin', () => {
  it('picks every member equally, in id order', () => {
    const nodes = testMembers(5)
    const algorithm = roundRobin()
    expect(Array.from({ length: 5 }, () => algorithm.chooseFromNodes(nodes, {}).name)).toEqual(nodes.map(node => node.name))
    expect([...tally(algorithm, nodes, 5 * 1000).values()]).toEqual([1000, 1000, 1000, 1000, 1000])
  })
})

describe('leastConnections', () => {
  it('picks only the least loaded members', () => {
    const nodes = testMembers(5, i => ({ load: [3, 1, 1, 1, 4][i]! }))
    const counts = tally(leastConnections({ random: seededRandom(1) }), nodes, 3000)
    expect(counts.get('node-0')).toBe(0)
    expect(counts.get('node-4')).toBe(0)
  })

  it('breaks ties without bias', () => {
    const nodes = testMembers(3)
    const picks = 30_000
    const counts = tally(leastConnections({ random: seededRandom(2) }), nodes, picks)
    // Each tie is a fair three-way draw: counts are Binomial(30000, 1/3), σ ≈ 82.
    for (const count of counts.values()) expect(Math.abs(count - picks / 3)).toBeLessThan(5 * 82)
  })

  it('fills the least loaded first and keeps loads level when picks are not released', () => {
    const nodes = testMembers(10, i => ({ load: i }))
    const algorithm = leastConnections({ random: seededRandom(3) })
    const inFlight = new Map<string, number>()
    for (let i = 0; i < 1000; i++) {
      const member = algorithm.chooseFromNodes(nodes, {})
      inFlight.set(member.name, (inFlight.get(member.name) ?? 0) + 1)
    }
    const totals = nodes.map(node => node.load + (inFlight.get(node.name) ?? 0))
    expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(1)
  })

  it('follows gossiped load changes', () => {
    const nodes = testMembers(2, i => ({ load: i === 0 ? 0 : 5 }))
    const algorithm = leastConnections({ random: seededRandom(4) })
    expect(algorithm.chooseFromNodes(nodes, {}).name).toBe('node-0')
    const changed = Object.freeze([Object.freeze({ ...nodes[0]!, load: 50 }), nodes[1]!])
    algorithm.onNodeChange!({ nodes: changed, joined: [], left: [], updated: [changed[0]!] })
    expect(algorithm.chooseFromNodes(changed, {}).name).toBe('node-1')
  })
})

describe('leastLatency', () => {
  it('prefers low latency: shares fall with latency and the slowest gets nothing', () => {
    const nodes = testMembers(5, i => ({ latencyMs: [5, 10, 20, 40, 80][i]! }))
    const counts = [...tally(leastLatency({ random: seededRandom(5) }), nodes, 20_000).values()]
    for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeLessThan(counts[i - 1]!)
    // Two random members, the faster wins: the i-th fastest of n wins 2(n−1−i)/(n(n−1)) of picks.
    expect(counts[0]! / 20_000).toBeCloseTo(0.4, 1)
    expect(counts[4]).toBe(0)
  })

  it('still tries members whose latency is unknown', () => {
    const nodes = testMembers(10, i => ({ latencyMs: i === 9 ? undefined : 1 }))
    const counts = tally(leastLatency({ random: seededRandom(6) }), nodes, 10_000)
    // An unmeasured member wins every comparison it takes part in: 2/n of picks.
    expect(counts.get('node-9')! / 10_000).toBeCloseTo(0.2, 1)
  })

  it("counts a member's own event-loop lag as part of its response time", () => {
    // node-0 is closest but its event loop is busy: 2 + 40 against 10 + 0, so node-1 wins every comparison.
    const nodes = testMembers(2, i => i === 0 ? { latencyMs: 2, eventLoopLagMs: 40 } : { latencyMs: 10, eventLoopLagMs: 0 })
    const counts = tally(leastLatency({ random: seededRandom(8) }), nodes, 1000)
    expect(counts.get('node-1')).toBe(1000)
    expect(counts.get('node-0') ?? 0).toBe(0)
  })

  it('follows measured latency and gossiped lag as they change', () => {
    const nodes = testMembers(2, i => ({ latencyMs: i === 0 ? 5 : 50 }))
    const algorithm = leastLatency({ random: seededRandom(9) })
    expect(algorithm.chooseFromNodes(nodes, {}).name).toBe('node-0')
    algorithm.releaseNode?.(nodes[0]!)
    const slower = Object.freeze([Object.freeze({ ...nodes[0]!, latencyMs: 100 }), nodes[1]!])
    algorithm.onNodeChange!({ nodes: slower, joined: [], left: [], updated: [slower[0]!] })
    expect(algorithm.chooseFromNodes(slower, {}).name).toBe('node-1')
    algorithm.releaseNode?.(slower[1]!)
    const lagging = Object.freeze([slower[0]!, Object.freeze({ ...slower[1]!, eventLoopLagMs: 200 })])
    algorithm.onNodeChange!({ nodes: lagging, joined: [], left: [], updated: [lagging[1]!] })
    expect(algorithm.chooseFromNodes(lagging, {}).name).toBe('node-0')
  })

  it('spreads calls in flight instead of piling them on the fastest member', () => {
    const nodes = testMembers(2, i => ({ latencyMs: i === 0 ? 10 : 30 }))
    const counts = tally(leastLatency({ random: seededRandom(7) }), nodes, 400, false)
    // Cost is latency × (in flight + 1): the slower member takes a quarter once both are busy.
    expect(counts.get('node-1')! / 400).toBeCloseTo(0.25, 1)
  })
})
