import { InvalidOptionError } from '@meshbalancer/core'
import { recordLimits } from '@meshbalancer/core/protocol'
import { assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
import { SmoothSchedule } from './smooth-schedule.js'
import type { Member, NodeChange, SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link weightedRoundRobin}. */
export interface WeightedRoundRobinOptions {
  /**
   * Weights by member name or id (name first). Members not listed use their gossiped `weight` (default 1).
   * Integers from 0 to 1,000,000; 0 means "pick only when every member has weight 0".
   * @default {}
   */
  weights?: Readonly<Record<string, number>> | ReadonlyMap<string, number>
}

/**
 * Smooth weighted round robin (the sequence nginx uses): over each cycle of Σw picks, member i is picked w_i times,
 * interleaved rather than in runs, so that at every moment each member's count is within one pick of its share.
 *
 * Optimises proportional fairness for members of unequal capacity with no feedback from load. The cycle is
 * precomputed when membership or weights change, so a pick costs O(1); load changes cost nothing.
 */
export function weightedRoundRobin (options?: WeightedRoundRobinOptions): SelectionAlgorithm {
  assertKnownOptions('weightedRoundRobin', options, ['weights'])
  const configured = validateWeights(options?.weights ?? {})
  const weightOf = (member: Member): number => configured.get(member.name) ?? configured.get(member.id) ?? member.weight
  let indexed: readonly Member[] | undefined
  let schedule: SmoothSchedule | undefined
  let weights = new Map<string, number>()

  function rebuild (nodes: readonly Member[]): void {
    weights = new Map(nodes.map(node => [node.id, weightOf(node)]))
    const list = nodes.map(weightOf)
    // When every member asks for nothing, nothing is better than refusing to pick: share equally.
    schedule = new SmoothSchedule(list.some(w => w > 0) ? list : list.map(() => 1))
    indexed = nodes
  }

  function adopt (nodes: readonly Member[], change: NodeChange): void {
    const sameWeights = change.joined.length === 0 && change.left.length === 0 &&
      change.updated.every(member => weightOf(member) === weights.get(member.id))
    if (sameWeights && indexed?.length === nodes.length) indexed = nodes
    else rebuild(nodes)
  }

  return {
    name: 'weightedRoundRobin',
    chooseFromNodes (nodes) {
      if (nodes !== indexed) rebuild(nodes)
      return nodes[(schedule as SmoothSchedule).next()] as Member
    },
    onNodeChange (change) {
      adopt(change.nodes, change)
    }
  }
}

function validateWeights (weights: Readonly<Record<string, number>> | ReadonlyMap<string, number>): ReadonlyMap<string, number> {
  if (typeof weights !== 'object' || weights === null) {
    throw new InvalidOptionError('weightedRoundRobin.weights', 'expected an object or a Map of weights by member name or id')
  }
  const entries = weights instanceof Map ? [...weights] : Object.entries(weights)
  for (const [key, weight] of entries) {
    assertInteger(`weightedRoundRobin.weights.${String(key)}`, weight, 0, recordLimits.MAX_WEIGHT)
  }
  return new Map(entries)
}
