import { InvalidRecordError } from '../errors.js'
import { SignedRecord as WireSignedRecord, SyncMessage as WireSyncMessage } from '../pb/sync.js'
import { decodeRecord, encodeRecord } from './record-codec.js'
import * as limits from './limits.js'
import type { SyncRejectReason } from '../errors.js'
import type { MemberRecord } from '../member/record.js'

/** A member record as its origin signed it (docs/PROTOCOL.md, "Signed records"). */
export interface SignedRecord {
  /** The encoded record: exactly the bytes that were signed. */
  readonly record: Uint8Array
  /** The origin's signature over {@link recordSigningPayload} of `record`. */
  readonly signature: Uint8Array
}

/**
 * Bytes put before a record when it is signed, so that a signature over a record can never be taken for one over
 * anything else the same key signs (gossip messages, libp2p's own envelopes).
 */
export const RECORD_SIGNING_DOMAIN: Uint8Array = new TextEncoder().encode('meshbalancer-record')

/** What the origin signs for `record`: the domain's bytes followed by the record's. */
export function recordSigningPayload (record: Uint8Array): Uint8Array {
  const payload = new Uint8Array(RECORD_SIGNING_DOMAIN.byteLength + record.byteLength)
  payload.set(RECORD_SIGNING_DOMAIN, 0)
  payload.set(record, RECORD_SIGNING_DOMAIN.byteLength)
  return payload
}

/**
 * Encodes a signed record as the payload of the records topic. `reachedAll` tells the receivers that the origin
 * sends this message directly to every member of its view, so that those who get it from the origin need not
 * forward it (docs/PROTOCOL.md, 2.4); only the origin sets it, and only for the topic.
 */
export function encodeSignedRecord (signed: SignedRecord, reachedAll = false): Uint8Array {
  return WireSignedRecord.encode({
    record: signed.record as Uint8Array<ArrayBuffer>,
    signature: signed.signature as Uint8Array<ArrayBuffer>,
    ...(reachedAll ? { reachedAll } : {})
  })
}

/**
 * Decodes a signed record taken from the records topic, the record inside it checked against the protocol's
 * bounds, and its `reachedAll` flag. The signature is not checked here (that needs the origin's key): only its
 * size.
 *
 * @throws InvalidRecordError with the reason of the rejection
 */
export function decodeSignedRecord (bytes: Uint8Array): { signed: SignedRecord, record: MemberRecord, reachedAll: boolean } {
  if (bytes.byteLength > limits.MAX_SIGNED_RECORD_BYTES) {
    throw new InvalidRecordError('too-large', `${bytes.byteLength} bytes, limit ${limits.MAX_SIGNED_RECORD_BYTES}`)
  }
  let wire: WireSignedRecord
  try {
    wire = WireSignedRecord.decode(bytes)
  } catch (err) {
    throw new InvalidRecordError('malformed', (err as Error | undefined)?.message ?? String(err))
  }
  return { ...checkSigned(wire), reachedAll: wire.reachedAll === true }
}

function checkSigned (wire: { record: Uint8Array, signature: Uint8Array }): { signed: SignedRecord, record: MemberRecord } {
  if (wire.signature.byteLength === 0 || wire.signature.byteLength > limits.MAX_SIGNATURE_BYTES) {
    throw new InvalidRecordError('malformed', `signature of ${wire.signature.byteLength} bytes, expected 1 to ${limits.MAX_SIGNATURE_BYTES}`)
  }
  const record = decodeRecord(wire.record)
  return { signed: { record: wire.record, signature: wire.signature }, record }
}

/**
 * Encodes one side of a push-pull exchange. Records are taken in the order given (the sender's own first) until
 * {@link limits.MAX_SYNC_RECORDS} or {@link limits.MAX_SYNC_BYTES} would be passed; the rest wait for another
 * exchange.
 */
export function encodeSync (records: Iterable<SignedRecord>): Uint8Array {
  const taken: WireSignedRecord[] = []
  // Each entry costs its bytes plus a tag and a length of at most 4 bytes; the version field takes 2.
  let size = 2
  for (const signed of records) {
    const entry = signed.record.byteLength + signed.signature.byteLength + 8
    if (taken.length >= limits.MAX_SYNC_RECORDS || size + entry + 5 > limits.MAX_SYNC_BYTES) break
    size += entry + 5
    taken.push({ record: signed.record as Uint8Array<ArrayBuffer>, signature: signed.signature as Uint8Array<ArrayBuffer> })
  }
  return WireSyncMessage.encode({ version: limits.SYNC_VERSION, records: taken })
}

/** What {@link decodeSync} returns: the entries, each to be decoded on its own, or why the message is refused. */
export type DecodedSync = { ok: true, records: readonly SignedRecord[] } | { ok: false, reason: SyncRejectReason, detail: string }

/** Decodes one side of a push-pull exchange; never throws. Entries are checked one by one with {@link decodeSyncEntry}. */
export function decodeSync (bytes: Uint8Array): DecodedSync {
  if (bytes.byteLength > limits.MAX_SYNC_BYTES) {
    return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${limits.MAX_SYNC_BYTES}` }
  }
  let wire: WireSyncMessage
  try {
    wire = WireSyncMessage.decode(bytes, { limits: { records: limits.MAX_SYNC_RECORDS } })
  } catch (err) {
    const name = (err as Error | undefined)?.name
    if (name === 'MaxLengthError') return { ok: false, reason: 'too-many-records', detail: (err as Error).message }
    return { ok: false, reason: 'malformed', detail: (err as Error | undefined)?.message ?? String(err) }
  }
  if (wire.version !== limits.SYNC_VERSION) {
    return { ok: false, reason: 'unsupported-version', detail: `version ${wire.version}, expected ${limits.SYNC_VERSION}` }
  }
  return { ok: true, records: wire.records }
}

/**
 * Decodes the record of one push-pull entry, checked against the protocol's bounds (the signature's size
 * included, not the signature itself).
 *
 * @throws InvalidRecordError with the reason of the rejection
 */
export function decodeSyncEntry (entry: SignedRecord): { signed: SignedRecord, record: MemberRecord } {
  return checkSigned(entry)
}

/**
 * Encodes `record`, signs it with `sign` (the origin's key: `transport.sign` of a Transport, or a libp2p private
 * key's `sign`) and returns the SignedRecord bytes the records topic carries, for tools and tests that publish
 * records of their own.
 */
export async function signRecord (record: MemberRecord, sign: (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<Uint8Array> {
  const bytes = encodeRecord(record)
  return encodeSignedRecord({ record: bytes, signature: await sign(recordSigningPayload(bytes)) })
}
