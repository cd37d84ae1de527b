import { median } from './measure.js'

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** Splits samples into runs and returns the median over runs of a statistic of each run. */
export function medianOverRuns (runs: ReadonlyArray<readonly number[]>, statistic: (run: readonly number[]) => number): number {
  return median(runs.map(statistic))
}
