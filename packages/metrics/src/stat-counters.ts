import { Counter } from 'prom-client'
import type { Cluster, ClusterStats } from '@meshbalancer/core'
import type { Registry } from 'prom-client'

/** The totals of `cluster.stats()` that are one number (`localHealth` is a level, exported as a gauge). */
export type NumericStat = Exclude<{ [K in keyof ClusterStats]: ClusterStats[K] extends number ? K : never }[keyof ClusterStats], 'localHealth'>
/** The totals of `cluster.stats()` kept by reason. */
export type ReasonStat = { [K in keyof ClusterStats]: ClusterStats[K] extends Readonly<Record<string, number>> ? K : never }[keyof ClusterStats]

/** A total of `cluster.stats()` exported as a Prometheus counter of the same meaning. */
export type StatTotal = readonly [name: string, help: string, stat: NumericStat]

/** A total kept by reason, exported as a counter with a `reason` label for each of `reasons`. */
export interface ReasonTotal {
  readonly name: string
  readonly help: string
  readonly stat: ReasonStat
  readonly reasons: readonly string[]
}

/**
 * Prometheus counters that mirror totals the cluster already keeps: each is read when scraped, and the counter
 * grows by what the total grew since the last scrape (the cluster's totals only grow), so nothing is counted on
 * the hot path.
 */
export class StatCounters {
  private readonly seen = new Map<string, number>()
  private readonly registers: Registry[]

  constructor (private readonly cluster: Cluster, registry: Registry, private readonly prefix: string) {
    this.registers = [registry]
  }

  /** Increments `counter` (labelled by `labels`, if given) to `total`; `key` names the series among all counters. */
  advance (counter: Counter, key: string, total: number, labels?: Record<string, string>): void {
    const delta = total - (this.seen.get(key) ?? 0)
    if (labels === undefined) counter.inc(delta)
    else counter.inc(labels, delta)
    this.seen.set(key, total)
  }

  /** One unlabelled counter per total. */
  totals (totals: readonly StatTotal[]): Counter[] {
    const { cluster } = this
    const advance = this.advance.bind(this)
    return totals.map(([name, help, stat]) => new Counter({
      name: `${this.prefix}${name}`,
      help,
      registers: this.registers,
      collect () { advance(this, name, cluster.stats()[stat]) }
    }))
  }

  /** One counter per total kept by reason, with a series for every reason, zero until it first happens. */
  byReason (totals: readonly ReasonTotal[]): Counter[] {
    const { cluster } = this
    const advance = this.advance.bind(this)
    return totals.map(({ name, help, stat, reasons }) => new Counter({
      name: `${this.prefix}${name}`,
      help,
      labelNames: ['reason'],
      registers: this.registers,
      collect () {
        const byReason: Readonly<Record<string, number>> = cluster.stats()[stat]
        for (const reason of reasons) advance(this, `${name}:${reason}`, byReason[reason] ?? 0, { reason })
      }
    }))
  }
}
