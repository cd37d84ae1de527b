import { InvalidOptionError } from '../errors.js'
import { assertInteger, assertNumber } from '../options.js'

/**
 * How a shedder decides (**contract** for the five knobs of ClusterLoadBalancer; `mode` is meshbalancer's).
 */
export interface ShedKnobs {
  /**
   * How far above the mean a node's count may be before it sheds, in percent of the mean. In parallel mode a
   * member as far below the mean also triggers shedding by those above it.
   * @default 25
   */
  allowedAverageDeviationPercent: number
  /**
   * Share of what the rule allows that a node sheds in one round, in percent; below 100 damps the response to
   * counts that may be stale. Exact mode applies it to the node's excess above the mean, as ClusterLoadBalancer
   * does (default 50). Parallel mode applies it to the node's share of the moves, which never exceeds what the
   * members below the mean can take and is computed by all from the same counts, so nothing needs damping there
   * (default 100): it then converges in a round or two when clients follow the reconnect hints.
   * @default 50 in exact mode, 100 in parallel mode
   */
  shedPercentage: number
  /** Most connections a node sheds in one round. @default 100 */
  maxShedCount: number
  /** A round that would shed fewer than this sheds nothing. @default 10 */
  minShedCount: number
  /** Time between two rounds of a node. @default 10 */
  roundDurationSeconds: number
  /**
   * How often `count()` is polled between rounds, in milliseconds; a count that changed is announced at once
   * (publishes are coalesced within the cluster's `minPublishIntervalMs`). It bounds the age of the counts the
   * other members decide from, whether or not the service calls `announce()`: a member's count in a decision was
   * taken at most `countIntervalMs + minPublishIntervalMs` before its record left it.
   * @default a tenth of the round, between 50 and 1000 ms (1000 with the default round)
   */
  countIntervalMs: number
  /**
   * `exact` follows ClusterLoadBalancer: only the most loaded node sheds, at most `maxShedCount` a round.
   * `parallel`: every node above the mean sheds its share of what the nodes below the mean can take, all computed
   * from the same view, so they never shed more together than is missing elsewhere.
   * @default 'parallel'
   */
  mode: ShedMode
}

export type ShedMode = 'exact' | 'parallel'

export const DEFAULT_SHED_KNOBS: Readonly<Omit<ShedKnobs, 'shedPercentage' | 'countIntervalMs'>> = Object.freeze({
  allowedAverageDeviationPercent: 25,
  maxShedCount: 100,
  minShedCount: 10,
  roundDurationSeconds: 10,
  mode: 'parallel'
})

/** The default of `shedPercentage`, by mode. */
export const DEFAULT_SHED_PERCENTAGE: Readonly<Record<ShedMode, number>> = Object.freeze({ exact: 50, parallel: 100 })

/** The default of `countIntervalMs`: a tenth of the round, between 50 and 1000 ms. */
export function defaultCountIntervalMs (roundDurationSeconds: number): number {
  return Math.min(1000, Math.max(50, roundDurationSeconds * 100))
}

/** Merges `knobs` over the defaults and checks each; throws an error naming the first bad one. */
export function createShedKnobs (knobs: Partial<ShedKnobs> = {}): ShedKnobs {
  const given = stripUndefined(knobs)
  const mode = given.mode ?? DEFAULT_SHED_KNOBS.mode
  const roundDurationSeconds = given.roundDurationSeconds ?? DEFAULT_SHED_KNOBS.roundDurationSeconds
  const merged: ShedKnobs = {
    ...DEFAULT_SHED_KNOBS,
    shedPercentage: DEFAULT_SHED_PERCENTAGE[mode] ?? 100,
    countIntervalMs: typeof roundDurationSeconds === 'number' ? defaultCountIntervalMs(roundDurationSeconds) : 1000,
    ...given
  }
  assertNumber('allowedAverageDeviationPercent', merged.allowedAverageDeviationPercent, 0, 10_000)
  assertNumber('shedPercentage', merged.shedPercentage, Number.MIN_VALUE, 100)
  assertInteger('maxShedCount', merged.maxShedCount, 1)
  assertInteger('minShedCount', merged.minShedCount, 0, merged.maxShedCount)
  assertNumber('roundDurationSeconds', merged.roundDurationSeconds, 0.05, 86_400)
  assertNumber('countIntervalMs', merged.countIntervalMs, 10, merged.roundDurationSeconds * 1000)
  if (merged.mode !== 'exact' && merged.mode !== 'parallel') {
    throw new InvalidOptionError('mode', `expected 'exact' or 'parallel', got ${String(merged.mode)}`)
  }
  return merged
}

function stripUndefined<T extends object> (value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
