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
