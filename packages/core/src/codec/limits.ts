/** Bounds every member record must respect, on encode and on decode. Documented in docs/PROTOCOL.md. */
export const RECORD_VERSION = 1
export const MAX_RECORD_BYTES = 16 * 1024
export const MAX_ORIGIN_LENGTH = 128
export const MAX_NAME_LENGTH = 64
export const MAX_GROUPS = 64
/** Shedding namespaces per record; their names and counts have the bounds of groups. */
export const MAX_SHEDDING = 16
export const MAX_GROUP_NAME_LENGTH = 128
export const MAX_LOAD = 0xffff_ffff
export const MAX_WEIGHT = 1_000_000
export const MAX_TAGS = 32
export const MAX_TAG_KEY_LENGTH = 64
export const MAX_TAG_VALUE_LENGTH = 256
export const MAX_EVENT_LOOP_LAG_MS = 3_600_000
export const MAX_CLIENT_ADDRESS_LENGTH = 256
export const MAX_ADDRESSES = 16
export const MAX_ADDRESS_LENGTH = 256
/** Envelope version of application broadcasts, and its bounds. Documented in docs/PROTOCOL.md. */
export const BROADCAST_VERSION = 1
/** The most application data one broadcast carries. */
export const MAX_BROADCAST_BYTES = 8 * 1024
/** The most a broadcast envelope takes on the wire: the data plus version, topic and id with their tags. */
export const MAX_BROADCAST_ENVELOPE_BYTES = MAX_BROADCAST_BYTES + 128
export const MAX_BROADCAST_TOPIC_LENGTH = 64
export const BROADCAST_ID_BYTES = 16
/** Schema version of push-pull messages (sync.proto). Documented in docs/PROTOCOL.md. */
export const SYNC_VERSION = 1
/** The longest signature a record may carry: Ed25519 takes 64 bytes, secp256k1 (DER) at most 72. */
export const MAX_SIGNATURE_BYTES = 128
/** The most a SignedRecord takes on the wire: a record of the largest size, a signature and their tags. */
export const MAX_SIGNED_RECORD_BYTES = MAX_RECORD_BYTES + MAX_SIGNATURE_BYTES + 16
/** Records one push-pull message carries at most. */
export const MAX_SYNC_RECORDS = 16_384
/** Bytes of one push-pull message at most: within one RPC frame (4 MiB), with room for the frame's own fields. */
export const MAX_SYNC_BYTES = 3 * 1024 * 1024
/** Schema version of claims and probe messages, and their bounds. Documented in docs/PROTOCOL.md. */
export const MEMBERSHIP_VERSION = 1
/** The most a claim takes on the wire: two peer ids, two numbers and their tags. */
export const MAX_CLAIM_BYTES = 2 * MAX_ORIGIN_LENGTH + 64
/** The most a probe request or response takes on the wire. */
export const MAX_PROBE_MESSAGE_BYTES = MAX_ORIGIN_LENGTH + 32
/** The longest indirect probe a helper serves; a request asking for more is served with this. */
export const MAX_PROBE_TIMEOUT_MS = 10_000
