import { measure } from 'mitata'

/** Runs of each measurement; figures are the median of these. */
export const ROUNDS = 5

/** The median of a list of numbers. */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Average nanoseconds per call of `fn` in one mitata run (about 250 ms of samples, after warm-up). */
export async function nanosecondsPerCall (fn: () => unknown): Promise<number> {
  const stats = await measure(fn, { min_cpu_time: 250_000_000 })
  return stats.avg
}

/**
 * Measures every case once per round, for `rounds` rounds, interleaving cases so that drift of the machine
 * (frequency, other load) spreads over all of them; returns each case's median.
 */
export async function medianNanoseconds (cases: ReadonlyArray<{ name: string, fn: () => unknown }>, rounds = ROUNDS): Promise<Map<string, number>> {
  const runs = new Map<string, number[]>(cases.map(c => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const { name, fn } of cases) runs.get(name)!.push(await nanosecondsPerCall(fn))
  }
  return new Map([...runs].map(([name, values]) => [name, median(values)]))
}

export function formatNs (ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`
}
