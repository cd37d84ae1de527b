import { sampleNodes } from '@meshbalancer/core'
import { randomFrom } from '../common/options.js'
import { TrackedNodes } from '../common/tracked-nodes.js'
import type { Member, NodeChange, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link leastLatency}. */
export interface LeastLatencyOptions extends RandomOptions {}

/**
 * Prefers members that answer fast, weighted by the calls already in flight to them: samples two distinct members
 * and picks the lower cost, where cost = (latencyMs + eventLoopLagMs) × (calls in flight + 1), the latency-weighted
 * load of Finagle's peak-EWMA balancer. Latency is this node's round trip to the member; event-loop lag is the
 * member's own, gossiped, and is how long a request waits there before its handler runs, which a round trip
 * measured now and then misses on a member that is busy in bursts. Members whose latency is still unknown win
 * every comparison, so each newcomer is tried (about 2/n of picks) until its first measurement.
 *
 * Optimises response time. Comparing two random members instead of taking the single fastest keeps every node of
 * the cluster, all of which see the same fast member, from converging on it at once; the fastest of n members gets
 * about 2/n of picks and the slowest none. Latency comes from the cluster's probes (`member.latencyMs`); calls in
 * flight from picks not yet released (`call` releases by itself). A pick costs O(1).
 */
export function leastLatency (options?: LeastLatencyOptions): SelectionAlgorithm {
  const draw = randomFrom('leastLatency', options)
  const tracked = new TrackedNodes()
  /**
   * latencyMs + eventLoopLagMs per position, or -1 while the latency is unknown: kept beside the calls in flight so
   * that a pick reads two typed arrays, not two fields of member objects scattered in memory (at n = 1000 those
   * reads cost more than the rest of the pick).
   */
  let responseMs = new Float64Array(0)

  function adopt (nodes: readonly Member[], change?: NodeChange): void {
    const adoption = tracked.adopt(nodes, change)
    if (adoption === 'membership') {
      responseMs = new Float64Array(nodes.length)
      for (let position = 0; position < nodes.length; position++) responseMs[position] = responseOf(nodes[position]!)
    } else if (adoption === 'contents' && change !== undefined) {
      for (const member of change.updated) {
        const position = tracked.position(member.id)
        if (position !== undefined) responseMs[position] = responseOf(member)
      }
    }
  }

  function cost (position: number): number {
    const response = responseMs[position] as number
    return response < 0 ? -1 : response * ((tracked.inFlight[position] as number) + 1)
  }

  return {
    name: 'leastLatency',
    chooseFromNodes (nodes) {
      if (nodes !== tracked.nodes) adopt(nodes)
      const count = nodes.length
      let pick = 0
      if (count > 1) {
        const first = (draw() * count) | 0
        let second = (draw() * (count - 1)) | 0
        if (second >= first) second++
        const firstCost = cost(first)
        const secondCost = cost(second)
        const tie = firstCost === secondCost && tracked.inFlight[second]! < tracked.inFlight[first]!
        pick = secondCost < firstCost || tie ? second : first
      }
      tracked.acquire(pick)
      return nodes[pick] as Member
    },
    chooseNodes: (nodes, count) => sampleNodes(nodes, count, draw),
    onNodeChange (change) {
      adopt(change.nodes, change)
    },
    releaseNode (node) {
      tracked.release(node)
    }
  }
}

/** What a member's cost is made of before its calls in flight: -1 while its latency is unknown. */
function responseOf (member: Member): number {
  return member.latencyMs === undefined ? -1 : member.latencyMs + member.eventLoopLagMs
}
