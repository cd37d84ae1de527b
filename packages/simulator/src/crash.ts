import { neighbours } from './topology.js'
import { probe } from './probe.js'
import { suspicionTimeout } from './protocol.js'
import { WIRE_BYTES } from './wire.js'
import { percentileOf, removalTime, World } from './world.js'
import type { WorldInit } from './world.js'

export interface CrashInit extends WorldInit {
  /** Crashes simulated, one at a time, each of a random member. @default 10 */
  trials?: number
  /**
   * How the member dies. `'refused'`: its process is killed, its connections close at once (a crash hint to every
   * member connected to it, which probes it out of turn) and dials are refused. `'silent'`: its host vanishes,
   * nothing closes, and probes time out.
   * @default 'refused'
   */
  mode?: 'refused' | 'silent'
}

export interface CrashResult {
  mode: 'refused' | 'silent'
  /** Seconds from a crash to its removal by a node, over every node of every trial: median, p99, and the worst. */
  removalSeconds: { p50: number, p99: number, max: number }
  /** Seconds from a crash until every node had removed it, the median over trials. */
  allRemovedSeconds: number
  /** Seconds from a crash to its first suspicion (by any node), the median over trials. */
  firstSuspicionSeconds: number
  /** Claims published per crash, the mean over trials. */
  claimsPerCrash: number
  /** Node–trial pairs in which the node never removed the crashed member within the horizon. */
  neverRemoved: number
  /** Share of nodes that had removed it, every 100 ms after the crash, pooled over trials. */
  curve: number[]
}

/**
 * Crash-to-removal time: a random member crashes at time 0. Each node probes it when its shuffled round-robin
 * reaches it (from a random moment, uniform over a pass of n − 1 periods, at the node's own phase), the members
 * connected to it at once when it was killed (their connection closed); each failed probe period is a suspicion,
 * published as a claim unless the prober already holds K + 1 claims of it. Claims spread over gossipsub with loss;
 * each node removes the member by Lifeguard's timeout, shortened by every independent claim it received.
 */
export function simulateCrash (init: CrashInit): CrashResult {
  const world = new World(init)
  const { size, params } = world
  const mode = init.mode ?? 'refused'
  const trials = init.trials ?? 10
  const horizon = suspicionTimeout(params, size, 0) + 10 * params.probeIntervalMs
  const timeout = (confirmations: number): number => suspicionTimeout(params, size, confirmations)
  const state = { health: new Int8Array(size), delayMs: new Float64Array(size) }
  const removals: number[] = []
  const allRemoved: number[] = []
  const firstSuspicions: number[] = []
  let claims = 0
  let never = 0
  for (let trial = 0; trial < trials; trial++) {
    const crashed = Math.floor(world.random() * size)
    const probes: Array<[node: number, t: number]> = []
    const hinted = new Set(mode === 'refused' ? neighbours(world.model.connections, crashed) : [])
    for (let node = 0; node < size; node++) {
      if (node === crashed) continue
      const phase = world.random() * params.probeIntervalMs
      const t = hinted.has(node) ? world.wireMs : phase + Math.floor(world.random() * (size - 1)) * params.probeIntervalMs
      if (t < horizon) probes.push([node, t])
    }
    probes.sort((a, b) => a[1] - b[1])
    // Claims published, as arrival times at every node.
    const published: Float64Array[] = []
    let first = Number.POSITIVE_INFINITY
    for (const [node, t] of probes) {
      const outcome = probe(world, state, node, crashed, t, mode)
      if (outcome.alive) continue
      first = Math.min(first, outcome.at)
      const known = published.filter(arrival => arrival[node]! <= outcome.at).length
      if (known >= params.confirmations + 1) continue
      const arrival = world.publish(node, outcome.at, 'claim', WIRE_BYTES.claim)
      arrival[node] = outcome.at
      published.push(arrival)
    }
    claims += published.length
    firstSuspicions.push(first / 1000)
    let latest = 0
    for (let node = 0; node < size; node++) {
      if (node === crashed) continue
      const arrivals = published.map(arrival => arrival[node]!).sort((a, b) => a - b)
      const removed = removalTime(arrivals, timeout)
      if (!Number.isFinite(removed)) never++
      removals.push(removed / 1000)
      latest = Math.max(latest, removed / 1000)
    }
    allRemoved.push(latest)
  }
  removals.sort((a, b) => a - b)
  const curve: number[] = []
  let index = 0
  for (let tenth = 0; tenth * 100 <= horizon; tenth++) {
    while (index < removals.length && removals[index]! <= tenth / 10) index++
    curve.push(index / removals.length)
  }
  return {
    mode,
    removalSeconds: { p50: round(percentileOf(removals, 50)), p99: round(percentileOf(removals, 99)), max: round(removals.at(-1)!) },
    allRemovedSeconds: round(median(allRemoved)),
    firstSuspicionSeconds: round(median(firstSuspicions)),
    claimsPerCrash: claims / trials,
    neverRemoved: never,
    curve
  }
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return percentileOf(sorted, 50)
}

function round (value: number): number {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value
}
