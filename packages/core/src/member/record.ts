/**
 * The gossiped member record, declared once: its fields ({@link MemberRecord}) and what each one is on the wire,
 * how it is bounded and how it compares ({@link RECORD_FIELDS}). The codec, validation, the table's equality and
 * snapshots, and the group views' comparison are all derived from these two; the compiler checks that they name
 * the same fields as each other and as the protons-generated wire message (`src/pb/record.proto`).
 */
import * as limits from '../codec/limits.js'
import { IDENTIFIER, integer, loads, NO_CONTROLS, oneOf, stringList, stringMap, text } from '../codec/fields.js'
import { Status as WireStatus } from '../pb/record.js'
import type { Field } from '../codec/fields.js'
import type { MemberRecord as WireRecord } from '../pb/record.js'

/** A member's own announcement of its lifecycle. */
export type MemberStatus = 'joining' | 'active' | 'draining' | 'left'

/**
 * A member's self-description as gossiped. Each node writes only its own record; receivers keep the newest per
 * origin (higher incarnation, then higher sequence).
 */
export interface MemberRecord {
  /** The publishing peer's id; equal to the signer of the message that carried the record. */
  readonly origin: string
  /** Human-chosen node name. */
  readonly name: string
  /** Changes on every start of the node; a restart is a new incarnation. */
  readonly incarnation: number
  /** Increases with every record published within one incarnation. */
  readonly sequence: number
  readonly status: MemberStatus
  /** Balancer groups the member serves, with its load in each. */
  readonly groups: ReadonlyMap<string, number>
  /** Relative capacity for weight-aware algorithms; 0 means "send nothing new". */
  readonly weight: number
  readonly tags: Readonly<Record<string, string>>
  /** Event-loop delay over the last interval, in milliseconds: the mean wait of a request arriving at a random moment. */
  readonly eventLoopLagMs: number
  /** Where the member's own clients connect, used for reconnect hints; empty when not set. */
  readonly clientAddress: string
  /** Transport addresses at which peers can reach the member directly. */
  readonly addresses: readonly string[]
  /** Shedding namespaces the member sheds in, with its count in each; never a reason to select it. */
  readonly shedding: ReadonlyMap<string, number>
}

/** Every field of the record mapped to its handling, typed by the record's and the wire message's field. */
export type RecordFields = { readonly [K in keyof MemberRecord]-?: Field<MemberRecord[K], WireRecord[K]> }

const STATUS_TO_WIRE: Record<MemberStatus, WireStatus> = {
  joining: WireStatus.JOINING,
  active: WireStatus.ACTIVE,
  draining: WireStatus.DRAINING,
  left: WireStatus.LEFT
}

/** The declaration of the record's fields; bounds are in codec/limits.ts and docs/PROTOCOL.md §4. */
export const RECORD_FIELDS = {
  origin: text({ min: 1, max: limits.MAX_ORIGIN_LENGTH, pattern: IDENTIFIER }),
  name: text({ min: 1, max: limits.MAX_NAME_LENGTH, pattern: IDENTIFIER }),
  incarnation: integer(1, Number.MAX_SAFE_INTEGER),
  sequence: { ...integer(0, Number.MAX_SAFE_INTEGER), content: false },
  status: oneOf(STATUS_TO_WIRE, 'active'),
  groups: loads({ maxEntries: limits.MAX_GROUPS, maxNameLength: limits.MAX_GROUP_NAME_LENGTH, maxLoad: limits.MAX_LOAD, entry: 'group', amount: 'load' }),
  weight: { ...integer(0, limits.MAX_WEIGHT), empty: 1 },
  tags: stringMap({ maxEntries: limits.MAX_TAGS, maxKeyLength: limits.MAX_TAG_KEY_LENGTH, maxValueLength: limits.MAX_TAG_VALUE_LENGTH, entry: 'tag' }),
  eventLoopLagMs: integer(0, limits.MAX_EVENT_LOOP_LAG_MS),
  clientAddress: text({ min: 0, max: limits.MAX_CLIENT_ADDRESS_LENGTH, pattern: NO_CONTROLS }),
  addresses: stringList({ maxEntries: limits.MAX_ADDRESSES, min: 1, max: limits.MAX_ADDRESS_LENGTH, pattern: IDENTIFIER, entry: 'address' }),
  shedding: loads({ maxEntries: limits.MAX_SHEDDING, maxNameLength: limits.MAX_GROUP_NAME_LENGTH, maxLoad: limits.MAX_LOAD, entry: 'namespace', amount: 'count' })
} as const satisfies RecordFields

