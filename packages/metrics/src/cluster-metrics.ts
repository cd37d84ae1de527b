import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { failureDetectionMetrics } from './failure-detection-metrics.js'
import { StatCounters } from './stat-counters.js'
import type { ReasonTotal, StatTotal } from './stat-counters.js'
import type { Metric } from 'prom-client'
import type { BroadcastRejectReason, Cluster, ClusterEvents, LoadBalancer, RecordRejectReason, SyncRejectReason } from '@meshbalancer/core'

export interface ClusterMetricsInit {
  /** Where the metrics are registered. @default a new Registry */
  registry?: Registry
  /** Prefix of every metric name. @default 'meshbalancer_' */
  prefix?: string
}

export interface ClusterMetrics {
  readonly registry: Registry
  /** Stops listening to the cluster and removes these metrics from the registry. */
  stop(): void
}

const REJECT_REASONS: readonly RecordRejectReason[] = ['malformed', 'too-large', 'unsupported-version', 'out-of-range', 'origin-mismatch', 'not-allowed', 'rate-limited', 'bad-signature']
const SYNC_REJECT_REASONS: readonly SyncRejectReason[] = [...REJECT_REASONS, 'too-many-records', 'busy', 'unconfirmed']
const BROADCAST_REJECT_REASONS: readonly BroadcastRejectReason[] = [
  'malformed', 'too-large', 'unsupported-version', 'topic-mismatch', 'not-member', 'not-allowed', 'rate-limited', 'duplicate'
]
/** Totals of records and broadcasts, read from `cluster.stats()` when scraped. */
const RECORD_TOTALS: readonly StatTotal[] = [
  ['records_published_total', 'Member records this node published.', 'recordsPublished'],
  ['records_published_to_all_total', 'Load records and refreshes this node published directly to every member of its view, flagged for receivers not to forward.', 'recordsPublishedToAll'],
  ['records_accepted_unforwarded_total', 'Records accepted straight from an origin that had sent them to every member, and so not forwarded.', 'recordsAcceptedUnforwarded'],
  ['records_accepted_total', 'Member records received and accepted.', 'recordsAccepted'],
  ['broadcasts_published_total', 'Application broadcasts this node published.', 'broadcastsPublished'],
  ['broadcasts_delivered_total', 'Application broadcasts received from other members and delivered.', 'broadcastsDelivered']
]
const REASON_TOTALS: readonly ReasonTotal[] = [
  { name: 'records_rejected_total', help: 'Member records refused by the topic validator, by reason.', stat: 'recordsRejected', reasons: REJECT_REASONS },
  { name: 'sync_rejected_total', help: 'Push-pull exchanges, and records relayed in them, refused, by reason.', stat: 'syncRejected', reasons: SYNC_REJECT_REASONS },
  { name: 'broadcasts_rejected_total', help: 'Application broadcasts refused by the topic validator, by reason.', stat: 'broadcastsRejected', reasons: BROADCAST_REJECT_REASONS }
]
/** The `method` label of served calls of methods this node has no handler for, whatever name the caller sent. */
export const UNKNOWN_METHOD = 'unknown'
/** RPC inside a data centre takes milliseconds: buckets from 0.5 ms to 10 s. */
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Registers the metrics of one cluster node. Gauges and totals that the cluster already counts are read when
 * scraped (nothing on the hot path of a pick); calls, served calls and shedding rounds are counted from events.
 */
