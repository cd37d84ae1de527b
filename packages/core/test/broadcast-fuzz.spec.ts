import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { decodeBroadcast, encodeBroadcast, recordLimits } from '../src/protocol.js'

/** Cases per property: a few thousand in the test run, 10^5 and more with `pnpm fuzz` (FUZZ_RUNS). */
const options = { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) }
const REASONS = ['malformed', 'too-large', 'unsupported-version']

const envelope = fc.record({
  topic: fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  data: fc.uint8Array({ maxLength: 512 })
})

describe('fuzz: broadcast envelopes', () => {
  it('decodes any bytes into an envelope within the bounds, or a reason, and never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), bytes => {
      const decoded = decodeBroadcast(bytes)
      if (decoded.ok) {
        expect(decoded.envelope.id.byteLength).toBe(recordLimits.BROADCAST_ID_BYTES)
        expect(decoded.envelope.data.byteLength).toBeLessThanOrEqual(recordLimits.MAX_BROADCAST_BYTES)
        expect(decoded.envelope.topic).toMatch(/^[A-Za-z0-9._-]{1,64}$/)
      } else {
        expect(REASONS).toContain(decoded.reason)
      }
    }), options)
  })

  it('round-trips every valid envelope, and refuses it once edited out of bounds', () => {
    fc.assert(fc.property(envelope, fc.nat(), fc.integer({ min: 0, max: 255 }), (valid, at, value) => {
      const bytes = encodeBroadcast(valid)
      expect(bytes.byteLength).toBeLessThanOrEqual(recordLimits.MAX_BROADCAST_ENVELOPE_BYTES)
      const decoded = decodeBroadcast(bytes)
      expect(decoded.ok && [decoded.envelope.topic, [...decoded.envelope.id], [...decoded.envelope.data]]).toEqual([valid.topic, [...valid.id], [...valid.data]])
      const edited = Uint8Array.from(bytes)
      edited[at % edited.length] = value
      const after = decodeBroadcast(edited)
      if (after.ok) {
        expect(after.envelope.id.byteLength).toBe(recordLimits.BROADCAST_ID_BYTES)
        expect(after.envelope.topic).toMatch(/^[A-Za-z0-9._-]{1,64}$/)
      }
    }), options)
  })

  it('takes the largest envelope its limits allow', () => {
    const largest = encodeBroadcast({ topic: 'x'.repeat(64), id: new Uint8Array(16), data: new Uint8Array(recordLimits.MAX_BROADCAST_BYTES) })
    expect(largest.byteLength).toBeLessThanOrEqual(recordLimits.MAX_BROADCAST_ENVELOPE_BYTES)
    expect(decodeBroadcast(largest).ok).toBe(true)
  })
})
