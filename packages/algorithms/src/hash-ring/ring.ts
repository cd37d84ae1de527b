import { hash32 } from '../common/hash.js'
import type { Member } from '@meshbalancer/core'

/** Positions are packed below the hash in one float64 sort key; 2^21 members is far beyond any cluster. */
const POSITION_BITS = 2 ** 21

/**
 * An immutable consistent-hash ring: sorted 32-bit points, each owned by a position in the nodes array it was
 * built from. Rebuilt (not mutated) when membership or weights change.
 *
 * `buckets` indexes the points by the top `32 - shift` bits of their value, about one bucket per point:
 * `buckets[b]` is the first point whose top bits are ≥ b. A lookup then searches one bucket (a point or two)
 * instead of the whole ring, which keeps its cost flat as the ring outgrows the processor's caches.
 */
export interface Ring {
  /** Sorted points. */
  readonly points: Uint32Array
  /** Owner position of each point. */
  readonly owners: Int32Array
  /** Point and owner side by side ([p0, o0, p1, o1, …]), so that a lookup finds both in one cache line. */
  readonly entries: Uint32Array
  readonly buckets: Uint32Array
  readonly shift: number
}

/**
 * Where a member's points sit: `hash32("<name>-<i>")` for i in [0, count). Keyed by name, not peer id, so that a
 * node restarted under a new identity keeps its keys. Cached by the caller across rebuilds.
 */
export function memberPoints (name: string, count: number): Uint32Array {
  const points = new Uint32Array(count)
  for (let i = 0; i < count; i++) points[i] = hash32(`${name}-${i}`)
  return points
}

/**
 * Builds a ring from each node's points. Equal points (rare) are ordered by position, which follows member id,
 * so every node with the same view builds the same ring.
 */
export function buildRing (pointsOf: ReadonlyArray<Uint32Array>): Ring {
  let total = 0
  for (const points of pointsOf) total += points.length
  const keys = new Float64Array(total)
  let next = 0
  pointsOf.forEach((points, position) => {
    for (const point of points) keys[next++] = point * POSITION_BITS + position
  })
  keys.sort()
  const points = new Uint32Array(total)
  const owners = new Int32Array(total)
  const entries = new Uint32Array(2 * total)
  for (let i = 0; i < total; i++) {
    const key = keys[i] as number
    points[i] = entries[2 * i] = Math.floor(key / POSITION_BITS)
    owners[i] = entries[2 * i + 1] = key % POSITION_BITS
  }
  const bits = Math.min(20, Math.max(1, Math.ceil(Math.log2(Math.max(total, 2)))))
  const shift = 32 - bits
  const buckets = new Uint32Array((1 << bits) + 1)
  let point = 0
  for (let bucket = 0; bucket <= 1 << bits; bucket++) {
    while (point < total && (points[point] as number) >>> shift < bucket) point++
    buckets[bucket] = point
  }
  return { points, owners, entries, buckets, shift }
}

/** Index of the first point at or after `hash`, wrapping to 0 past the last point. */
export function successor (ring: Ring, hash: number): number {
  const { entries, buckets } = ring
  const bucket = hash >>> ring.shift
  let low = buckets[bucket] as number
  let high = buckets[bucket + 1] as number
  while (low < high) {
    const mid = (low + high) >>> 1
    if ((entries[2 * mid] as number) < hash) low = mid + 1
    else high = mid
  }
  return low === ring.points.length ? 0 : low
}

/** The owner (position) of the first point at or after `hash`: a key's primary. */
export function ownerOf (ring: Ring, hash: number): number {
  const index = successor(ring, hash)
  return ring.entries[2 * index + 1] as number
}

/**
 * Up to `count` distinct owners walking clockwise from `start`, the first being the key's primary. Visits each
 * point at most once, so it returns every member when count exceeds them, whatever sits near the ring's end.
 */
export function distinctOwners (ring: Ring, start: number, count: number, nodeCount: number): number[] {
  const owners: number[] = []
  const seen = new Uint8Array(nodeCount)
  const total = ring.points.length
  const wanted = Math.min(count, nodeCount)
  for (let step = 0; step < total && owners.length < wanted; step++) {
    const owner = ring.owners[(start + step) % total] as number
    if (seen[owner] === 0) {
      seen[owner] = 1
      owners.push(owner)
    }
  }
  return owners
}

/** The share of the 2^32 continuum owned by each position (the arc ending at each of its points). */
export function ringShares (ring: Ring, nodeCount: number): number[] {
  const shares = new Array<number>(nodeCount).fill(0)
  const { points, owners } = ring
  const total = points.length
  for (let i = 0; i < total; i++) {
    const previous = i === 0 ? (points[total - 1] as number) - 2 ** 32 : points[i - 1] as number
    shares[owners[i] as number]! += ((points[i] as number) - previous) / 2 ** 32
  }
  return shares
}

/**
 * The most points one member gets, whatever weight it announces: a member may claim any weight up to the
 * protocol's bound (10^6), and every node would otherwise build a ring of billions of points for it. At the
 * default of 128 points per unit, weights above 512 count as 512.
 */
export const MAX_POINTS_PER_MEMBER = 65_536

/** Points per member: `weight` scaled by the member's own weight, at least one, at most {@link MAX_POINTS_PER_MEMBER}. */
export function pointCount (member: Member, weight: number): number {
  return Math.min(MAX_POINTS_PER_MEMBER, Math.max(1, Math.round(weight * member.weight)))
}
