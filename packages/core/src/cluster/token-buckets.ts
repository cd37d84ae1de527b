import type { Clock } from '../clock.js'

interface Bucket {
  tokens: number
  at: number
}

/** A token bucket per key: `ratePerSecond` sustained, up to `burst` at once. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor (private readonly clock: Clock, private readonly ratePerSecond: number, private readonly burst: number) {}

  /** Takes a token from `key`'s bucket; false when it is empty. */
  take (key: string): boolean {
    const now = this.clock.now()
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) / 1000 * this.ratePerSecond)
    bucket.at = now
    this.buckets.set(key, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  /** Forgets keys not used for `idleMs`, so that the map does not grow with departed peers. */
  prune (idleMs: number): void {
    const now = this.clock.now()
    for (const [key, bucket] of this.buckets) if (now - bucket.at > idleMs) this.buckets.delete(key)
  }
}
