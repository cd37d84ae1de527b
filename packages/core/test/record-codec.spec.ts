import { describe, expect, it } from '@jest/globals'
import { InvalidRecordError } from '../src/index.js'
import { decodeRecord, encodeRecord, recordLimits, validateRecord } from '../src/protocol.js'
import { MemberRecord as WireRecord } from '../src/pb/record.js'
import { record } from './fixtures.js'
import type { RecordRejectReason } from '../src/index.js'

function rejection (bytes: Uint8Array): RecordRejectReason | undefined {
  try {
    decodeRecord(bytes)
    return undefined
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRecordError)
    return (err as InvalidRecordError).reason
  }
}

/** Encodes wire fields directly, bypassing the validation of encodeRecord, as a hostile peer would. */
function rawRecord (fields: Partial<WireRecord>): Uint8Array {
  const valid = WireRecord.decode(encodeRecord(record()))
  return WireRecord.encode({ ...valid, ...fields })
}

describe('record codec', () => {
  it('round-trips every field', () => {
    const original = record({ tags: { zone: 'eu-1', role: 'edge server' }, groups: new Map([['api', 3], ['ws', 0]]) })
    const decoded = decodeRecord(encodeRecord(original))
    expect(decoded).toEqual(original)
  })

  it('keeps incarnations and sequences exact up to 2^53 - 1', () => {
    const original = record({ incarnation: Number.MAX_SAFE_INTEGER, sequence: Number.MAX_SAFE_INTEGER })
    expect(decodeRecord(encodeRecord(original))).toMatchObject({
      incarnation: Number.MAX_SAFE_INTEGER,
      sequence: Number.MAX_SAFE_INTEGER
    })
  })

  it.each([
    ['bytes cut inside a field', encodeRecord(record()).subarray(0, encodeRecord(record()).length - 3), 'malformed'],
    ['random garbage', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'malformed'],
    ['an oversized record', new Uint8Array(recordLimits.MAX_RECORD_BYTES + 1), 'too-large'],
    ['another schema version', rawRecord({ version: 2 }), 'unsupported-version'],
    ['an unspecified status', rawRecord({ status: 0 as never }), 'out-of-range'],
    ['an empty origin', rawRecord({ origin: '' }), 'out-of-range'],
    ['a name with whitespace', rawRecord({ name: 'bad name' }), 'out-of-range'],
    ['a name with a control character', rawRecord({ name: 'bad\u0007' }), 'out-of-range'],
    ['incarnation 0', rawRecord({ incarnation: 0 }), 'out-of-range'],
    ['a weight above the maximum', rawRecord({ weight: recordLimits.MAX_WEIGHT + 1 }), 'out-of-range'],
    ['a group listed twice', rawRecord({ groups: [{ name: 'api', load: 1 }, { name: 'api', load: 2 }] }), 'out-of-range'],
    ['too many groups', rawRecord({ groups: Array.from({ length: recordLimits.MAX_GROUPS + 1 }, (_, i) => ({ name: `g${i}`, load: 0 })) }), 'out-of-range'],
    ['too many addresses', rawRecord({ addresses: Array.from({ length: recordLimits.MAX_ADDRESSES + 1 }, (_, i) => `/ip4/127.0.0.1/tcp/${i + 1}`) }), 'out-of-range'],
    ['an event-loop lag above an hour', rawRecord({ eventLoopLagMs: recordLimits.MAX_EVENT_LOOP_LAG_MS + 1 }), 'out-of-range'],
    ['a tag value with a newline', rawRecord({ tags: new Map([['zone', 'a\nb']]) }), 'out-of-range'],
    ['a shedding namespace listed twice', rawRecord({ shedding: [{ name: 'ws', load: 1 }, { name: 'ws', load: 2 }] }), 'out-of-range'],
    ['a shedding namespace with whitespace', rawRecord({ shedding: [{ name: 'w s', load: 1 }] }), 'out-of-range'],
    ['too many shedding namespaces', rawRecord({ shedding: Array.from({ length: recordLimits.MAX_SHEDDING + 1 }, (_, i) => ({ name: `ns${i}`, load: 0 })) }), 'out-of-range']
  ])('rejects %s', (_, bytes, reason) => {
    expect(rejection(bytes)).toBe(reason)
  })

  it('never yields an invalid record from a record cut at any length', () => {
    // A protobuf message may end at any field boundary, so some cuts decode to a valid record with fewer fields;
    // integrity is the gossip signature's job. The codec's job is that every cut either throws a typed error or
    // yields a record within bounds.
    const bytes = encodeRecord(record())
    let rejected = 0
    for (let length = 0; length < bytes.length; length++) {
      const cut = bytes.subarray(0, length)
      if (rejection(cut) === undefined) expect(() => { validateRecord(decodeRecord(cut)) }).not.toThrow()
      else rejected++
    }
    expect(rejected).toBeGreaterThan(bytes.length / 2)
  })

  it('refuses to encode what receivers would reject', () => {
    expect(() => encodeRecord(record({ weight: -1 }))).toThrow(/weight/)
    expect(() => encodeRecord(record({ name: '' }))).toThrow(/name/)
    expect(() => encodeRecord(record({ groups: new Map([['api', 1.5]]) }))).toThrow(/load of group "api"/)
    expect(() => encodeRecord(record({ shedding: new Map([['ws', -1]]) }))).toThrow(/count of namespace "ws"/)
  })

  it('carries shedding namespaces apart from groups, and reads a record without them as shedding nowhere', () => {
    const decoded = decodeRecord(encodeRecord(record({ groups: new Map([['api', 1]]), shedding: new Map([['ws', 9]]) })))
    expect(decoded.groups).toEqual(new Map([['api', 1]]))
    expect(decoded.shedding).toEqual(new Map([['ws', 9]]))
    // What a release before shedding namespaces sends: field 13 absent.
    expect(decodeRecord(rawRecord({ shedding: [] })).shedding.size).toBe(0)
  })

  it('ignores fields it does not know, so newer minor versions stay readable', () => {
    const bytes = encodeRecord(record())
    const extended = new Uint8Array(bytes.length + 3)
    extended.set(bytes)
    extended.set([0xa0, 0x06, 0x01], bytes.length) // field 100, varint 1
    expect(decodeRecord(extended).name).toBe('a')
  })
})
