import { sampleNodes } from '@meshbalancer/core'
import { randomFrom } from '../common/options.js'
import { ScoreBuckets } from '../common/score-buckets.js'
import { TrackedNodes } from '../common/tracked-nodes.js'
import type { Member, NodeChange, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link leastConnections}. */
export interface LeastConnectionsOptions extends RandomOptions {}

/**
 * Picks the least loaded member; ties are broken uniformly at random, so equal members share work evenly.
 *
 * Optimises the load of the busiest member when this node's view is fresh. Load is the member's gossiped load plus
 * this node's picks not yet released (`releaseNode`; `call` releases by itself). Many callers with the same stale
 * view all choose the same member until the next gossip; prefer `powerOfTwo` when callers are many and loads move
 * fast. Members are kept in buckets by load, so a pick costs O(1) amortised, not a scan.
 */
export function leastConnections (options?: LeastConnectionsOptions): SelectionAlgorithm {
  const draw = randomFrom('leastConnections', options)
  const tracked = new TrackedNodes()
  const buckets = new ScoreBuckets()
  const loadAt = (position: number): number => tracked.score[position] as number

  function adopt (nodes: readonly Member[], change?: NodeChange): void {
    const adoption = tracked.adopt(nodes, change)
    if (adoption === 'membership') {
      buckets.reset(nodes.length, loadAt)
    } else if (adoption === 'contents') {
      for (const member of change?.updated ?? []) {
        const position = tracked.position(member.id)
        if (position !== undefined) buckets.move(position, loadAt(position))
      }
    }
  }

  return {
    name: 'leastConnections',
    chooseFromNodes (nodes) {
      if (nodes !== tracked.nodes) adopt(nodes)
      const position = buckets.pickLowest(draw)
      tracked.acquire(position)
      buckets.move(position, loadAt(position))
      return nodes[position] as Member
    },
    chooseNodes: (nodes, count) => sampleNodes(nodes, count, draw),
    onNodeChange (change) {
      adopt(change.nodes, change)
    },
    releaseNode (node) {
      const position = tracked.release(node)
      if (position !== undefined) buckets.move(position, loadAt(position))
    }
  }
}
