/**
 * `@meshbalancer/core/protocol`: the wire format of docs/PROTOCOL.md as code, for tools, tests and other
 * implementations that speak to a cluster without running one: the member record's codec, validation and limits,
 * the signed record and the push-pull message, the claims and probe messages of failure detection and their
 * suspicion timeouts, the refresh interval, the RPC frames, the broadcast envelope, the topic and protocol names, and the member table that
 * merges records as §5 describes.
 * Applications that only run nodes do not need it.
 *
 * @packageDocumentation
 */
export { decodeRecord, encodeRecord, validateRecord } from './codec/record-codec.js'
export * as recordLimits from './codec/limits.js'
export { memberRecord } from './member/record.js'
export type { MemberRecordInit } from './member/record.js'
export { MemberTable } from './member/table.js'
export { decodeClaim, decodeProbeRequest, decodeProbeResponse, encodeClaim, encodeProbeRequest, encodeProbeResponse } from './codec/membership-codec.js'
export type { Claim, Decoded, DirectProbeRequest, IndirectProbeRequest, ProbeRequest } from './codec/membership-codec.js'
export { suspicionBounds, suspicionTimeout } from './membership/suspicion.js'
export { REFRESH_JITTER, REFRESH_SCALE_PEERS, refreshIntervalFor } from './cluster/publisher.js'
export { scaledInterval } from './cluster/scaled-interval.js'
export { SYNC_SCALE_PEERS } from './cluster/push-pull.js'
export type { SuspicionTiming } from './membership/suspicion.js'
export type { ApplyResult, MemberTableEvents, MemberTableInit } from './member/table.js'
export { decodeRequest, decodeResponse, encodeRequest, encodeResponse, MAX_FRAME_BYTES } from './rpc/frames.js'
export type { Request as RpcRequestFrame, Response as RpcResponseFrame } from './rpc/frames.js'
export { broadcastTopic, claimsTopic, probeProtocol, rpcProtocol, stateTopic, syncProtocol } from './cluster/constants.js'
export {
  decodeSignedRecord, decodeSync, decodeSyncEntry, encodeSignedRecord, encodeSync, RECORD_SIGNING_DOMAIN, recordSigningPayload,
  signRecord
} from './codec/signed-record.js'
export type { DecodedSync, SignedRecord } from './codec/signed-record.js'
export type { RecordRoute } from './member/table.js'
export { decodeBroadcast, encodeBroadcast } from './codec/broadcast-codec.js'
export type { BroadcastEnvelope, DecodedBroadcast } from './codec/broadcast-codec.js'
