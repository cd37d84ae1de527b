/** Defaults of {@link ClusterInit}; each is explained where the option is declared. */
export const DEFAULT_CLUSTER_NAME = 'default'
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000
export const DEFAULT_PROBE_INTERVAL_MS = 1000
export const DEFAULT_PROBE_TIMEOUT_MS = 500
export const DEFAULT_INDIRECT_PROBES = 3
export const DEFAULT_SUSPICION_MULTIPLIER = 2
export const DEFAULT_SUSPICION_MAX_MULTIPLIER = 3
export const DEFAULT_MIN_PUBLISH_INTERVAL_MS = 100
export const DEFAULT_LATENCY_SMOOTHING = 0.3
export const DEFAULT_WEIGHT = 1
export const DEFAULT_EXPLAIN_ONE_PICK_IN = 100
/** The default record rate allowed per origin, as a multiple of the most an honest member publishes. */
export const RECORD_RATE_HEADROOM = 2.5
/**
 * Heartbeats after its start before a node's view counts as settled (shedding decides only then): every member
 * has published its record at least once by then.
 */
export const SETTLE_HEARTBEATS = 2
export * from '../membership/constants.js'

/** The gossip topic on which members of `cluster` publish their records. */
export function stateTopic (cluster: string): string {
  return `/meshbalancer/${cluster}/state/1`
}

/** The gossip topic on which members of `cluster` publish claims that another member failed. */
export function claimsTopic (cluster: string): string {
  return `/meshbalancer/${cluster}/claims/1`
}

/** The protocol id of indirect probes between members of `cluster`. */
export function probeProtocol (cluster: string): string {
  return `/meshbalancer/${cluster}/probe/1.0.0`
}

/** The protocol id of RPC streams between members of `cluster`. */
export function rpcProtocol (cluster: string): string {
  return `/meshbalancer/${cluster}/rpc/2.0.0`
}

/** Broadcasts a node accepts from one origin per second, sustained (twice as many in a burst). */
export const DEFAULT_MAX_BROADCASTS_PER_SECOND = 100
/** Messages whose (origin, id) a node remembers to deliver each at most once, and for how long. */
export const BROADCAST_SEEN_ENTRIES = 16_384
export const BROADCAST_SEEN_TTL_MS = 5 * 60_000

/**
 * The gossip topic of application topic `topic` in `cluster`. Application topics cannot contain `/`, so that
 * none can name the state topic or another cluster's.
 */
export function broadcastTopic (cluster: string, topic: string): string {
  return `/meshbalancer/${cluster}/app/${topic}/1`
}
