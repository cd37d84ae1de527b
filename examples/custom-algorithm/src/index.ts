/**
 * An algorithm from outside @meshbalancer/algorithms, as a user would write one: the least loaded member among
 * those carrying a tag (say, the servers of one zone), falling back to all members when none carries it.
 *
 * @packageDocumentation
 */
import { InvalidOptionError } from '@meshbalancer/core'
import { assertKnownOptions, assertName } from '@meshbalancer/core/options'
import type { Member, RandomOptions, SelectionAlgorithm } from '@meshbalancer/core'

export interface LeastLoadedTaggedOptions extends RandomOptions {
  /** The tag to look at, for example `zone`. */
  tag: string
  /** The value members must have, for example `eu-west-1a`. */
  value: string
}

/**
 * Picks the least loaded member (gossiped load plus this node's picks not yet released) among those whose
 * `tags[tag]` is `value`; ties are broken at random. When no member has the tag, it picks among all, so a
 * balancer never fails for want of a tagged member.
 *
 * A pick scans the members: O(n). Fine for the tens of servers of a zone; the built-in algorithms keep indexes
 * for large groups.
 */
export function leastLoadedTagged (options: LeastLoadedTaggedOptions): SelectionAlgorithm {
  assertKnownOptions('leastLoadedTagged', options, ['tag', 'value', 'random'])
  const tag = assertName('leastLoadedTagged.tag', options?.tag)
  const value = options.value
  if (typeof value !== 'string') throw new InvalidOptionError('leastLoadedTagged.value', 'expected a string')
  const random = options.random ?? Math.random
  const inFlight = new Map<string, number>()

  return {
    name: 'leastLoadedTagged',
    chooseFromNodes (nodes) {
      const tagged = nodes.filter(node => node.tags[tag] === value)
      const candidates = tagged.length > 0 ? tagged : nodes
      let best: Member[] = []
      let lowest = Number.POSITIVE_INFINITY
      for (const node of candidates) {
        const load = node.load + (inFlight.get(node.id) ?? 0)
        if (load < lowest) {
          lowest = load
          best = [node]
        } else if (load === lowest) {
          best.push(node)
        }
      }
      const chosen = best[Math.floor(random() * best.length)] as Member
      inFlight.set(chosen.id, (inFlight.get(chosen.id) ?? 0) + 1)
      return chosen
    },
    onNodeChange ({ left }) {
      for (const node of left) inFlight.delete(node.id)
    },
    releaseNode (node) {
      const count = inFlight.get(node.id) ?? 0
      if (count <= 1) inFlight.delete(node.id)
      else inFlight.set(node.id, count - 1)
    }
  }
}
