import { describe, expect, it } from '@jest/globals'
import { decodeClaim, decodeProbeRequest, decodeProbeResponse, encodeClaim, encodeProbeRequest, encodeProbeResponse, recordLimits } from '../src/protocol.js'
import { Claim as WireClaim, ProbeRequest as WireProbeRequest } from '../src/pb/membership.js'
import { LocalHealth } from '../src/membership/local-health.js'
import { ProbeSchedule } from '../src/membership/probe-schedule.js'
import { Strikes } from '../src/membership/strikes.js'
import { suspicionBounds, suspicionTimeout, Suspicions } from '../src/membership/suspicion.js'
import { seededRandom } from '../src/index.js'
import { ManualClock } from '../src/testing/index.js'
import type { Suspicion } from '../src/membership/suspicion.js'

const TIMING = { probeIntervalMs: 1000, suspicionMultiplier: 2, suspicionMaxMultiplier: 3, confirmations: 3 }

describe('probe schedule', () => {
  it('probes every member once per pass, in a different order each pass', () => {
    const schedule = new ProbeSchedule(seededRandom(7))
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`)
    for (const id of ids) schedule.add(id)
    const passes = [0, 1, 2].map(() => Array.from({ length: ids.length }, () => schedule.next()!))
    for (const pass of passes) expect([...pass].sort()).toEqual([...ids].sort())
    expect(passes[1]).not.toEqual(passes[2])
  })

  it('probes a newcomer within the current pass and skips a member that left', () => {
    const schedule = new ProbeSchedule(seededRandom(3))
    for (const id of ['a', 'b', 'c', 'd']) schedule.add(id)
    const first = schedule.next()!
    schedule.add('e')
    const leaving = ['a', 'b', 'c', 'd'].find(id => id !== first)!
    schedule.remove(leaving)
    const rest = [schedule.next(), schedule.next(), schedule.next()]
    expect([first, ...rest].sort()).toEqual(['a', 'b', 'c', 'd', 'e'].filter(id => id !== leaving).sort())
    expect(schedule.size).toBe(4)
    expect(schedule.has(leaving)).toBe(false)
  })

  it('has nothing to probe when empty, and picks distinct helpers outside the excluded set', () => {
    const schedule = new ProbeSchedule(seededRandom(1))
    expect(schedule.next()).toBeUndefined()
    for (const id of ['a', 'b', 'c', 'd', 'e']) schedule.add(id)
    const helpers = schedule.pick(3, new Set(['a', 'b']))
    expect(new Set(helpers).size).toBe(3)
    expect(helpers.sort()).toEqual(['c', 'd', 'e'])
    expect(schedule.pick(3, new Set(['a', 'b', 'c', 'd']))).toEqual(['e'])
  })
})

describe('suspicion timeouts (Lifeguard)', () => {
  it('scales the bounds with log10 of the cluster size, never below one', () => {
    expect(suspicionBounds(TIMING, 3)).toEqual({ minMs: 2000, maxMs: 6000 })
    expect(suspicionBounds(TIMING, 10)).toEqual({ minMs: 2000, maxMs: 6000 })
    expect(suspicionBounds(TIMING, 1000)).toEqual({ minMs: 6000, maxMs: 18_000 })
  })

  it('shrinks from max with one claimant to min with K + 1, logarithmically', () => {
    expect(suspicionTimeout(2000, 6000, 1, 3)).toBe(6000)
    expect(suspicionTimeout(2000, 6000, 2, 3)).toBeCloseTo(4000, 6)
    expect(suspicionTimeout(2000, 6000, 3, 3)).toBeCloseTo(6000 - 4000 * Math.log(3) / Math.log(4), 6)
    expect(suspicionTimeout(2000, 6000, 4, 3)).toBe(2000)
    expect(suspicionTimeout(2000, 6000, 10, 3)).toBe(2000)
  })

  it('expires at the timeout of its claimants, shortened by each confirmation', async () => {
    const clock = new ManualClock(0)
    const expired: Suspicion[] = []
    const suspicions = new Suspicions({ clock, timing: TIMING, size: () => 5, lateSlackMs: 150, expired: s => { expired.push(s) } })
    expect(suspicions.add('x', { incarnation: 1, sequence: 4 }, 'a')).toBe('started')
    expect(suspicions.add('x', { incarnation: 1, sequence: 4 }, 'a')).toBe('duplicate')
    await clock.advance(1000)
    expect(suspicions.add('x', { incarnation: 1, sequence: 4 }, 'b')).toBe('confirmed')
    expect(suspicions.get('x')?.deadline).toBeCloseTo(4000, 6)
    await clock.advance(2999)
    expect(expired).toEqual([])
    await clock.advance(1)
    expect(expired.map(s => [s.subject, [...s.claimants]])).toEqual([['x', ['a', 'b']]])
    expect(suspicions.size).toBe(0)
  })

  it('restarts for a newer version, credits pauses, and grants a late timer one more turn', async () => {
    const clock = new ManualClock(0)
    const expired: string[] = []
    const suspicions = new Suspicions({ clock, timing: TIMING, size: () => 5, lateSlackMs: 150, expired: s => { expired.push(`${s.subject}@${s.version.sequence}`) } })
    suspicions.add('x', { incarnation: 1, sequence: 4 }, 'a')
    await clock.advance(1000)
    expect(suspicions.add('x', { incarnation: 1, sequence: 5 }, 'b')).toBe('started')
    expect(suspicions.get('x')).toMatchObject({ startedAt: 1000, deadline: 7000 })
    suspicions.credit(500)
    expect(suspicions.get('x')?.deadline).toBe(7500)
    // A pause of the process: the timer fires 2 s late, and waits one more turn for input it has not read yet.
    clock.jump(8500)
    await clock.advance(0)
    expect(expired).toEqual(['x@5'])
    suspicions.add('y', { incarnation: 1, sequence: 1 }, 'a')
    expect(suspicions.clear('y')?.subject).toBe('y')
    await clock.advance(10_000)
    expect(expired).toEqual(['x@5'])
  })
})

describe('strikes and local health', () => {
  it('bans a claimant at the limit, until its strikes decay', () => {
    const strikes = new Strikes(300_000, 2)
    expect(strikes.add('liar', 0)).toBe(false)
    expect(strikes.banned('liar', 0)).toBe(false)
    expect(strikes.add('liar', 1000)).toBe(true)
    expect(strikes.banned('liar', 1000)).toBe(true)
    expect(strikes.banned('liar', 300_000)).toBe(false)
    expect(strikes.count('liar', 300_000)).toBe(1)
    strikes.prune(301_000)
    expect(strikes.count('liar', 301_000)).toBe(0)
  })

  it('keeps the local health score between 0 and its maximum', () => {
    const health = new LocalHealth(2)
    health.better()
    expect(health.multiplier).toBe(1)
    health.worse(); health.worse(); health.worse()
    expect(health.value).toBe(2)
    expect(health.multiplier).toBe(3)
    health.better()
    expect(health.value).toBe(1)
  })
})

describe('claim and probe codec', () => {
  it('round-trips a claim, a probe request and both answers', () => {
    const claim = { claimant: '12D3KooWclaimant', subject: '12D3KooWsubject', incarnation: 1_700_000_000_000, sequence: 42 }
    expect(decodeClaim(encodeClaim(claim))).toEqual({ ok: true, value: claim })
    expect(decodeProbeRequest(encodeProbeRequest({ target: 'peer-b', timeoutMs: 500 }))).toEqual({ ok: true, value: { target: 'peer-b', timeoutMs: 500 } })
    expect(decodeProbeResponse(encodeProbeResponse(true))).toBe(true)
    expect(decodeProbeResponse(encodeProbeResponse(false))).toBe(false)
  })

  it('encodes a direct probe as a request naming no target, whatever its timeout field says', () => {
    const direct = encodeProbeRequest({})
    expect(Array.from(direct)).toEqual([0x08, 0x01])
    expect(decodeProbeRequest(direct)).toEqual({ ok: true, value: {} })
    expect(decodeProbeRequest(WireProbeRequest.encode({ version: 1, target: '', timeoutMs: 700 }))).toEqual({ ok: true, value: {} })
    // Still a request of this version, and still bounded.
    expect(decodeProbeRequest(WireProbeRequest.encode({ version: 2, target: '', timeoutMs: 0 }))).toMatchObject({ ok: false, reason: 'unsupported-version' })
    expect(decodeProbeRequest(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'unsupported-version' })
  })

  it('refuses bad claims by reason, and never throws', () => {
    const good = { version: 1, claimant: 'a', subject: 'b', incarnation: 1, sequence: 1 }
    const reason = (bytes: Uint8Array): string | undefined => { const d = decodeClaim(bytes); return d.ok ? undefined : d.reason }
    expect(reason(new Uint8Array(recordLimits.MAX_CLAIM_BYTES + 1))).toBe('too-large')
    expect(reason(new Uint8Array([0xff, 0xff, 0xff]))).toBe('malformed')
    expect(reason(WireClaim.encode({ ...good, version: 2 }))).toBe('unsupported-version')
    expect(reason(WireClaim.encode({ ...good, claimant: '' }))).toBe('malformed')
    expect(reason(WireClaim.encode({ ...good, subject: 'has space' }))).toBe('malformed')
    expect(reason(WireClaim.encode({ ...good, incarnation: 0 }))).toBe('malformed')
    expect(reason(WireClaim.encode(good))).toBeUndefined()
  })

  it('refuses bad probe requests, clamps long timeouts, and reads unreadable answers as none', () => {
    const reason = (bytes: Uint8Array): string | undefined => { const d = decodeProbeRequest(bytes); return d.ok ? undefined : d.reason }
    expect(reason(new Uint8Array(recordLimits.MAX_PROBE_MESSAGE_BYTES + 1))).toBe('too-large')
    expect(reason(WireProbeRequest.encode({ version: 3, target: 'b', timeoutMs: 10 }))).toBe('unsupported-version')
    expect(reason(WireProbeRequest.encode({ version: 1, target: 'b', timeoutMs: 0 }))).toBe('malformed')
    expect(decodeProbeRequest(WireProbeRequest.encode({ version: 1, target: 'b', timeoutMs: 4_000_000 }))).toEqual({ ok: true, value: { target: 'b', timeoutMs: recordLimits.MAX_PROBE_TIMEOUT_MS } })
    expect(decodeProbeResponse(new Uint8Array([0xff]))).toBeUndefined()
  })
})
