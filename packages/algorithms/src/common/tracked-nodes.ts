import type { Member, NodeChange } from '@meshbalancer/core'

const EMPTY: readonly Member[] = Object.freeze([])

/** How {@link TrackedNodes.adopt} related a nodes array to the previous one. */
export type Adoption = 'same' | 'contents' | 'membership'

/**
 * The nodes array an algorithm indexes, with per-member calls in flight stored by position (a typed array, so a
 * pick touches no map) and carried over by id when membership changes.
 */
export class TrackedNodes {
  nodes: readonly Member[] = EMPTY
  /** Calls in flight per position: picks not yet released. */
  inFlight = new Int32Array(0)
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
      return 'contents'
    }
    const positions = new Map<string, number>()
    const inFlight = new Int32Array(nodes.length)
    nodes.forEach((node, position) => {
      positions.set(node.id, position)
      const previous = this.positions.get(node.id)
      if (previous !== undefined) inFlight[position] = this.inFlight[previous] ?? 0
    })
    this.nodes = nodes
    this.positions = positions
    this.inFlight = inFlight
    return 'membership'
  }

  position (id: string): number | undefined {
    return this.positions.get(id)
  }

  /** Decrements the calls in flight of `node`; returns its position, or undefined when unknown or at zero. */
  release (node: Member): number | undefined {
    const position = this.positions.get(node.id)
    if (position === undefined || (this.inFlight[position] ?? 0) === 0) return undefined
    this.inFlight[position]!--
    return position
  }
}
