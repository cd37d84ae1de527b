/** Defaults of {@link ClusterInit}; each is explained where the option is declared. */
export const DEFAULT_CLUSTER_NAME = 'default'
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000
export const DEFAULT_SUSPECT_AFTER_MS = 2000
export const DEFAULT_DEAD_AFTER_MS = 3000
export const DEFAULT_MIN_PUBLISH_INTERVAL_MS = 100
export const DEFAULT_LATENCY_PROBE_INTERVAL_MS = 5000
export const DEFAULT_LATENCY_SMOOTHING = 0.3
export const DEFAULT_WEIGHT = 1
export const DEFAULT_EXPLAIN_ONE_PICK_IN = 100
/** The default record rate allowed per origin, as a multiple of the most an honest member publishes. */
export const RECORD_RATE_HEADROOM = 2.5
/** Members probed for latency per probe interval, so probing costs the same in a cluster of any size. */
export const LATENCY_PROBES_PER_INTERVAL = 4
/**
 * After the last connection to a member closes, it is removed unless a newer record arrives within this many
 * heartbeat intervals: a crashed process closes its sockets, so crashes are noticed long before `deadAfterMs`.
 */
export const UNREACHABLE_GRACE_HEARTBEATS = 1.5
/**
 * Records of such a member that arrive within this many heartbeat intervals of the close were most likely sent
 * before it (a crashed member's last heartbeat, relayed by a peer milliseconds later, or later still on a busy
 * machine) and do not count as hearing from it. A live member's next heartbeat comes at most one interval after
 * its last, so before the grace ends (1.25 < 1.5 intervals).
 */
export const UNREACHABLE_IN_FLIGHT_HEARTBEATS = 0.25

/** The gossip topic on which members of `cluster` publish their records. */
export function stateTopic (cluster: string): string {
  return `/meshbalancer/${cluster}/state/1`
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
