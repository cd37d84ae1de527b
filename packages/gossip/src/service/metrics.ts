import type { Cluster } from '@meshbalancer/core'
import type { Metrics } from '@libp2p/interface'

/**
 * Registers the cluster's gauges and totals with libp2p's metrics, read when they are scraped, so that a node
 * given a `metrics` implementation (say `@libp2p/prometheus-metrics`) exports them beside libp2p's own without
 * this package depending on any metrics library. Named `libp2p_meshbalancer_*`, in libp2p's style; the richer set
 * of `@meshbalancer/metrics` (calls, latencies, shedding) does not collide with them.
 */
export function registerServiceMetrics (metrics: Metrics, cluster: Cluster): void {
  metrics.registerMetricGroup('libp2p_meshbalancer_members', {
    label: 'status',
    help: 'Members this node knows, itself included, by status (suspect members are counted as suspect)',
    calculate: () => {
      const counts: Record<string, number> = { joining: 0, active: 0, draining: 0, left: 0, suspect: 0 }
      for (const member of cluster.members()) {
        const key = member.liveness === 'suspect' ? 'suspect' : member.status
        counts[key] = (counts[key] ?? 0) + 1
      }
      return counts
    }
  })
  // A calculated counter is incremented by what `calculate` returns at every scrape (so @libp2p/prometheus-metrics
  // 5 does it: `inc(value)` in its collect), not set to it. So this returns what was added since the previous
  // scrape, as @meshbalancer/metrics' StatCounters does over prom-client; returning the running totals would
  // export their sum over all scrapes.
  const reported: Record<string, number> = {}
  metrics.registerCounterGroup('libp2p_meshbalancer_records_total', {
    label: 'outcome',
    help: 'Membership records this node published, accepted from others and rejected',
    calculate: () => {
      const stats = cluster.stats()
      const totals = {
        published: stats.recordsPublished,
        accepted: stats.recordsAccepted,
        rejected: Object.values(stats.recordsRejected).reduce((sum, count) => sum + count, 0)
      }
      // Never negative: prom-client refuses to decrease a counter, and would fail the whole scrape.
      const added = Object.fromEntries(Object.entries(totals).map(([outcome, total]) => [outcome, Math.max(0, total - (reported[outcome] ?? 0))]))
      Object.assign(reported, totals)
      return added
    }
  })
}
