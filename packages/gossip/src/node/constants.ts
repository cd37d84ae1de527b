/** Defaults of {@link GossipNodeInit}; each is explained where the option is declared. */
export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']
export const DEFAULT_JOIN_RETRY_INTERVAL_MS = 1000
export const DEFAULT_TARGET_PEERS = 16
export const DEFAULT_MAX_CONNECTIONS = 128
export const DEFAULT_MESH_DEGREE = 4
/**
 * The largest gossipsub RPC frame read from a peer; a larger one is dropped before decoding. A frame batches
 * messages and control: gossipsub answers an IWANT with every message asked for in one frame, so a peer that joins
 * while loads change asks for the whole gossip window at once (88 records, 35 KiB, were seen in one answer during a
 * rolling deploy). 1 MiB is go-libp2p-pubsub's bound, to which go peers split what they send; a single message is
 * bounded far below it by validation (a signed record at most 16,528 bytes, a broadcast 8,320).
 */
export const MAX_GOSSIP_FRAME_BYTES = 1024 * 1024
/**
 * A member declared dead is pinged once over the connections it may still have (answer within 1 s or see them
 * closed), then dialled again about 1 s after that, then after 2 s each time (each delay times a random factor in
 * [0.5, 1.5)), until connected again, for 24 hours at most, as Serf's reconnect_timeout. The delay stays short
 * because it is what a healed partition waits for: with every node across the cut dialling each lost member every
 * 1 to 3 s, the first dial after the heal comes within a fraction of a second. At most two such dials per tick: a
 * member that crashed for good costs each node one refused dial every 2 s or so while fewer than half a dozen are
 * lost, and proportionally less often beyond.
 */
export const LOST_PROBE_TIMEOUT_MS = 1000
export const LOST_REDIAL_MIN_MS = 1000
export const LOST_REDIAL_MAX_MS = 2000
/**
 * Dials give up after this long and are tried again when due. Across a partition a SYN goes unanswered and is
 * sent again only 1 s and 3 s later: a dial allowed to wait for those would hold its peer's next dial back, so that
 * a heal would be found at the next retransmission rather than by a fresh dial the moment it comes.
 */
export const DIAL_TIMEOUT_MS = 2000
/**
 * A dial of a member declared dead that has waited this long when the member's record comes back is replaced by a
 * fresh one (see PeerDialer): after its first SYN and the retransmission 1 s later, TCP would wait 2 s more.
 */
export const STUCK_DIAL_MS = 1000
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
