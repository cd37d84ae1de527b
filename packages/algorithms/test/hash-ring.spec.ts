import { describe, expect, it } from '@jest/globals'
import { DEFAULT_RING_WEIGHT, hashRing } from '../src/index.js'
import { testMember, testMembers } from '../src/compliance/members.js'
import { hash32 } from '../src/common/hash.js'
import { buildRing, MAX_POINTS_PER_MEMBER, memberPoints, pointCount, ringShares, successor } from '../src/hash-ring/ring.js'
import { seededRandom } from '@meshbalancer/core'
import type { Member } from '@meshbalancer/core'

const MEMBERS = 100
const SEEDS = 20

function cluster (seed: number, count = MEMBERS): readonly Member[] {
  return testMembers(count, i => ({ name: `s${seed}-node-${i}` }))
}

describe('hashRing', () => {
  it(`gives each of ${MEMBERS} members a share within the spread expected of ${DEFAULT_RING_WEIGHT} points, over ${SEEDS} seeds`, () => {
    // A member with k points on a ring of n·k random points owns about 1/n, with a relative standard deviation
    // close to 1/√k (the sum of k of n·k exponential gaps).
    const k = DEFAULT_RING_WEIGHT
    const expectedSpread = 1 / Math.sqrt(k)
    const deviations: number[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      const nodes = cluster(seed)
      const shares = ringShares(buildRing(nodes.map(node => memberPoints(node.name, k))), nodes.length)
      for (const share of shares) deviations.push(share * MEMBERS - 1)
    }
    for (const deviation of deviations) expect(Math.abs(deviation)).toBeLessThan(4.5 * expectedSpread)
    const spread = Math.sqrt(deviations.reduce((sum, d) => sum + d * d, 0) / deviations.length)
    expect(spread).toBeGreaterThan(0.8 * expectedSpread)
    expect(spread).toBeLessThan(1.2 * expectedSpread)
  })

  it('moves only the keys that now belong to a new member, about 1/(n+1) of them', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `user:${i}`)
    for (let seed = 1; seed <= 5; seed++) {
      const before = cluster(seed)
      const after = Object.freeze([...before, testMember(MEMBERS, { name: `s${seed}-newcomer` })])
      const ring = hashRing()
      const owners = keys.map(key => ring.chooseFromNodes(before, { key }).id)
      let moved = 0
      keys.forEach((key, i) => {
        const owner = ring.chooseFromNodes(after, { key })
        if (owner.id !== owners[i]) {
          expect(owner.name).toBe(`s${seed}-newcomer`)
          moved++
        }
      })
      const expected = keys.length / (MEMBERS + 1)
      expect(moved).toBeGreaterThan(expected * (1 - 4.5 / Math.sqrt(DEFAULT_RING_WEIGHT)))
      expect(moved).toBeLessThan(expected * (1 + 4.5 / Math.sqrt(DEFAULT_RING_WEIGHT)))
    }
  })

  it('returns min(count, n) distinct replicas for keys whose primary sits at the end of the ring', () => {
    const nodes = cluster(7, 5)
    const ring = buildRing(nodes.map(node => memberPoints(node.name, DEFAULT_RING_WEIGHT)))
    const last = ring.points[ring.points.length - 2]!
    const keys: string[] = []
    for (let i = 0; keys.length < 20; i++) {
      const key = `tail:${i}`
      if (hash32(key) > last) keys.push(key)
    }
    const algorithm = hashRing()
    for (const key of keys) {
      for (let count = 1; count <= 7; count++) {
        const replicas = algorithm.chooseNodes!(nodes, count, { key })
        expect(replicas).toHaveLength(Math.min(count, nodes.length))
        expect(new Set(replicas.map(node => node.id)).size).toBe(replicas.length)
        expect(replicas[0]).toBe(algorithm.chooseFromNodes(nodes, { key }))
      }
    }
  })

  it('finds the same successor through its bucket index as a search of the whole ring', () => {
    const draw = seededRandom(11)
    for (const size of [1, 2, 7, 100, 1000]) {
      const ring = buildRing(testMembers(size).map(node => memberPoints(node.name, 16)))
      const plain = (hash: number): number => {
        const index = ring.points.findIndex(point => point >= hash)
        return index === -1 ? 0 : index
      }
      const hashes = [0, 1, 2 ** 32 - 1, ring.points[0]!, ring.points.at(-1)!, ...Array.from({ length: 2000 }, () => Math.floor(draw() * 2 ** 32))]
      for (const hash of hashes) expect(successor(ring, hash)).toBe(plain(hash))
    }
  })

  it('sends the same key to the same member, on every node that has the same view', () => {
    const nodes = cluster(3)
    const a = hashRing()
    const b = hashRing()
    for (let i = 0; i < 1000; i++) expect(a.chooseFromNodes(nodes, { key: `k${i}` }).id).toBe(b.chooseFromNodes(nodes, { key: `k${i}` }).id)
  })

  it("scales a member's share with its weight", () => {
    const nodes = testMembers(20, i => ({ name: `w-${i}`, weight: i === 0 ? 4 : 1 }))
    const algorithm = hashRing()
    let heavy = 0
    const keys = 100_000
    for (let i = 0; i < keys; i++) if (algorithm.chooseFromNodes(nodes, { key: `k${i}` }).name === 'w-0') heavy++
    // 4 of 23 weight units.
    expect(heavy / keys).toBeGreaterThan(0.6 * 4 / 23)
    expect(heavy / keys).toBeLessThan(1.4 * 4 / 23)
  })

  it('caps the points of a member that announces a huge weight', () => {
    // The protocol allows weights up to 10^6: uncapped, one such member would cost every node 128 million points.
    const liar = testMember(0, { name: 'liar', weight: 1_000_000 })
    expect(pointCount(liar, DEFAULT_RING_WEIGHT)).toBe(MAX_POINTS_PER_MEMBER)
    const nodes = [liar, ...testMembers(10, i => ({ name: `honest-${i}` })).slice(1)]
    const algorithm = hashRing()
    let liarKeys = 0
    for (let i = 0; i < 10_000; i++) if (algorithm.chooseFromNodes(nodes, { key: `k${i}` }).name === 'liar') liarKeys++
    // 65,536 of 65,536 + 9 × 128 points: it wins most keys, as its weight asks, but no more than the cap gives.
    const ring = buildRing(nodes.map(node => memberPoints(node.name, pointCount(node, DEFAULT_RING_WEIGHT))))
    expect(ring.points.length).toBe(MAX_POINTS_PER_MEMBER + 9 * DEFAULT_RING_WEIGHT)
    const expected = ringShares(ring, nodes.length)[0]!
    expect(expected).toBeGreaterThan(0.95)
    expect(Math.abs(liarKeys / 10_000 - expected)).toBeLessThan(0.01)
  })

  it('keeps its ring when only loads change', () => {
    const nodes = cluster(4, 10)
    const algorithm = hashRing()
    const owner = algorithm.chooseFromNodes(nodes, { key: 'stable' })
    const loaded = Object.freeze(nodes.map(node => Object.freeze({ ...node, load: node.load + 5 })))
    algorithm.onNodeChange!({ nodes: loaded, joined: [], left: [], updated: loaded })
    expect(algorithm.chooseFromNodes(loaded, { key: 'stable' }).id).toBe(owner.id)
  })
})
