/** Cycles longer than this are stepped live (O(distinct weights) per pick) instead of precomputed. */
const MAX_PRECOMPUTED = 1 << 18

interface WeightClass {
  readonly weight: number
  /** Positions of this weight, ascending. */
  readonly positions: number[]
  /** Index in `positions` of the next one to pick. */
  cursor: number
  /** Picks so far of every position before the cursor minus one: the fewest picks of any position in the class. */
  round: number
}

/**
 * The smooth weighted round-robin sequence of nginx: each step adds every member's weight to its current value,
 * picks the highest (first position on ties) and subtracts the total weight from it. Member i is picked w_i times
 * per cycle of Σw picks, spread out (at every prefix its count stays within one pick of its exact share), instead
 * of in runs of w_i as when a list is expanded by weights.
 *
 * Members of equal weight move in lockstep, taking turns in position order, so a step only compares one candidate
 * per distinct weight. A cycle is precomputed when short enough, making a pick O(1).
 */
export class SmoothSchedule {
  private readonly classes: WeightClass[]
  private readonly total: number
  private readonly precomputed: Int32Array | undefined
  /** Next index in `precomputed`. */
  private cursor = 0
  /** Steps taken in the current cycle when stepping live. */
  private steps = 0

  /** @param weights - non-negative integer weight per position; zero weights are never picked. Not all zero. */
  constructor (weights: readonly number[]) {
    const divisor = weights.reduce((g, w) => (w > 0 ? gcd(g, w) : g), 0)
    const byWeight = new Map<number, number[]>()
    weights.forEach((w, position) => {
      if (w === 0) return
      const reduced = w / divisor
      const positions = byWeight.get(reduced) ?? []
      positions.push(position)
      byWeight.set(reduced, positions)
    })
    this.classes = [...byWeight].map(([weight, positions]) => ({ weight, positions, cursor: 0, round: 0 }))
    this.total = this.classes.reduce((sum, c) => sum + c.weight * c.positions.length, 0)
    if (this.total <= MAX_PRECOMPUTED) {
      this.precomputed = new Int32Array(this.total)
      for (let i = 0; i < this.total; i++) this.precomputed[i] = this.advance()
    }
  }

  /** The position to pick next. */
  next (): number {
    if (this.precomputed !== undefined) {
      const position = this.precomputed[this.cursor] as number
      this.cursor = this.cursor + 1 === this.total ? 0 : this.cursor + 1
      return position
    }
    return this.advance()
  }

  /** One step of the sequence, from the classes' state. */
  private advance (): number {
    const t = this.steps + 1
    let best: WeightClass | undefined
    let bestValue = Number.NEGATIVE_INFINITY
    let bestPosition = Number.POSITIVE_INFINITY
    for (const c of this.classes) {
      // Current value of the class's candidate: t·w minus the total weight for each of its earlier picks.
      const value = t * c.weight - this.total * c.round
      const position = c.positions[c.cursor] as number
      if (value > bestValue || (value === bestValue && position < bestPosition)) {
        best = c
        bestValue = value
        bestPosition = position
      }
    }
    const chosen = best as WeightClass
    if (++chosen.cursor === chosen.positions.length) {
      chosen.cursor = 0
      chosen.round++
    }
    if (t === this.total) {
      // A full cycle brings every current value back to zero: start over with small numbers.
      this.steps = 0
      for (const c of this.classes) c.round = 0
    } else {
      this.steps = t
    }
    return bestPosition
  }
}

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}
