/** Defaults of {@link GossipNodeInit}; each is explained where the option is declared. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']
export const DEFAULT_JOIN_RETRY_INTERVAL_MS = 1000
export const DEFAULT_TARGET_PEERS = 16
export const DEFAULT_MAX_CONNECTIONS = 128
export const DEFAULT_MESH_DEGREE = 4
/** Gossip messages larger than this are dropped before decoding; a record is at most 16 KiB. */
export const MAX_GOSSIP_MESSAGE_BYTES = 32 * 1024
/** Concurrent RPC streams accepted per connection, and opened per connection. */
export const MAX_RPC_STREAMS = 1024
/**
 * A member declared dead is dialled again after 1 s, then after twice as long each time up to 10 s, for 24 hours
 * (as Serf's reconnect_timeout): the halves of a healed partition find each other within seconds, and a member
 * that crashed for good costs one failed dial every 10 s. A node dials at most one such member per tick.
 */
export const LOST_REDIAL_MIN_MS = 1000
export const LOST_REDIAL_MAX_MS = 10_000
export const LOST_RETENTION_MS = 24 * 60 * 60 * 1000
