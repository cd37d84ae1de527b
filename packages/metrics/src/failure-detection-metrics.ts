import { Gauge } from 'prom-client'
import type { Cluster, ClaimRejectReason } from '@meshbalancer/core'
import type { Metric, Registry } from 'prom-client'
import type { StatCounters, StatTotal } from './stat-counters.js'

const CLAIM_REJECT_REASONS: readonly ClaimRejectReason[] = [
  'malformed', 'too-large', 'unsupported-version', 'claimant-mismatch', 'unknown-claimant', 'unknown-subject', 'stale', 'ahead',
  'rate-limited', 'false-claims', 'not-allowed'
]

/** Counters of `cluster.stats()` exported as Prometheus counters of the same meaning. */
const TOTALS: readonly StatTotal[] = [
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
export function failureDetectionMetrics (cluster: Cluster, counters: StatCounters, registry: Registry, prefix: string): Metric[] {
  return [
    ...counters.totals(TOTALS),
    ...counters.byReason([{ name: 'claims_rejected_total', help: 'Claims refused by the claims topic validator, by reason.', stat: 'claimsRejected', reasons: CLAIM_REJECT_REASONS }]),
    new Gauge({
      name: `${prefix}local_health`,
      help: "This node's local health score (Lifeguard), 0 (healthy) to 8; probe intervals and timeouts are multiplied by it plus one.",
      registers: [registry],
      collect () { this.set(cluster.stats().localHealth) }
    })
  ]
}
