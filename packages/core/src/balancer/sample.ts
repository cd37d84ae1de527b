import type { Member, RandomSource } from '@meshbalancer/core'

/** `count` distinct members drawn uniformly (a partial Fisher–Yates shuffle of a copy); all of them when fewer. */
export function sampleNodes (nodes: readonly Member[], count: number, random: RandomSource): Member[] {
  const size = Math.min(count, nodes.length)
  const pool = [...nodes]
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (pool.length - i))
    const picked = pool[j] as Member
    pool[j] = pool[i] as Member
    pool[i] = picked
  }
  pool.length = size
  return pool
}
