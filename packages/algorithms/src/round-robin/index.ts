import { assertKnownOptions } from '@meshbalancer/core/options'
import type { Member, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link roundRobin}; it has none yet, and rejects unknown ones. */
export interface RoundRobinOptions {}

/**
 * Cycles through the members in id order.
 *
 * Optimises fairness of counts: over k·n picks each of n members is picked exactly k times. It ignores load, so it
 * suits members of equal capacity serving requests of equal cost. A pick costs O(1). After a membership change the
 * cycle continues from the same position in the new list.
 */
export function roundRobin (options?: RoundRobinOptions): SelectionAlgorithm {
  assertKnownOptions('roundRobin', options, [])
  let cursor = 0
  return {
    name: 'roundRobin',
    chooseFromNodes (nodes) {
      if (cursor >= nodes.length) cursor = 0
      return nodes[cursor++] as Member
    }
  }
}
