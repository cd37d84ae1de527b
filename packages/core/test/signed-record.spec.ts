import { describe, expect, it } from '@jest/globals'
import { InvalidRecordError } from '../src/index.js'
import {
  decodeSignedRecord, decodeSync, encodeRecord, encodeSignedRecord, encodeSync, RECORD_SIGNING_DOMAIN, recordLimits, recordSigningPayload, signRecord
} from '../src/protocol.js'
import { MemoryNetwork } from '../src/testing/index.js'
import { SignedStore } from '../src/cluster/signed-store.js'
import { record } from './fixtures.js'

describe('signed records', () => {
  it('signs the domain "meshbalancer-record" followed by the record bytes', async () => {
    const transport = new MemoryNetwork().createTransport('peer-a')
    const signed = decodeSignedRecord(await signRecord(record(), async payload => await transport.sign(payload))).signed
    expect(new TextDecoder().decode(RECORD_SIGNING_DOMAIN)).toBe('meshbalancer-record')
    const payload = recordSigningPayload(signed.record)
    expect(payload.subarray(0, 19)).toEqual(RECORD_SIGNING_DOMAIN)
    expect(payload.subarray(19)).toEqual(signed.record)
    expect(signed.record).toEqual(encodeRecord(record()))
    await expect(transport.verify('peer-a', payload, signed.signature)).resolves.toBe(true)
    // The record alone, without the domain, is not what was signed.
    await expect(transport.verify('peer-a', signed.record, signed.signature)).resolves.toBe(false)
  })

  it('refuses a signature that is empty or longer than 128 bytes, and a record out of bounds, as InvalidRecordError', () => {
    const bytes = encodeRecord(record())
    expect(() => decodeSignedRecord(encodeSignedRecord({ record: bytes, signature: new Uint8Array() }))).toThrow(InvalidRecordError)
    expect(() => decodeSignedRecord(encodeSignedRecord({ record: bytes, signature: new Uint8Array(129) }))).toThrow(InvalidRecordError)
    expect(decodeSignedRecord(encodeSignedRecord({ record: bytes, signature: new Uint8Array(128) })).record.origin).toBe('peer-a')
    expect(() => decodeSignedRecord(new Uint8Array(recordLimits.MAX_SIGNED_RECORD_BYTES + 1))).toThrow(/too-large/)
  })

  it('carries reached_all on the topic only: decoded from a flagged message, never written into push-pull', () => {
    const signed = { record: encodeRecord(record()), signature: new Uint8Array(64).fill(3) }
    expect(decodeSignedRecord(encodeSignedRecord(signed, true)).reachedAll).toBe(true)
    expect(decodeSignedRecord(encodeSignedRecord(signed)).reachedAll).toBe(false)
    // Absent, not false, when unset: the bytes are those a node that predates the field writes.
    expect(encodeSignedRecord(signed).byteLength).toBe(encodeSignedRecord(signed, true).byteLength - 2)
    const decoded = decodeSync(encodeSync([decodeSignedRecord(encodeSignedRecord(signed, true)).signed]))
    expect(decoded.ok && decoded.records.map(entry => Object.keys(entry).filter(key => (entry as unknown as Record<string, unknown>)[key] !== undefined).sort())).toEqual([['record', 'signature']])
  })

  it('cuts a push-pull message at its byte bound, keeping the records given first', () => {
    const big = { record: new Uint8Array(15_000).fill(1), signature: new Uint8Array(64) }
    const own = { record: new Uint8Array(10).fill(2), signature: new Uint8Array(64) }
    const many = Array.from({ length: 400 }, () => big)
    const bytes = encodeSync([own, ...many])
    expect(bytes.byteLength).toBeLessThanOrEqual(recordLimits.MAX_SYNC_BYTES)
    const decoded = decodeSync(bytes)
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    expect(decoded.records[0]?.record).toEqual(own.record)
    expect(decoded.records.length).toBe(1 + Math.floor((recordLimits.MAX_SYNC_BYTES - 2 - (10 + 64 + 8 + 5)) / (15_000 + 64 + 8 + 5)))
  })

  it('keeps one signed record per member, the newest, this node’s own first', () => {
    const store = new SignedStore('self')
    const signed = (n: number): { record: Uint8Array, signature: Uint8Array } => ({ record: Uint8Array.of(n), signature: Uint8Array.of(n) })
    store.set(record({ origin: 'peer-a', sequence: 2 }), signed(2))
    store.set(record({ origin: 'peer-a', sequence: 1 }), signed(1))
    store.set(record({ origin: 'self', sequence: 5 }), signed(5))
    expect(store.wants(record({ origin: 'peer-a', sequence: 2 }))).toBe(false)
    expect(store.wants(record({ origin: 'peer-a', sequence: 3 }))).toBe(true)
    expect([...store.all()].map(s => s.record[0])).toEqual([5, 2])
    store.delete('peer-a')
    store.delete('self')
    expect([...store.all()].map(s => s.record[0])).toEqual([5])
  })
})
