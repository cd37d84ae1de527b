/**
 * False claims held against their claimants. A strike lasts `decayMs`; a claimant with `limit` strikes alive is
 * not believed any more (its claims are refused, reason `false-claims`) until enough of them decay. Bounded: at most
 * `limit` strikes are kept per claimant, and claimants whose strikes all decayed are forgotten by `prune`.
 */
export class Strikes {
  private readonly strikes = new Map<string, number[]>()

  constructor (private readonly decayMs: number, private readonly limit: number) {}

  /** Adds a strike; true when it brings the claimant to the limit (the moment to score it down). */
  add (claimant: string, now: number): boolean {
    const live = this.live(claimant, now)
    live.push(now)
    if (live.length > this.limit) live.shift()
    this.strikes.set(claimant, live)
    return live.length === this.limit
  }

  count (claimant: string, now: number): number {
    return this.live(claimant, now).length
  }

  /** True when the claimant has `limit` strikes alive. */
  banned (claimant: string, now: number): boolean {
    return this.count(claimant, now) >= this.limit
  }

  prune (now: number): void {
    for (const claimant of [...this.strikes.keys()]) {
      if (this.live(claimant, now).length === 0) this.strikes.delete(claimant)
    }
  }

  private live (claimant: string, now: number): number[] {
    const all = this.strikes.get(claimant)
    if (all === undefined) return []
    const live = all.filter(at => now - at < this.decayMs)
    if (live.length !== all.length) this.strikes.set(claimant, live)
    return live
  }
}
