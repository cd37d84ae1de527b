import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { InvalidRecordError, silentLogger } from '../src/index.js'
import { decodeSignedRecord, decodeSync, encodeSignedRecord, encodeSync, recordLimits, recordSigningPayload, signRecord } from '../src/protocol.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import { PushPull } from '../src/cluster/push-pull.js'
import { record } from './fixtures.js'
import { mutated } from './mutations.js'
import type { SignedRecord } from '../src/protocol.js'
import type { MemberRecord } from '../src/index.js'

/** Cases per property: a few hundred in the test run, many more with `pnpm fuzz` (FUZZ_RUNS). */
const RUNS = Math.max(100, Math.floor(Number(process.env.FUZZ_RUNS ?? 2000) / 5))

describe('fuzz: signed records and push-pull messages', () => {
  const network = new MemoryNetwork({ clock: new ManualClock() })
  const origins = ['peer-a', 'peer-b', 'peer-c'].map(id => network.createTransport(id))

  it('decodes any bytes as a signed record or throws an InvalidRecordError, nothing else', async () => {
    const valid = await signRecord(record(), async p => await origins[0]!.sign(p))
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 20_000 }), mutated(valid)), bytes => {
      try {
        const { record: decoded, signed } = decodeSignedRecord(bytes)
        expect(decoded.origin.length).toBeGreaterThan(0)
        expect(signed.signature.byteLength).toBeLessThanOrEqual(recordLimits.MAX_SIGNATURE_BYTES)
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidRecordError)
      }
    }), { numRuns: RUNS })
  })

  it('decodes any bytes as a push-pull message or names why not, and never throws', async () => {
    const entries = await Promise.all(origins.map(async (t, i) => decodeSignedRecord(await signRecord(record({ origin: t.id, sequence: i + 1 }), async p => await t.sign(p))).signed))
    const valid = encodeSync(entries)
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), mutated(valid)), bytes => {
      const decoded = decodeSync(bytes)
      if (decoded.ok) expect(decoded.records.length).toBeLessThanOrEqual(recordLimits.MAX_SYNC_RECORDS)
      else expect(['malformed', 'too-large', 'too-many-records', 'unsupported-version']).toContain(decoded.reason)
    }), { numRuns: RUNS })
  })

  it('applies from an exchange only records their origin signed, and counts every other one', async () => {
    const genuine = await Promise.all(origins.map(async (t, i) => decodeSignedRecord(await signRecord(record({ origin: t.id, name: `n${i}`, sequence: 1 }), async p => await t.sign(p))).signed))
    // Entries: genuine, edited (record or signature), or signed by the wrong key.
    const entry = fc.oneof(
      fc.constantFrom(...genuine),
      fc.tuple(fc.constantFrom(...genuine), fc.nat()).chain(([signed, seed]) => mutated(signed.record).map(bytes => ({ record: bytes, signature: signed.signature, seed }))),
      fc.constantFrom(...genuine).chain(signed => mutated(signed.signature).map(signature => ({ record: signed.record, signature }))),
      fc.tuple(fc.constantFrom(...genuine), fc.constantFrom(...origins)).map(([signed, wrong]) => ({ record: signed.record, signature: Uint8Array.from(signed.signature), wrong }))
    )
    await fc.assert(fc.asyncProperty(fc.array(entry, { maxLength: 12 }), fc.nat(), async (entries, n) => {
      const applied: Array<{ record: MemberRecord, signed: SignedRecord }> = []
      let rejected = 0
      const clock = new ManualClock()
      const pushPull = new PushPull({
        id: 'self',
        protocol: 'sync',
        transport: origins[0]!,
        clock,
        random: Math.random,
        logger: silentLogger,
        intervalMs: 0,
        allowPeers: undefined,
        records: async () => [],
        wants: () => true,
        apply: (rec, signed) => { applied.push({ record: rec, signed }); return 'joined' },
        partners: () => [],
        declaredDead: () => false,
        republish: () => false,
        size: () => 1,
        running: () => true,
        onReject: () => { rejected++ }
      })
      const wire: SignedRecord[] = entries.map(e => ({ record: e.record, signature: e.signature }))
      const answer = await pushPull.serve(encodeSync(wire), { from: `asker-${n}`, signal: new AbortController().signal })
      expect(decodeSync(answer).ok).toBe(true)
      for (const { record: rec, signed } of applied) {
        expect(decodeSignedRecord(encodeSignedRecord(signed)).record).toEqual(rec)
        await expect(origins[1]!.verify(rec.origin, recordSigningPayload(signed.record), signed.signature)).resolves.toBe(true)
      }
      expect(applied.length + rejected).toBe(wire.length)
    }), { numRuns: Math.max(50, Math.floor(RUNS / 4)) })
  })
})
