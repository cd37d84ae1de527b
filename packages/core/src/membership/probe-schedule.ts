import { randomIndex } from '../random.js'
import type { RandomSource } from '../random.js'

/**
 * The order in which this node probes the other members: each member once per pass, passes in a fresh random
 * order (SWIM's round-robin over a shuffled list). A failed member is probed within one pass of failing, and a
 * pass costs O(1) per probe, amortised: the reshuffle at the end of a pass is O(n) once per n probes.
 *
 * A member that joins goes to a random place in the rest of the current pass, so that it is probed in this pass
 * and newcomers do not all go last; a member that leaves is skipped when its turn comes (no O(n) removal).
 */
export class ProbeSchedule {
  private readonly members = new Set<string>()
  private order: string[] = []
  private index = 0

  constructor (private readonly random: RandomSource) {}

  /** The number of members probed in turn. */
  get size (): number {
    return this.members.size
  }

  add (id: string): void {
    if (this.members.has(id)) return
    this.members.add(id)
    const at = this.index + randomIndex(this.random, this.order.length - this.index + 1)
    this.order.splice(at, 0, id)
  }

  remove (id: string): void {
    this.members.delete(id)
  }

  has (id: string): boolean {
    return this.members.has(id)
  }

  /** The next member to probe, or undefined when there is none. */
  next (): string | undefined {
    if (this.members.size === 0) return undefined
    for (;;) {
      if (this.index >= this.order.length) this.reshuffle()
      const id = this.order[this.index++]
      if (id !== undefined && this.members.has(id)) return id
    }
  }

  /** Up to `count` members picked at random, none of them in `except`: the helpers of an indirect probe. */
  pick (count: number, except: ReadonlySet<string>): string[] {
    const candidates = [...this.members].filter(id => !except.has(id))
    // A partial Fisher–Yates: O(n) to list the candidates, once per failed probe only.
    const picked: string[] = []
    for (let i = 0; i < candidates.length && picked.length < count; i++) {
      const j = i + randomIndex(this.random, candidates.length - i)
      const chosen = candidates[j] as string
      candidates[j] = candidates[i] as string
      picked.push(chosen)
    }
    return picked
  }

  private reshuffle (): void {
    const order = [...this.members]
    for (let i = order.length - 1; i > 0; i--) {
      const j = randomIndex(this.random, i + 1)
      const swap = order[i] as string
      order[i] = order[j] as string
      order[j] = swap
    }
    this.order = order
    this.index = 0
  }
}
