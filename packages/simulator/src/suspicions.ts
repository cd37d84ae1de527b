import { probe } from './probe.js'
import { suspicionTimeout } from './protocol.js'
import { WIRE_BYTES } from './wire.js'
import { removalTime, World } from './world.js'
import type { Traffic, WorldInit } from './world.js'

export interface SuspicionInit extends WorldInit {
  /** Simulated time, in probe periods. @default 60 */
  periods?: number
  /**
   * One slow member (Lifeguard's scenario): it handles every message it receives `delayMs` late (an overloaded
   * process), so its probes' answers reach its code late, and so do the probes it should answer.
   */
  slow?: { member: number, delayMs: number }
}

export interface SuspicionResult {
  /** Node-seconds simulated (n × duration). */
  nodeSeconds: number
  /** Claims published about live members. */
  claims: number
  /** Of those, claims the slow member made about others. */
  claimsBySlow: number
  /** Claims about the slow member. */
  claimsAboutSlow: number
  /** Suspicions: distinct versions of live members claimed, each refuted by a newer record. */
  suspicions: number
  /** Node–member pairs in which a live member was removed (its refutation came after the timeout, or never). */
  falseRemovals: number
  /** The longest time a live member stayed suspect at some node before its refutation reached it, ms. */
  longestSuspectMs: number
  /** Mean local-health multiplier of the slow member, and of the others, over the probes they made. */
  slowHealth: number
  othersHealth: number
  /** Messages and bytes received, by kind, over the whole run. */
  traffic: Traffic
}

interface Suspicion {
  subject: number
  claims: Float64Array[]
  /** When each node holds the refuting record (Infinity: never). */
  refuted?: Float64Array
}

/**
 * A cluster of live members for `periods` probe periods: each node probes a member each period (its period
 * stretched by its local health), and every failed period is a suspicion of a live member, with the claims,
 * refutations and Lifeguard's local health that follow. With message loss, or with one slow member, this counts
 * false suspicions (claims about live members), false removals, and the messages the detector costs when idle.
 */
export function simulateSuspicions (init: SuspicionInit): SuspicionResult {
  const world = new World(init)
  const { size, params } = world
  const periods = init.periods ?? 60
  const end = periods * params.probeIntervalMs
  const state = { health: new Int8Array(size), delayMs: new Float64Array(size) }
  const slow = init.slow?.member
  if (init.slow !== undefined) state.delayMs[init.slow.member] = init.slow.delayMs
  const next = new Float64Array(size)
  for (let node = 0; node < size; node++) next[node] = world.random() * params.probeIntervalMs
  // The suspicion currently open about each member's current version, and every one ever opened.
  const open = new Map<number, Suspicion>()
  const all: Suspicion[] = []
  let claims = 0
  let claimsBySlow = 0
  let claimsAboutSlow = 0
  const healthSum = { slow: 0, slowProbes: 0, others: 0, otherProbes: 0 }

  for (let period = 0; period * params.probeIntervalMs < end; period++) {
    const periodEnd = (period + 1) * params.probeIntervalMs
    const due: Array<[node: number, t: number]> = []
    for (let node = 0; node < size; node++) if (next[node]! < periodEnd) due.push([node, next[node]!])
    due.sort((a, b) => a[1] - b[1])
    for (const [prober, t] of due) {
      const target = world.other(prober)
      if (prober === slow) { healthSum.slow += state.health[prober]!; healthSum.slowProbes++ } else { healthSum.others += state.health[prober]!; healthSum.otherProbes++ }
      const outcome = probe(world, state, prober, target, t, 'alive')
      if (world.localHealth) state.health[prober] = Math.min(params.maxLocalHealth, Math.max(0, state.health[prober]! + outcome.health))
      next[prober] = t + params.probeIntervalMs * (state.health[prober]! + 1)
      if (outcome.alive) continue
      // A live member suspected: claim, unless the prober holds K + 1 claims of this version, or already its refutation.
      let suspicion = open.get(target)
      if (suspicion?.refuted !== undefined && suspicion.refuted[prober]! <= outcome.at) suspicion = undefined
      if (suspicion !== undefined && suspicion.claims.filter(c => c[prober]! <= outcome.at).length >= params.confirmations + 1) continue
      if (suspicion === undefined) {
        suspicion = { subject: target, claims: [] }
        open.set(target, suspicion)
        all.push(suspicion)
      }
      const arrival = world.publish(prober, outcome.at, 'claim', WIRE_BYTES.claim)
      arrival[prober] = outcome.at
      suspicion.claims.push(arrival)
      claims++
      if (prober === slow) claimsBySlow++
      if (target === slow) claimsAboutSlow++
      // The subject refutes the first claim of its version that reaches it, with a newer record.
      if (suspicion.refuted === undefined && Number.isFinite(arrival[target]!)) {
        const refuteAt = arrival[target]! + state.delayMs[target]!
        suspicion.refuted = world.publish(target, refuteAt, 'record', WIRE_BYTES.record)
        suspicion.refuted[target] = refuteAt
        if (world.localHealth) state.health[target] = Math.min(params.maxLocalHealth, state.health[target]! + 1)
      }
    }
  }

  let falseRemovals = 0
  let longestSuspectMs = 0
  const timeout = (confirmations: number): number => suspicionTimeout(params, size, confirmations)
  for (const suspicion of all) {
    for (let node = 0; node < size; node++) {
      if (node === suspicion.subject) continue
      const refuted = suspicion.refuted?.[node] ?? Number.POSITIVE_INFINITY
      const arrivals = suspicion.claims.map(c => c[node]!).filter(a => a < refuted).sort((a, b) => a - b)
      if (arrivals.length === 0) continue
      const removed = removalTime(arrivals, timeout)
      if (removed < refuted && removed <= end + timeout(0)) falseRemovals++
      else longestSuspectMs = Math.max(longestSuspectMs, Math.min(refuted, end) - arrivals[0]!)
    }
  }
  return {
    nodeSeconds: size * end / 1000,
    claims,
    claimsBySlow,
    claimsAboutSlow,
    suspicions: all.length,
    falseRemovals,
    longestSuspectMs: Math.round(longestSuspectMs * 10) / 10,
    slowHealth: healthSum.slowProbes === 0 ? 0 : healthSum.slow / healthSum.slowProbes,
    othersHealth: healthSum.otherProbes === 0 ? 0 : healthSum.others / healthSum.otherProbes,
    traffic: world.traffic
  }
}
