import { hashRing, leastConnections, leastLatency, powerOfTwo, random, roundRobin, weightedRoundRobin } from '@meshbalancer/algorithms'
import type { SelectionAlgorithm } from '@meshbalancer/core'

/** The built-in algorithms `--algorithm` chooses from, each with its defaults. */
export const ALGORITHMS = {
  powerOfTwo,
  random,
  roundRobin,
  leastConnections,
  hashRing,
  weightedRoundRobin,
  leastLatency
} as const satisfies Record<string, () => SelectionAlgorithm>

export type AlgorithmName = keyof typeof ALGORITHMS

/** The algorithm the node's balancers use when `--algorithm` is not given. */
export const DEFAULT_ALGORITHM: AlgorithmName = 'powerOfTwo'

/** Whether `name` is one of {@link ALGORITHMS}. */
export function isAlgorithmName (name: string): name is AlgorithmName {
  return Object.hasOwn(ALGORITHMS, name)
}
