import { InvalidRecordError } from '../errors.js'
import { MemberRecord as WireRecord } from '../pb/record.js'
import { DECODE_LIMITS, fromWire, toWire, validateRecord } from '../member/record.js'
import * as limits from './limits.js'
import type { MemberRecord } from '../member/record.js'

export { validateRecord }

/**
 * Encodes a record for the wire after checking it against the same bounds receivers apply, so that a node never
 * publishes something its peers would reject.
 *
 * @throws InvalidRecordError when the record is out of bounds
 */
export function encodeRecord (record: MemberRecord): Uint8Array {
  validateRecord(record)
  // Typed as the generated message, so that a field added to record.proto but not declared fails to compile.
  const wire: WireRecord = { version: limits.RECORD_VERSION, ...toWire(record) }
  const bytes = WireRecord.encode(wire)
  if (bytes.byteLength > limits.MAX_RECORD_BYTES) {
    throw new InvalidRecordError('too-large', `${bytes.byteLength} bytes, limit ${limits.MAX_RECORD_BYTES}`)
  }
  return bytes
}

/**
 * Decodes and validates a record received from the network. Anything malformed, oversized, of another schema
 * version or out of range throws; nothing else is thrown.
 *
 * @throws InvalidRecordError with the reason of the rejection
 */
export function decodeRecord (bytes: Uint8Array): MemberRecord {
  if (bytes.byteLength > limits.MAX_RECORD_BYTES) {
    throw new InvalidRecordError('too-large', `${bytes.byteLength} bytes, limit ${limits.MAX_RECORD_BYTES}`)
  }
  let wire: WireRecord
  try {
    wire = WireRecord.decode(bytes, { limits: DECODE_LIMITS })
  } catch (err) {
    const name = (err as Error | undefined)?.name
    if (name === 'MaxLengthError' || name === 'MaxSizeError') {
      throw new InvalidRecordError('out-of-range', (err as Error).message)
    }
    throw new InvalidRecordError('malformed', (err as Error | undefined)?.message ?? String(err))
  }
  if (wire.version !== limits.RECORD_VERSION) {
    throw new InvalidRecordError('unsupported-version', `version ${wire.version}, expected ${limits.RECORD_VERSION}`)
  }
  const record = fromWire(wire)
  validateRecord(record)
  return record
}
