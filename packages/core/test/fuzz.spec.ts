import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { InvalidFrameError, InvalidRecordError, jsonCodec, MeshbalancerError, silentLogger } from '../src/index.js'
import { decodeRecord, decodeRequest, decodeResponse, encodeRecord, encodeRequest, encodeSignedRecord, validateRecord } from '../src/protocol.js'
import { ManualClock } from '../src/testing/index.js'
import { StateTopic } from '../src/cluster/state-topic.js'
import { RpcClient } from '../src/rpc/client.js'
import { RpcServer } from '../src/rpc/server.js'
import { MemberRecord as WireRecord, Status } from '../src/pb/record.js'
import { record } from './fixtures.js'
import { mutated } from './mutations.js'
import type { RecordRejectReason, Transport } from '../src/index.js'

/** Cases per property: a few thousand in the test run, 10^5 and more with `pnpm fuzz` (FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000)
const options = { numRuns: RUNS }

/** Whatever `decode` does with `bytes`, it returns or throws `errorType`, nothing else. */
function decodesOrRejects<T> (decode: (bytes: Uint8Array) => T, bytes: Uint8Array, errorType: new (...args: never[]) => Error): T | undefined {
  try {
    return decode(bytes)
  } catch (err) {
    expect(err).toBeInstanceOf(errorType)
    return undefined
  }
}

const valid = encodeRecord(record())
/** Bytes of a valid record with a few random edits. */
const mutatedRecord = mutated(valid)

/** Wire records with every field drawn from well beyond its bounds as well as within them. */
const wildRecord = fc.record({
  version: fc.constantFrom(0, 1, 1, 1, 2),
  origin: fc.string({ maxLength: 160 }),
  name: fc.string({ maxLength: 80 }),
  incarnation: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.constant(2 ** 53 - 1)),
  sequence: fc.nat(),
  status: fc.integer({ min: 0, max: 4 }),
  /** A status no release defines, written as a raw field 6 after the rest (the last value of a field wins). */
  rawStatus: fc.option(fc.integer({ min: 5, max: 127 })),
  groups: fc.array(fc.record({ name: fc.string({ maxLength: 140 }), load: fc.nat() }), { maxLength: 70 }),
  weight: fc.integer({ min: 0, max: 2_000_000 }),
  tags: fc.array(fc.tuple(fc.string({ maxLength: 70 }), fc.string({ maxLength: 300 })), { maxLength: 40 }).map(entries => new Map(entries)),
  eventLoopLagMs: fc.integer({ min: 0, max: 4_000_000 }),
  clientAddress: fc.string({ maxLength: 300 }),
  addresses: fc.array(fc.string({ maxLength: 300 }), { maxLength: 20 }),
  shedding: fc.array(fc.record({ name: fc.string({ maxLength: 140 }), load: fc.nat() }), { maxLength: 20 })
}).map(({ rawStatus, ...fields }) => {
  const bytes = WireRecord.encode({ ...fields, status: fields.status as unknown as Status })
  return rawStatus === null ? bytes : Uint8Array.from([...bytes, 0x30, rawStatus])
})

describe('fuzz: the record codec', () => {
  it('turns any bytes into a valid record or an InvalidRecordError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20_000 }), bytes => {
      const decoded = decodesOrRejects(decodeRecord, bytes, InvalidRecordError)
      if (decoded !== undefined) validateRecord(decoded)
    }), options)
  })

  it('never accepts an edited record that breaks a bound, and round-trips any it accepts', () => {
    fc.assert(fc.property(mutatedRecord, bytes => {
      const decoded = decodesOrRejects(decodeRecord, bytes, InvalidRecordError)
      if (decoded !== undefined) expect(decodeRecord(encodeRecord(decoded))).toEqual(decoded)
    }), options)
  })

  it('accepts a wire record only when every field is within the protocol\'s bounds', () => {
    fc.assert(fc.property(wildRecord, bytes => {
      const decoded = decodesOrRejects(decodeRecord, bytes, InvalidRecordError)
      if (decoded === undefined) return
      validateRecord(decoded)
      expect(bytes.byteLength).toBeLessThanOrEqual(16 * 1024)
      expect(decoded.groups.size).toBeLessThanOrEqual(64)
      expect(decoded.shedding.size).toBeLessThanOrEqual(16)
      expect(Object.keys(decoded.tags).length).toBeLessThanOrEqual(32)
      expect(decoded.weight).toBeLessThanOrEqual(1_000_000)
      expect(decoded.name).toMatch(/^[^\s\p{Cc}]{1,64}$/u)
    }), options)
  })
})

