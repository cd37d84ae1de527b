import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

/** A source of uniform numbers in [0, 1), like `Math.random`. Injected wherever tests need determinism. */
export type RandomSource = () => number

/**
 * A seeded {@link RandomSource} (xoroshiro128+ from pure-rand, 32 bits per draw). The same seed always yields the
 * same sequence, which is what tests, the simulator and benchmark fixtures rely on.
 */
export function seededRandom (seed: number): RandomSource {
  const rng = xoroshiro128plus(seed)
  return () => (rng.next() >>> 0) / 0x1_0000_0000
}

/** A uniform integer in [0, n) drawn from `random`. */
export function randomIndex (random: RandomSource, n: number): number {
  return Math.floor(random() * n)
}
