import type { Member, NodeChange } from '@meshbalancer/core'

const EMPTY: readonly Member[] = Object.freeze([])

/** How {@link TrackedNodes.adopt} related a nodes array to the previous one. */
export type Adoption = 'same' | 'contents' | 'membership'

/**
 * The nodes array an algorithm indexes, with per-member calls in flight and load stored by position in typed
 * arrays (a pick touches no map and no member object), carried over by id when membership changes.
 */
export class TrackedNodes {
  nodes: readonly Member[] = EMPTY
  /** Calls in flight per position: picks not yet released. */
  inFlight = new Int32Array(0)
  /** Gossiped load plus calls in flight, per position. */
  score = new Float64Array(0)
  private positions = new Map<string, number>()

  /**
   * Adopts `nodes`. With a change whose `joined` and `left` are empty, positions stay valid and only the array
   * is swapped (`contents`); otherwise positions are rebuilt by id (`membership`), which also covers arrays the
   * algorithm was never told about.
   */
  adopt (nodes: readonly Member[], change?: NodeChange): Adoption {
    if (nodes === this.nodes) return 'same'
    if (change !== undefined && change.nodes === nodes && change.joined.length === 0 && change.left.length === 0 &&
      nodes.length === this.nodes.length) {
      this.nodes = nodes
      for (const member of change.updated) {
        const position = this.positions.get(member.id)
        if (position !== undefined) this.score[position] = member.load + (this.inFlight[position] as number)
      }
      return 'contents'
    }
    const positions = new Map<string, number>()
    const inFlight = new Int32Array(nodes.length)
    const score = new Float64Array(nodes.length)
    nodes.forEach((node, position) => {
      positions.set(node.id, position)
      const previous = this.positions.get(node.id)
      if (previous !== undefined) inFlight[position] = this.inFlight[previous] ?? 0
      score[position] = node.load + (inFlight[position] as number)
    })
    this.nodes = nodes
    this.positions = positions
    this.inFlight = inFlight
    this.score = score
    return 'membership'
  }

  /** Counts a pick of the member at `position` as a call in flight. */
  acquire (position: number): void {
    this.inFlight[position]!++
    this.score[position]!++
  }

  position (id: string): number | undefined {
    return this.positions.get(id)
  }

  /** Decrements the calls in flight of `node`; returns its position, or undefined when unknown or at zero. */
  release (node: Member): number | undefined {
    const position = this.positions.get(node.id)
    if (position === undefined || (this.inFlight[position] ?? 0) === 0) return undefined
    this.inFlight[position]!--
    this.score[position]!--
    return position
  }
}
