import { sampleNodes } from '@meshbalancer/core'
import { assertInteger } from '@meshbalancer/core/options'
import { hash32 } from '../common/hash.js'
import { randomFrom } from '../common/options.js'
import { buildRing, distinctOwners, memberPoints, ownerOf, pointCount, successor } from './ring.js'
import type { Ring } from './ring.js'
import type { Member, NodeChange, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

/** Default points per member, as in libring. */
export const DEFAULT_RING_WEIGHT = 128

/** Options of {@link hashRing}. */
export interface HashRingOptions extends RandomOptions {
  /**
   * Points per member of weight 1; a member of weight w gets round(weight·w) points (at least one, at most
   * 65,536, so that a member announcing a huge weight cannot make every node build a huge ring; a `weight` near
   * that cap leaves members' own weights little room). More points
   * spread keys more evenly (each member's share deviates by about 1/√weight of the mean) and cost memory and
   * rebuild time.
   * @default 128
   */
  weight?: number
}

/**
 * Consistent hashing: maps a key (`options.key`) to the member owning the first point clockwise from the key's
 * hash on a ring of 2^32 (FNV-1a of UTF-8, finalised), so the same key reaches the same member while membership is stable,
 * and a join or leave moves only the keys of the arcs that change hands: about 1/(n+1) of them on a join.
 * `chooseNodes` returns the primary followed by the next distinct members clockwise, for replicas.
 * Without a key a pick is random.
 *
 * A pick costs one hash of the key and a search within one bucket of the ring: O(1) expected. The ring is rebuilt, not patched,
 * when membership or weights change, with each member's points cached by name.
 */
export function hashRing (options?: HashRingOptions): SelectionAlgorithm {
  const draw = randomFrom('hashRing', options, ['weight'])
  const weight = assertInteger('hashRing.weight', options?.weight ?? DEFAULT_RING_WEIGHT, 1, 65_536)
  let indexed: readonly Member[] | undefined
  let ring: Ring = buildRing([])
  let pointCache = new Map<string, Uint32Array>()
  let pointCounts = new Map<string, number>()

  function rebuild (nodes: readonly Member[]): void {
    const cache = new Map<string, Uint32Array>()
    pointCounts = new Map()
    const pointsOf = nodes.map(node => {
      const count = pointCount(node, weight)
      pointCounts.set(node.id, count)
      const cacheKey = `${count}:${node.name}`
      const points = pointCache.get(cacheKey) ?? cache.get(cacheKey) ?? memberPoints(node.name, count)
      cache.set(cacheKey, points)
      return points
    })
    pointCache = cache
    ring = buildRing(pointsOf)
    indexed = nodes
  }

  function adopt (nodes: readonly Member[], change?: NodeChange): void {
    const onlyContents = change !== undefined && change.joined.length === 0 && change.left.length === 0 &&
      change.updated.every(member => pointCount(member, weight) === pointCounts.get(member.id))
    // Loads and latencies do not move points: keep the ring and only adopt the new array.
    if (onlyContents && indexed?.length === nodes.length) indexed = nodes
    else rebuild(nodes)
  }

  return {
    name: 'hashRing',
    chooseFromNodes (nodes, { key }) {
      if (key === undefined) return nodes[(draw() * nodes.length) | 0] as Member
      if (nodes !== indexed) rebuild(nodes)
      return nodes[ownerOf(ring, hash32(key))] as Member
    },
    chooseNodes (nodes, count, { key }) {
      if (key === undefined) return sampleNodes(nodes, count, draw)
      if (nodes !== indexed) rebuild(nodes)
      return distinctOwners(ring, successor(ring, hash32(key)), count, nodes.length).map(position => nodes[position] as Member)
    },
    onNodeChange (change) {
      adopt(change.nodes, change)
    }
  }
}
