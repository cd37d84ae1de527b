/**
 * Fixed parameters of failure detection (docs/PROTOCOL.md, "Failure detection"). The tunable ones are options of
 * the cluster (`probeIntervalMs`, `probeTimeoutMs`, `indirectProbes`, `suspicionMultiplier`,
 * `suspicionMaxMultiplier`); these are the same for every member, as the protocol's safety rests on them.
 */

/** Independent confirmations (beyond the first claim) that bring a suspicion down to its shortest timeout: Lifeguard's K. */
export const SUSPICION_CONFIRMATIONS = 3
/** Highest local health score: probe timeouts and the probe interval grow at most ninefold. */
export const MAX_LOCAL_HEALTH = 8
/** How long a false claim counts against its claimant. */
export const STRIKE_DECAY_MS = 5 * 60_000
/** Live strikes at which a claimant's claims are refused and the transport is asked to score it down. */
export const STRIKE_LIMIT = 2
/**
 * Claims one claimant may publish per second, sustained, and in a burst. An honest member claims at most once per
 * failed probe: once an interval, plus one per member whose connection closed; the burst covers several members
 * crashing at once (a host going down).
 */
export const CLAIMS_PER_SECOND = 5
export const CLAIMS_BURST = 20
/**
 * Indirect probes one member may ask of this node per second, sustained, and in a burst. An honest member asks
 * `indirectProbes` random helpers per failed probe, so one helper sees a small fraction of one request a second.
 */
export const PROBE_REQUESTS_PER_SECOND = 10
export const PROBE_REQUESTS_BURST = 20
/**
 * A timer that fires this much later than it was due means this process did not run in between (stopped,
 * swapped out, blocked): the answer it waited for may be unread input, so the timeout proves nothing.
 */
export const LATE_TIMER_SLACK_MS = 150
