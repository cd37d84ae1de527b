import TinyQueue from 'tinyqueue'
import type { RandomSource } from '@meshbalancer/core'

/**
 * Positions grouped by integer score, answering "a uniformly random position among the lowest score" and moving a
 * position to another score in O(1) amortised time, whatever the number of positions. A lazy min-heap holds the
 * scores that have (or had) a bucket; empty buckets are discarded when they reach its top.
 */
export class ScoreBuckets {
  private readonly buckets = new Map<number, number[]>()
  private heap = new TinyQueue<number>([], (a, b) => a - b)
  private readonly queued = new Set<number>()
  private scoreOf = new Float64Array(0)
  private slotOf = new Int32Array(0)

  /** Starts over with `count` positions, position i at `score(i)`. */
  reset (count: number, score: (position: number) => number): void {
    this.buckets.clear()
    this.queued.clear()
    this.heap = new TinyQueue<number>([], (a, b) => a - b)
    this.scoreOf = new Float64Array(count)
    this.slotOf = new Int32Array(count)
    for (let position = 0; position < count; position++) this.insert(position, score(position))
  }

  /** A uniformly random position among those with the lowest score. There must be at least one position. */
  pickLowest (random: RandomSource): number {
    for (;;) {
      const lowest = this.heap.peek() as number
      const bucket = this.buckets.get(lowest)
      if (bucket !== undefined && bucket.length > 0) {
        return bucket.length === 1 ? bucket[0] as number : bucket[Math.floor(random() * bucket.length)] as number
      }
      this.heap.pop()
      this.queued.delete(lowest)
      this.buckets.delete(lowest)
    }
  }

  /** Moves `position` to `score`. */
  move (position: number, score: number): void {
    if (this.scoreOf[position] === score) return
    this.remove(position)
    this.insert(position, score)
  }

  private insert (position: number, score: number): void {
    let bucket = this.buckets.get(score)
    if (bucket === undefined) {
      bucket = []
      this.buckets.set(score, bucket)
    }
    if (!this.queued.has(score)) {
      this.queued.add(score)
      this.heap.push(score)
    }
    this.scoreOf[position] = score
    this.slotOf[position] = bucket.length
    bucket.push(position)
  }

  private remove (position: number): void {
    const bucket = this.buckets.get(this.scoreOf[position] as number) as number[]
    const slot = this.slotOf[position] as number
    const last = bucket.pop() as number
    if (last !== position) {
      bucket[slot] = last
      this.slotOf[last] = slot
    }
  }
}
