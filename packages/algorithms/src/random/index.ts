import { sampleNodes } from '@meshbalancer/core'
import { randomFrom } from '../common/options.js'
import type { Member, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link random}. */
export interface RandomAlgorithmOptions extends RandomOptions {}

/**
 * Picks a member uniformly at random.
 *
 * Optimises nothing but simplicity and independence: no state, no coordination, and over many callers the load
 * spreads evenly on average, though the busiest member sees about ln n / ln ln n times the mean of n balls in n
 * bins (see `powerOfTwo` for the cure). A pick costs one random draw: O(1).
 */
export function random (options?: RandomAlgorithmOptions): SelectionAlgorithm {
  const draw = randomFrom('random', options)
  return {
    name: 'random',
    chooseFromNodes: (nodes) => nodes[(draw() * nodes.length) | 0] as Member,
    chooseNodes: (nodes, count) => sampleNodes(nodes, count, draw)
  }
}
