/** Defaults of {@link ClusterInit}; each is explained where the option is declared. */
export const DEFAULT_CLUSTER_NAME = 'default'
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
export * from '../membership/constants.js'

/** The gossip topic on which members of `cluster` publish their signed records. */
export function stateTopic (cluster: string): string {
  return `/meshbalancer/${cluster}/state/2`
}

/** The gossip topic on which members of `cluster` publish claims that another member failed. */
export function claimsTopic (cluster: string): string {
  return `/meshbalancer/${cluster}/claims/1`
}

/** The protocol id of indirect probes between members of `cluster`. */
export function probeProtocol (cluster: string): string {
  return `/meshbalancer/${cluster}/probe/1.0.0`
}

/** The protocol id of push-pull exchanges of state between two members of `cluster`. */
export function syncProtocol (cluster: string): string {
  return `/meshbalancer/${cluster}/sync/1.0.0`
}

export const DEFAULT_REFRESH_INTERVAL_MS = 30_000
export const DEFAULT_PUSH_PULL_INTERVAL_MS = 30_000
export const DEFAULT_LOAD_CHANGE_MIN = 1
export const DEFAULT_LOAD_CHANGE_RATIO = 0.1
export const DEFAULT_LAG_CHANGE_MIN_MS = 20
export const DEFAULT_LAG_CHANGE_RATIO = 0.5
export const DEFAULT_LOAD_RECORDS_PER_SECOND = 50
/** The significance rule with every default (docs/PROTOCOL.md, "When records are published"). */
export const DEFAULT_LOAD_CHANGE_RULE = Object.freeze({
  loadChangeMin: DEFAULT_LOAD_CHANGE_MIN,
  loadChangeRatio: DEFAULT_LOAD_CHANGE_RATIO,
  lagChangeMinMs: DEFAULT_LAG_CHANGE_MIN_MS,
  lagChangeRatio: DEFAULT_LAG_CHANGE_RATIO
})
/**
 * A shedder decides once this node completed a push-pull exchange (its view is whole), or after this long (or
 * the longest jittered refresh interval, if shorter) when no exchange succeeds.
 */
export const SETTLE_WITHOUT_SYNC_MS = 10_000
/**
 * How long `stop()` waits, at most, for the peers connected at the time to confirm that they read the `left`
 * record (a ping each, answered in a round trip; see RecordGossip.announceLeave). A peer that does not answer in
 * time (it is paused, or the link is gone) learns of the departure from its failure detector instead.
 */
export const LEAVE_CONFIRM_TIMEOUT_MS = 1000
/**
 * A member that sees an unknown peer subscribe exchanges with it after a delay drawn uniformly from [0, this), unless
 * the peer has become known meanwhile.
 */
export const NEWCOMER_EXCHANGE_DELAY_MS = 100
/**
 * For this long after it starts, a node announces its record again (coalesced by `minPublishIntervalMs`) when a peer
 * subscribes: its first announcement may have reached nobody.
 */
export const NEWCOMER_ANNOUNCE_MS = 10_000
/** How often the event loop's lag is sampled and judged by the lag rule. */
export const LAG_SAMPLE_INTERVAL_MS = 1000

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
