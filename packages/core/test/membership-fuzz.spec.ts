import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { decodeClaim, decodeProbeRequest, decodeProbeResponse, encodeClaim, encodeProbeRequest, recordLimits } from '../src/protocol.js'
import { ClaimsTopic } from '../src/membership/claims.js'
import { Strikes } from '../src/membership/strikes.js'
import { TokenBuckets } from '../src/cluster/token-buckets.js'
import { ManualClock } from '../src/testing/index.js'

/** Cases per property: a few thousand in the test run, 10^5 and more with `pnpm fuzz` (FUZZ_RUNS). */
const options = { numRuns: Number(process.env.FUZZ_RUNS ?? 2000) }
const PEER_ID = /^[\x21-\x7e]{1,128}$/

const peerId = fc.stringMatching(/^[A-Za-z0-9]{1,128}$/)
const claim = fc.record({
  claimant: peerId,
  subject: peerId,
  incarnation: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  sequence: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
})

function expectClaimInBounds (value: { claimant: string, subject: string, incarnation: number, sequence: number }): void {
  expect(value.claimant).toMatch(PEER_ID)
  expect(value.subject).toMatch(PEER_ID)
  expect(Number.isSafeInteger(value.incarnation) && value.incarnation >= 1).toBe(true)
  expect(Number.isSafeInteger(value.sequence) && value.sequence >= 0).toBe(true)
}

describe('fuzz: claims and probe messages', () => {
  it('decodes any bytes into a claim within the bounds, or a reason, and never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), bytes => {
      const decoded = decodeClaim(bytes)
      if (decoded.ok) expectClaimInBounds(decoded.value)
      else expect(['malformed', 'too-large', 'unsupported-version']).toContain(decoded.reason)
    }), options)
  })

  it('round-trips every valid claim within its size bound, and survives any edited byte', () => {
    fc.assert(fc.property(claim, fc.nat(), fc.integer({ min: 0, max: 255 }), (valid, at, value) => {
      const bytes = encodeClaim(valid)
      expect(bytes.byteLength).toBeLessThanOrEqual(recordLimits.MAX_CLAIM_BYTES)
      expect(decodeClaim(bytes)).toEqual({ ok: true, value: valid })
      const edited = Uint8Array.from(bytes)
      edited[at % edited.length] = value
      const after = decodeClaim(edited)
      if (after.ok) expectClaimInBounds(after.value)
    }), options)
  })

  it('decodes any bytes into a probe request within the bounds, or a reason, and any answer into ack, nack or nothing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), bytes => {
      const decoded = decodeProbeRequest(bytes)
      if (decoded.ok) {
        const request = decoded.value
        if (request.target === undefined) {
          // A direct probe carries nothing to check.
          expect(request).toEqual({})
        } else {
          expect(request.target).toMatch(PEER_ID)
          expect(request.timeoutMs).toBeGreaterThanOrEqual(1)
          expect(request.timeoutMs).toBeLessThanOrEqual(recordLimits.MAX_PROBE_TIMEOUT_MS)
        }
      } else {
        expect(['malformed', 'too-large', 'unsupported-version']).toContain(decoded.reason)
      }
      expect([true, false, undefined]).toContain(decodeProbeResponse(bytes))
    }), options)
  })

  it('round-trips every valid probe request within its size bound', () => {
    fc.assert(fc.property(peerId, fc.integer({ min: 1, max: recordLimits.MAX_PROBE_TIMEOUT_MS }), (target, timeoutMs) => {
      const bytes = encodeProbeRequest({ target, timeoutMs })
      expect(bytes.byteLength).toBeLessThanOrEqual(recordLimits.MAX_PROBE_MESSAGE_BYTES)
      expect(decodeProbeRequest(bytes)).toEqual({ ok: true, value: { target, timeoutMs } })
    }), options)
  })

  it('validates any message on the claims topic with a verdict and a counted reason, never throwing', () => {
    const clock = new ManualClock(0)
    const rejected: string[] = []
    const versions = new Map([['a', { incarnation: 1, sequence: 1 }], ['b', { incarnation: 1, sequence: 1 }]])
    const topic = new ClaimsTopic({
      now: () => clock.now(),
      allowPeers: undefined,
      versionOf: id => versions.get(id),
      rate: new TokenBuckets(clock, 1e9, 1e9),
      strikes: new Strikes(1000, 2),
      onReject: reason => { rejected.push(reason) }
    })
    // Near misses too: members and versions of this node's table, so that some claims pass and some just fail.
    const nearMiss = fc.record({
      claimant: fc.constantFrom('a', 'b', 'c'),
      subject: fc.constantFrom('a', 'b', 'c'),
      incarnation: fc.constantFrom(1, 2),
      sequence: fc.constantFrom(0, 1, 2)
    }).map(encodeClaim)
    let accepted = 0
    fc.assert(fc.property(fc.constantFrom('a', 'b', 'c'), fc.oneof(fc.uint8Array({ maxLength: 400 }), claim.map(encodeClaim), nearMiss), (from, data) => {
      const before = rejected.length
      const verdict = topic.validate({ from, data })
      expect(['accept', 'reject', 'ignore']).toContain(verdict)
      if (verdict === 'accept') {
        const taken = topic.take({ from, data })
        expect(taken?.claimant).toBe(from)
        expect(taken?.subject).not.toBe(from)
        expect(versions.get(taken!.subject)).toEqual({ incarnation: taken!.incarnation, sequence: taken!.sequence })
        expect(rejected.length).toBe(before)
        accepted++
      } else {
        expect(rejected.length).toBe(before + 1)
      }
    }), options)
    expect(accepted).toBeGreaterThan(0)
    const stats = topic.stats()
    expect(stats.claimsAccepted).toBe(accepted)
    expect(Object.values(stats.claimsRejected).reduce((a, b) => a + b, 0)).toBe(rejected.length)
  })
})
