import { WIRE_BYTES } from './wire.js'
import type { World } from './world.js'

/** How a probed member behaves. */
export type TargetState =
  /** Alive: it answers after its processing delay. */
  | 'alive'
  /** Crashed and unreachable: nothing answers, probes time out. */
  | 'silent'
  /** Crashed, its host up: a dial is refused within a round trip (a killed process). */
  | 'refused'

/** What one probe period of a prober concluded. */
export interface ProbeOutcome {
  /** An ack came back, directly or through a helper. */
  alive: boolean
  /** When the prober concluded (ms): the ack's arrival, every helper's nack, or the end of its period. */
  at: number
  /** The change of the prober's local-health multiplier: −1 after an ack, +1 after a failure without every nack. */
  health: -1 | 0 | 1
  /** The helpers asked (after a failed direct probe). */
  helpers: number[]
}

/**
 * Per-node state a probe reads: local-health multipliers and processing delays (ms a node takes to handle each
 * message it receives; 0 for a healthy node, more for a slow one).
 */
export interface ProbeState {
  health: Int8Array
  delayMs: Float64Array
}

/**
 * A direct probe and its ack to a member that is alive: the extra delay of both transmissions (their
 * retransmissions), or infinity when either is lost. Counts each message that goes through; no ack is sent for a
 * probe that was lost.
 */
function directRoundTrip (world: World): number {
  const ping = world.transmit()
  if (!Number.isFinite(ping)) return ping
  world.count('direct probe', 1, WIRE_BYTES.directProbe)
  const pong = world.transmit()
  if (Number.isFinite(pong)) world.count('direct probe', 1, WIRE_BYTES.directProbe)
  return ping + pong
}

/**
 * One SWIM probe period of `prober` on `target`, starting at `t`: a direct probe within the probe timeout, then
 * `indirectProbes` helpers that probe it on the prober's behalf and answer ack, or nack after 80 % of their own timeout,
 * all before the end of the period. Timeout and period are multiplied by (local health + 1). Each transmission may
 * be lost; a message reaches its receiver's code after the receiver's processing delay. Counts the traffic.
 */
export function probe (world: World, state: ProbeState, prober: number, target: number, t: number, targetState: TargetState): ProbeOutcome {
  const { params, wireMs: w } = world
  const scale = state.health[prober]! + 1
  const timeout = params.probeTimeoutMs * scale
  const period = params.probeIntervalMs * scale
  const dp = state.delayMs[prober]!
  const dq = state.delayMs[target]!
  // Direct: the probe and its ack, each late by its retransmissions, or lost.
  if (targetState === 'alive') {
    const seen = 2 * w + dq + dp + directRoundTrip(world)
    if (seen <= timeout) return { alive: true, at: t + seen, health: -1, helpers: [] }
  }
  const indirectAt = t + (targetState === 'refused' ? 2 * w + dp : timeout)
  const deadline = t + period
  const helpers: number[] = []
  let nacks = 0
  let lastNack = indirectAt
  let firstAck = Number.POSITIVE_INFINITY
  for (let i = 0; i < params.indirectProbes && i < world.size - 2; i++) {
    const helper = world.other(prober, target, ...helpers)
    helpers.push(helper)
    const dh = state.delayMs[helper]!
    const helperTimeout = params.probeTimeoutMs * (state.health[helper]! + 1)
    const request = world.transmit()
    if (!Number.isFinite(request)) continue
    world.count('indirect probe', 1, WIRE_BYTES.indirectProbe)
    // The helper's own direct probe of the target: an ack if it comes back within the share of the helper's timeout.
    const helperSeen = targetState === 'alive' ? 2 * w + dq + dh + directRoundTrip(world) : Number.POSITIVE_INFINITY
    const answer = world.transmit()
    if (!Number.isFinite(answer)) continue
    world.count('indirect probe', 1, WIRE_BYTES.indirectProbe)
    const sent = indirectAt + w + request + dh
    if (helperSeen <= params.nackAtTimeoutShare * helperTimeout) {
      firstAck = Math.min(firstAck, sent + helperSeen + w + answer + dp)
    } else {
      const waited = targetState === 'refused' ? 2 * w + dh : params.nackAtTimeoutShare * helperTimeout
      const nackAt = sent + waited + w + answer + dp
      if (nackAt <= deadline) {
        nacks++
        lastNack = Math.max(lastNack, nackAt)
      }
    }
  }
  if (firstAck <= deadline) return { alive: true, at: firstAck, health: -1, helpers }
  const everyNack = nacks === helpers.length && helpers.length > 0
  return { alive: false, at: everyNack ? lastNack : deadline, health: everyNack ? 0 : 1, helpers }
}
