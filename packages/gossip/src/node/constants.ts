/** Defaults of {@link GossipNodeInit}; each is explained where the option is declared. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']
export const DEFAULT_JOIN_RETRY_INTERVAL_MS = 1000
export const DEFAULT_TARGET_PEERS = 16
export const DEFAULT_MAX_CONNECTIONS = 128
export const DEFAULT_MESH_DEGREE = 4
/** Gossip messages larger than this are dropped before decoding; a signed record is at most 16,528 bytes. */
export const MAX_GOSSIP_MESSAGE_BYTES = 32 * 1024
/**
 * A member declared dead is pinged once over the connections it may still have (answer within 1 s or see them
 * closed), then dialled again about 1 s after that, then after twice as long each time up to about 5 s (each delay
 * times a random factor in [0.5, 1.5)), until connected again, for 24 hours at most, as Serf's reconnect_timeout.
 * At most two such dials per tick: a member that crashed for good costs each node one failed dial every 5 s or so
 * while fewer than a dozen are lost, and proportionally less often beyond.
 */
export const LOST_PROBE_TIMEOUT_MS = 1000
export const LOST_REDIAL_MIN_MS = 1000
export const LOST_REDIAL_MAX_MS = 5000
export const LOST_RETENTION_MS = 24 * 60 * 60 * 1000
export const LOST_DIALS_PER_TICK = 2
/**
 * A member that left gracefully is forgotten by id, but its last addresses (as those of a member declared dead,
 * besides its redials by id) are dialled now and then for 10 minutes,
 * so that a member restarted at a known address (a seed with no join list, in a rolling deploy) is found again
 * whether it joins anyone or not. For the first minute the whole cluster dials each such address about twice a
 * second: each node every n / 2 s (never more often than its tick), n being the members it knows, each delay times
 * a random factor in [0.5, 1.5). So the returning member is found within about a second at any size, and receives
 * about two dials a second, not n. After the first minute the delay grows in proportion to the time since the
 * member left (ten times at ten minutes). At most 64 members are remembered (the oldest is dropped), with 4
 * addresses each, and at most 2 are dialled per tick.
 */
export const DEPARTED_RETENTION_MS = 10 * 60 * 1000
export const DEPARTED_STEADY_MS = 60 * 1000
export const DEPARTED_CLUSTER_DIALS_PER_S = 2
export const DEPARTED_MAX_MEMBERS = 64
export const DEPARTED_MAX_ADDRESSES = 4
export const DEPARTED_DIALS_PER_TICK = 2
