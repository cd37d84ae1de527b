import { sampleNodes } from '@meshbalancer/core'
import { randomFrom } from '../common/options.js'
import { TrackedNodes } from '../common/tracked-nodes.js'
import type { Member, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link powerOfTwo}. */
export interface PowerOfTwoOptions extends RandomOptions {}

/**
 * Samples two distinct members at random and picks the less loaded one (the power of two choices).
 *
 * Optimises the maximum load at constant cost: with n picks over n members the busiest one carries
 * ln ln n / ln 2 + O(1), against ln n / ln ln n for `random` (Azar, Broder, Karlin, Upfal 1994), without the herd
 * effect of always choosing the single least loaded member when many callers share a stale view.
 * Load is the member's gossiped load plus this node's picks not yet released. A pick costs two random draws: O(1).
 */
export function powerOfTwo (options?: PowerOfTwoOptions): SelectionAlgorithm {
  const draw = randomFrom('powerOfTwo', options)
  const tracked = new TrackedNodes()
  return {
    name: 'powerOfTwo',
    chooseFromNodes (nodes) {
      if (nodes !== tracked.nodes) tracked.adopt(nodes)
      const count = nodes.length
      let pick = 0
      if (count > 1) {
        // Integer indices (`| 0`) and no branch on the random outcomes: both comparisons go either way half the
        // time, and a mispredicted branch costs more than the rest of the pick.
        const first = (draw() * count) | 0
        let second = (draw() * (count - 1)) | 0
        second += (first - second - 1) >>> 31 // skip over `first`: the two are distinct
        const score = tracked.score
        pick = first + (second - first) * (((score[second] as number) < (score[first] as number)) as unknown as number)
      }
      tracked.acquire(pick)
      return nodes[pick] as Member
    },
    chooseNodes: (nodes, count) => sampleNodes(nodes, count, draw),
    onNodeChange (change) {
      tracked.adopt(change.nodes, change)
    },
    releaseNode (node) {
      tracked.release(node)
    }
  }
}