/** A record of `origin` wrapped as the records topic carries it (the topic does not check the inner signature). */
const signedBytes = (bytes: Uint8Array): Uint8Array => encodeSignedRecord({ record: bytes, signature: new Uint8Array(64).fill(1) })

describe('fuzz: the state topic validator', () => {
  it('accepts only records signed by their origin, and counts every message it refuses', () => {
    const senders = ['peer-a', 'peer-b', 'peer-c']
    const message = fc.record({
      from: fc.constantFrom(...senders),
      via: fc.constantFrom(...senders),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        mutatedRecord,
        mutatedRecord.map(signedBytes),
        fc.constantFrom(...senders).map(origin => signedBytes(encodeRecord(record({ origin }))))
      )
    })
    fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 50 }), messages => {
      let refusals = 0
      const topic = new StateTopic({ clock: new ManualClock(), allowPeers: undefined, maxRecordsPerSecond: 1000, onReject: () => { refusals++ } })
      let counted = 0
      for (const m of messages) {
        const verdict = topic.validate(m)
        if (verdict === 'accept') {
          const accepted = topic.take(m)!.record
          validateRecord(accepted)
          expect(accepted.origin).toBe(m.from)
        } else {
          counted++
        }
      }
      const rejected = Object.values(topic.stats().recordsRejected as Record<RecordRejectReason, number>).reduce((a, b) => a + b, 0)
      expect(rejected).toBe(counted)
      expect(refusals).toBe(counted)
    }), { numRuns: Math.max(100, Math.floor(RUNS / 10)) })
  })
})

describe('fuzz: RPC framing', () => {
  it('decodes any request or response frame, or throws an InvalidFrameError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), bytes => {
      decodesOrRejects(decodeRequest, bytes, InvalidFrameError)
      decodesOrRejects(decodeResponse, bytes, InvalidFrameError)
    }), options)
  })

  it('answers any request bytes with a response frame, and never throws', async () => {
    const server = new RpcServer({ codec: jsonCodec, clock: new ManualClock(), logger: silentLogger, onCallStart: () => true, onCallEnd: () => {}, onServed: () => {} })
    server.handle('echo', (args: unknown) => args)
    const request = fc.oneof(
      fc.uint8Array({ maxLength: 500 }),
      fc.record({ method: fc.constantFrom('echo', 'missing', ''), args: fc.uint8Array({ maxLength: 50 }), cast: fc.constant(false), timeoutMs: fc.nat(), group: fc.string() })
        .map(fields => { try { return encodeRequest(fields) } catch { return new Uint8Array([1]) } })
    )
    await fc.assert(fc.asyncProperty(request, async bytes => {
      const reply = await server.serve(bytes, { from: 'peer', signal: new AbortController().signal })
      if (reply !== undefined) decodeResponse(reply)
    }), options)
  })

  it('settles a call with a result or a typed error whatever bytes come back', async () => {
    let reply = new Uint8Array()
    const transport = { request: async () => reply } as unknown as Transport
    const client = new RpcClient({ transport, protocol: '/p', codec: jsonCodec, clock: new ManualClock(), localId: 'self', server: undefined as never })
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async bytes => {
      reply = bytes
      try {
        await client.send('peer', 'method', null, { group: 'g', timeoutMs: 1000, cast: false })
      } catch (err) {
        expect(err).toBeInstanceOf(MeshbalancerError)
      }
    }), options)
  })
})
