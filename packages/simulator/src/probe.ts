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
 * One SWIM probe period of `prober` on `target`, starting at `t`: a direct ping within the probe timeout, then
 * `indirectProbes` helpers that ping on the prober's behalf and answer ack, or nack after 80 % of their own timeout,
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
  // Direct: ping and pong.
  const pingArrives = world.delivered()
  if (pingArrives && targetState === 'alive') {
    world.count('ping', 1, WIRE_BYTES.ping)
    const pongArrives = world.delivered()
    if (pongArrives) world.count('ping', 1, WIRE_BYTES.ping)
    const seen = 2 * w + dq + dp
    if (pongArrives && seen <= timeout) return { alive: true, at: t + seen, health: -1, helpers: [] }
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
    if (!world.delivered()) continue
    world.count('probe', 1, WIRE_BYTES.probe)
    // The helper's own ping of the target.
    let acked = false
    if (targetState === 'alive' && world.delivered()) {
      world.count('ping', 1, WIRE_BYTES.ping)
      if (world.delivered()) {
        world.count('ping', 1, WIRE_BYTES.ping)
        acked = 2 * w + dq + dh <= params.nackAtTimeoutShare * helperTimeout
      }
    }
    const answerArrives = world.delivered()
    if (answerArrives) world.count('probe', 1, WIRE_BYTES.probe)
    if (!answerArrives) continue
    if (acked) {
      firstAck = Math.min(firstAck, indirectAt + 4 * w + 2 * dh + dq + dp)
    } else {
      const answered = targetState === 'refused' ? 4 * w + 2 * dh : 2 * w + dh + params.nackAtTimeoutShare * helperTimeout
      const nackAt = indirectAt + answered + dp
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