export function instrumentCluster (cluster: Cluster, init: ClusterMetricsInit = {}): ClusterMetrics {
  const registry = init.registry ?? new Registry()
  const prefix = init.prefix ?? 'meshbalancer_'
  const registers = [registry]
  const counters = new StatCounters(cluster, registry, prefix)
  const picks = new WeakMap<LoadBalancer, number>()

  const metrics: Metric[] = [
    new Gauge({
      name: `${prefix}members`,
      help: 'Members this node knows, itself included, by announced status and liveness.',
      labelNames: ['status', 'liveness'],
      registers,
      collect () {
        this.reset()
        for (const member of cluster.members()) this.inc({ status: member.status, liveness: member.liveness })
      }
    }),
    ...counters.totals(RECORD_TOTALS),
    ...counters.byReason(REASON_TOTALS),
    new Counter({
      name: `${prefix}sync_exchanges_total`,
      help: 'Push-pull exchanges of state: started by this node and completed, served, or started and failed.',
      labelNames: ['outcome'],
      registers,
      collect () {
        const { syncExchanges, syncServed, syncFailed } = cluster.stats()
        for (const [outcome, total] of [['completed', syncExchanges], ['served', syncServed], ['failed', syncFailed]] as const) {
          counters.advance(this, `sync_exchanges_total:${outcome}`, total, { outcome })
        }
      }
    }),
    new Counter({
      name: `${prefix}picks_total`,
      help: 'Members selected, by balancer and algorithm.',
      labelNames: ['balancer', 'algorithm'],
      registers,
      collect () {
        for (const balancer of cluster.balancers()) {
          this.inc({ balancer: balancer.name, algorithm: balancer.algorithm.name }, balancer.picks - (picks.get(balancer) ?? 0))
          picks.set(balancer, balancer.picks)
        }
      }
    })
  ]
  metrics.push(...failureDetectionMetrics(cluster, counters, registry, prefix))
  const calls = new Counter({ name: `${prefix}rpc_calls_total`, help: 'Calls and casts made through balancers, by outcome (ok or error code).', labelNames: ['balancer', 'method', 'outcome'], registers })
  const callSeconds = new Histogram({ name: `${prefix}rpc_call_duration_seconds`, help: 'Time from selection to settlement of calls made.', labelNames: ['balancer', 'method'], buckets: RPC_BUCKETS, registers })
  const served = new Counter({ name: `${prefix}rpc_served_total`, help: 'Calls and casts this node served, by outcome.', labelNames: ['method', 'outcome'], registers })
  const serveSeconds = new Histogram({ name: `${prefix}rpc_serve_duration_seconds`, help: 'Time this node took to serve calls.', labelNames: ['method'], buckets: RPC_BUCKETS, registers })
  const rounds = new Counter({ name: `${prefix}shed_rounds_total`, help: 'Shedding rounds, by what they decided or why they were skipped.', labelNames: ['namespace', 'result'], registers })
  const shed = new Counter({ name: `${prefix}shed_connections_total`, help: 'Connections this node shed (or handed over while draining).', labelNames: ['namespace'], registers })
  const count = new Gauge({ name: `${prefix}shed_count`, help: "This node's count in the namespace at its last round.", labelNames: ['namespace'], registers })
  const mean = new Gauge({ name: `${prefix}shed_mean`, help: 'Mean count of the namespace at the last round that decided.', labelNames: ['namespace'], registers })

  const listeners: { [E in keyof ClusterEvents]?: (...args: ClusterEvents[E]) => void } = {
    'rpc:call': record => {
      calls.inc({ balancer: record.balancer, method: record.method, outcome: record.outcome })
      callSeconds.observe({ balancer: record.balancer, method: record.method }, record.durationMs / 1000)
    },
    'rpc:serve': record => {
      // A caller may name any method: only those this node handles get a label of their own, so that no peer can
      // grow the registry without limit.
      const method = record.handled ? record.method : UNKNOWN_METHOD
      served.inc({ method, outcome: record.outcome })
      serveSeconds.observe({ method }, record.durationMs / 1000)
    },
    'shed:round': round => {
      rounds.inc({ namespace: round.namespace, result: round.skipped ?? round.decision?.reason ?? 'unknown' })
      shed.inc({ namespace: round.namespace }, round.killed)
      const own = round.members.find(member => member.id === cluster.id)
      if (own !== undefined) count.set({ namespace: round.namespace }, own.count)
      if (round.decision !== undefined) mean.set({ namespace: round.namespace }, round.decision.mean)
    }
  }
  for (const [event, listener] of Object.entries(listeners)) cluster.on(event as keyof ClusterEvents, listener as never)

  return {
    registry,
    stop () {
      for (const [event, listener] of Object.entries(listeners)) cluster.off(event as keyof ClusterEvents, listener as never)
      for (const metric of [...metrics, calls, callSeconds, served, serveSeconds, rounds, shed, count, mean]) registry.removeSingleMetric((metric as unknown as { name: string }).name)
    }
  }
}
