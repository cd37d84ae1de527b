import { Counter, Gauge } from 'prom-client'
import type { Cluster, ClaimRejectReason, ClusterStats } from '@meshbalancer/core'
import type { Metric, Registry } from 'prom-client'

const CLAIM_REJECT_REASONS: readonly ClaimRejectReason[] = [
  'malformed', 'too-large', 'unsupported-version', 'claimant-mismatch', 'unknown-claimant', 'unknown-subject', 'stale', 'ahead',
  'rate-limited', 'false-claims', 'not-allowed'
]

/** Counters of `cluster.stats()` exported as Prometheus counters of the same meaning. */
const TOTALS: ReadonlyArray<[name: string, help: string, stat: keyof ClusterStats]> = [
  ['probes_sent_total', 'Direct probes of members this node made.', 'probesSent'],
  ['probes_failed_total', 'Probes that the target answered neither directly nor through a helper.', 'probesFailed'],
  ['direct_probes_served_total', 'Direct probes of this node that it answered.', 'directProbesServed'],
  ['indirect_probes_sent_total', 'Indirect probe requests this node sent to helpers.', 'indirectProbesSent'],
  ['indirect_probes_served_total', 'Indirect probes this node made as a helper for other members.', 'indirectProbesServed'],
  ['claims_published_total', 'Claims that a member failed, published by this node.', 'claimsPublished'],
  ['claims_accepted_total', 'Claims received and accepted.', 'claimsAccepted'],
  ['suspicions_total', 'Suspicions this node started.', 'suspicionsStarted'],
  ['refutations_total', 'Claims about this node that it refuted with a newer record.', 'refutations'],
  ['false_claims_total', 'Claims this node found false (strikes against their claimants).', 'falseClaims']
]

/**
 * The failure detector's metrics: its totals (read from `cluster.stats()` when scraped), refused claims by reason,
 * and the local health score. Returns the metrics, for removal.
 */
export function failureDetectionMetrics (cluster: Cluster, registry: Registry, prefix: string): Metric[] {
  const registers = [registry]
  const seen = new Map<string, number>()
  const advance = (counter: Counter, key: string, total: number, labels?: Record<string, string>): void => {
    const delta = total - (seen.get(key) ?? 0)
    if (labels === undefined) counter.inc(delta)
    else counter.inc(labels, delta)
    seen.set(key, total)
  }
  const totals = TOTALS.map(([name, help, stat]) => new Counter({
    name: `${prefix}${name}`,
    help,
    registers,
    collect () { advance(this, stat, cluster.stats()[stat] as number) }
  }))
  return [
    ...totals,
    new Counter({
      name: `${prefix}claims_rejected_total`,
      help: 'Claims refused by the claims topic validator, by reason.',
      labelNames: ['reason'],
      registers,
      collect () {
        const { claimsRejected } = cluster.stats()
        for (const reason of CLAIM_REJECT_REASONS) advance(this, `rejected:${reason}`, claimsRejected[reason] ?? 0, { reason })
      }
    }),
    new Gauge({
      name: `${prefix}local_health`,
      help: "This node's local health score (Lifeguard), 0 (healthy) to 8; probe intervals and timeouts are multiplied by it plus one.",
      registers,
      collect () { this.set(cluster.stats().localHealth) }
    })
  ]
}
