/**
 * When a change of load is worth a record (docs/PROTOCOL.md, "When records are published"). Loads are a group's
 * load (the application's `setLoad`, or the calls in flight that this node serves for the group) and the event
 * loop's lag; each is compared with the value in the last record this node published. Shedding counts are not
 * judged here: any change of a count is published (within the load budget), as shedders compare counts exactly.
 */
export interface LoadChangeRule {
  /** A load change is significant when |new − published| is at least this… */
  readonly loadChangeMin: number
  /** …and at least this share of the published value. */
  readonly loadChangeRatio: number
  /** A lag change is significant when |new − published| is at least this many milliseconds… */
  readonly lagChangeMinMs: number
  /** …and at least this share of the published lag. */
  readonly lagChangeRatio: number
}

/** True when `value` differs from `published` by at least max(`min`, `ratio` × `published`). */
export function significant (value: number, published: number, min: number, ratio: number): boolean {
  return Math.abs(value - published) >= Math.max(min, ratio * published)
}

/** True when a group's load moved far enough from the published one to be published. */
export function significantLoad (rule: LoadChangeRule, value: number, published: number): boolean {
  return significant(value, published, rule.loadChangeMin, rule.loadChangeRatio)
}

/** True when the event loop's lag moved far enough from the published one to be published. */
export function significantLag (rule: LoadChangeRule, value: number, published: number): boolean {
  return significant(value, published, rule.lagChangeMinMs, rule.lagChangeRatio)
}
