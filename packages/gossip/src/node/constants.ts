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
