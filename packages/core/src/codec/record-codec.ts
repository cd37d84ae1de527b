import { InvalidRecordError } from '../errors.js'
import { MemberRecord as WireRecord, Status as WireStatus } from '../pb/record.js'
import * as limits from './limits.js'
import type { MemberRecord, MemberStatus } from '../member/member.js'

const STATUS_TO_WIRE: Record<MemberStatus, WireStatus> = {
  joining: WireStatus.JOINING,
  active: WireStatus.ACTIVE,
  draining: WireStatus.DRAINING,
  left: WireStatus.LEFT
}

const STATUS_FROM_WIRE = new Map<WireStatus, MemberStatus>(
  Object.entries(STATUS_TO_WIRE).map(([status, wire]) => [wire, status as MemberStatus])
)

// Names and tag keys are identifiers that end up in logs, metrics labels and terminals: no whitespace or controls.
const IDENTIFIER = /^[^\s\p{Cc}]+$/u
// Free text (tag values, addresses) may contain spaces but never control characters.
const NO_CONTROLS = /^[^\p{Cc}]*$/u

/**
 * Encodes a record for the wire after checking it against the same bounds receivers apply, so that a node never
 * publishes something its peers would reject.
 *
 * @throws InvalidRecordError when the record is out of bounds
 */
export function encodeRecord (record: MemberRecord): Uint8Array {
  validateRecord(record)
  const bytes = WireRecord.encode({
    version: limits.RECORD_VERSION,
    origin: record.origin,
    name: record.name,
    incarnation: record.incarnation,
    sequence: record.sequence,
    status: STATUS_TO_WIRE[record.status],
    groups: [...record.groups].map(([name, load]) => ({ name, load })),
    weight: record.weight,
    tags: new Map(Object.entries(record.tags)),
    eventLoopLagMs: record.eventLoopLagMs,
    clientAddress: record.clientAddress,
    addresses: [...record.addresses]
  })
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
    wire = WireRecord.decode(bytes, {
      limits: { groups: limits.MAX_GROUPS, tags: limits.MAX_TAGS, addresses: limits.MAX_ADDRESSES }
    })
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
  const status = STATUS_FROM_WIRE.get(wire.status)
  if (status === undefined) {
    throw new InvalidRecordError('out-of-range', `status ${String(wire.status)}`)
  }
  const groups = new Map<string, number>()
  for (const { name, load } of wire.groups) {
    if (groups.has(name)) throw new InvalidRecordError('out-of-range', `group "${name}" listed twice`)
    groups.set(name, load)
  }
  const record: MemberRecord = {
    origin: wire.origin,
    name: wire.name,
    incarnation: wire.incarnation,
    sequence: wire.sequence,
    status,
    groups,
    weight: wire.weight,
    tags: Object.freeze(Object.fromEntries(wire.tags)),
    eventLoopLagMs: wire.eventLoopLagMs,
    clientAddress: wire.clientAddress,
    addresses: Object.freeze(wire.addresses)
  }
  validateRecord(record)
  return record
}

/**
 * Checks every field of a record against the protocol's bounds.
 *
 * @throws InvalidRecordError with reason `out-of-range`, naming the field
 */
export function validateRecord (record: MemberRecord): void {
  text('origin', record.origin, 1, limits.MAX_ORIGIN_LENGTH, IDENTIFIER)
  text('name', record.name, 1, limits.MAX_NAME_LENGTH, IDENTIFIER)
  integer('incarnation', record.incarnation, 1, Number.MAX_SAFE_INTEGER)
  integer('sequence', record.sequence, 0, Number.MAX_SAFE_INTEGER)
  if (!(record.status in STATUS_TO_WIRE)) outOfRange('status', String(record.status))
  if (record.groups.size > limits.MAX_GROUPS) outOfRange('groups', `${record.groups.size} entries`)
  for (const [name, load] of record.groups) {
    text('group name', name, 1, limits.MAX_GROUP_NAME_LENGTH, IDENTIFIER)
    integer(`load of group "${name}"`, load, 0, limits.MAX_LOAD)
  }
  integer('weight', record.weight, 0, limits.MAX_WEIGHT)
  const tags = Object.entries(record.tags)
  if (tags.length > limits.MAX_TAGS) outOfRange('tags', `${tags.length} entries`)
  for (const [key, value] of tags) {
    text('tag key', key, 1, limits.MAX_TAG_KEY_LENGTH, IDENTIFIER)
    text(`tag "${key}"`, value, 0, limits.MAX_TAG_VALUE_LENGTH, NO_CONTROLS)
  }
  integer('eventLoopLagMs', record.eventLoopLagMs, 0, limits.MAX_EVENT_LOOP_LAG_MS)
  text('clientAddress', record.clientAddress, 0, limits.MAX_CLIENT_ADDRESS_LENGTH, NO_CONTROLS)
  if (record.addresses.length > limits.MAX_ADDRESSES) outOfRange('addresses', `${record.addresses.length} entries`)
  for (const address of record.addresses) {
    text('address', address, 1, limits.MAX_ADDRESS_LENGTH, IDENTIFIER)
  }
}

function text (field: string, value: unknown, min: number, max: number, pattern: RegExp): void {
  if (typeof value !== 'string') outOfRange(field, `expected a string, got ${typeof value}`)
  if (value.length < min || value.length > max) outOfRange(field, `length ${value.length} not in [${min}, ${max}]`)
  if (value.length > 0 && !pattern.test(value)) outOfRange(field, 'contains whitespace or control characters')
}

function integer (field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    outOfRange(field, `${String(value)} not an integer in [${min}, ${max}]`)
  }
}

function outOfRange (field: string, detail: string): never {
  throw new InvalidRecordError('out-of-range', `${field}: ${detail}`)
}