/** The record's fields as carried on the wire, without the schema version. */
export type WireFields = { -readonly [K in keyof MemberRecord]-?: WireRecord[K] }

type AnyField = Field<unknown, unknown>
const FIELDS: Readonly<Record<string, AnyField | undefined>> = RECORD_FIELDS as unknown as Record<string, AnyField>
const NAMES = Object.keys(RECORD_FIELDS) as ReadonlyArray<keyof MemberRecord>
const CONTENT = NAMES.filter(name => FIELDS[name]?.content !== false)

/** The generated decoder's entry limits, one per repeated or map field. */
export const DECODE_LIMITS: Readonly<Record<string, number>> = Object.fromEntries(
  NAMES.flatMap(name => { const max = FIELDS[name]?.maxEntries; return max === undefined ? [] : [[name, max]] })
)

function field (name: string): AnyField {
  return FIELDS[name] as AnyField
}

/**
 * Checks every field of a record against the protocol's bounds.
 *
 * @throws InvalidRecordError with reason `out-of-range`, naming the field
 */
export function validateRecord (record: MemberRecord): void {
  for (const name of NAMES) field(name).validate(record[name], name)
}

/** The record's fields in their wire form. */
export function toWire (record: MemberRecord): WireFields {
  const wire: Record<string, unknown> = {}
  for (const name of NAMES) wire[name] = field(name).toWire(record[name])
  return wire as WireFields
}

/**
 * The record carried by a decoded wire message (not yet validated).
 *
 * @throws InvalidRecordError when a wire value has no record value (an unknown status, a key listed twice)
 */
export function fromWire (wire: WireFields): MemberRecord {
  const record: Record<string, unknown> = {}
  for (const name of NAMES) record[name] = field(name).fromWire(wire[name], name)
  return record as unknown as MemberRecord
}

/** True when two records of one origin say the same, whatever their sequence. */
export function sameContent (a: MemberRecord, b: MemberRecord): boolean {
  for (const name of CONTENT) if (!field(name).equal(a[name], b[name])) return false
  return true
}

/** Fields of figures by name (group loads, shedding counts): the names are content, the figures are not. */
const FIGURES_BY_NAME = new Set<keyof MemberRecord>(['groups', 'shedding'])

/**
 * True when `b` says what `a` says but for its figures: the loads of the same groups, the counts of the same
 * shedding namespaces, and the event loop's lag. Such a record repeats what members hold, with figures the next
 * record supersedes; only it may go out flagged as sent to all (docs/PROTOCOL.md, 2.5).
 */
export function sameBesidesFigures (a: MemberRecord, b: MemberRecord): boolean {
  for (const name of CONTENT) {
    if (name === 'eventLoopLagMs') continue
    if (!FIGURES_BY_NAME.has(name)) {
      if (!field(name).equal(a[name], b[name])) return false
      continue
    }
    const left = a[name] as ReadonlyMap<string, number>
    const right = b[name] as ReadonlyMap<string, number>
    if (left.size !== right.size || [...left.keys()].some(key => !right.has(key))) return false
  }
  return true
}

/**
 * True when two views of a member (records, `ClusterMember`s, `Member`s) have the same value in every property:
 * record fields compare with their declared equality, anything else (`id`, `load`, `latencyMs`) by identity.
 */
export function sameView<T extends object> (a: T, b: T): boolean {
  for (const key of Object.keys(a) as Array<keyof T & string>) {
    const declared = FIELDS[key]
    if (declared === undefined ? !Object.is(a[key], b[key]) : !declared.equal(a[key], b[key])) return false
  }
  return true
}

/** What `memberRecord()` needs at least; every other field takes its declared empty value. */
export type MemberRecordInit = Pick<MemberRecord, 'origin' | 'name' | 'incarnation'> & Partial<MemberRecord>

/**
 * A complete record from the fields given, the others set to their empty value (sequence 0, status `active`,
 * weight 1, no groups, tags, addresses or shedding), for tools and tests that publish records of their own.
 */
export function memberRecord (init: MemberRecordInit): MemberRecord {
  const record: Record<string, unknown> = {}
  for (const name of NAMES) record[name] = init[name] ?? field(name).empty
  return record as unknown as MemberRecord
}
