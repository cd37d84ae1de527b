import { seededRandom } from '@meshbalancer/core'
import { disseminate, epidemic, gossipModel } from './dissemination.js'
import type { ClusterShape, CopyCounter } from './dissemination.js'

/** The cluster to simulate; the classic model gets a fanout of `meshDegree`. */
export interface ConvergenceInit extends ClusterShape {
  seed: number
}

export interface ConvergenceResult {
  /** Nodes knowing of the join after each round (hop), ours. */
  ours: number[]
  /** The same for the classic epidemic model with fanout = meshDegree. */
  classic: number[]
  /** Rounds until 99.99 % know: ours, classic, and their ratio. */
  oursRounds: number
  classicRounds: number
  ratio: number
  /**
   * Copies of one record sent across the cluster (flood, mesh forwarding with duplicates, repair), the mean over the
   * newcomer's publications. With every member publishing once a heartbeat, it is also how many copies each node
   * receives (and sends) per heartbeat.
   */
  copiesPerRecord: number
}

const FRACTION = 0.9999

/**
 * How fast the whole cluster hears of a join: a newcomer publishes its record (and again every heartbeat, as it
 * does), and we count the rounds until 99.99 % of nodes hold one; against the classic epidemic model with the same
 * fanout, on the same random stream.
 */
export function simulateConvergence (init: ConvergenceInit): ConvergenceResult {
  const random = seededRandom(init.seed)
  const model = gossipModel(init, random)
  const horizon = 20 * init.hopsPerHeartbeat
  const first = new Int32Array(init.size).fill(-1)
  const counter: CopyCounter = { copies: 0 }
  let published = 0
  // The newcomer republishes every heartbeat; a node knows of it from the first copy of any record that reaches it.
  for (let beat = 0; beat * init.hopsPerHeartbeat < horizon; beat++) {
    const arrival = disseminate(model, 0, beat * init.hopsPerHeartbeat, horizon - beat * init.hopsPerHeartbeat, random, counter)
    published++
    for (let node = 0; node < init.size; node++) {
      const hop = arrival[node]!
      if (hop >= 0 && (first[node] === -1 || hop < first[node]!)) first[node] = hop
    }
    if (first.every(hop => hop >= 0)) break
  }
  const ours = cumulative(first, horizon)
  const classic = epidemic(init.size, init.meshDegree, init.loss, horizon, random)
  const oursRounds = firstAtLeast(ours, FRACTION * init.size)
  const classicRounds = firstAtLeast(classic, FRACTION * init.size)
  return { ours, classic, oursRounds, classicRounds, ratio: oursRounds / classicRounds, copiesPerRecord: counter.copies / published }
}

/** Classic model alone, for the reference point of Serf's simulator (fanout 3). */
export function classicRounds (size: number, fanout: number, loss: number, seed: number): number {
  return firstAtLeast(epidemic(size, fanout, loss, 200, seededRandom(seed)), FRACTION * size)
}

function cumulative (arrival: Int32Array, horizon: number): number[] {
  const perHop = new Int32Array(horizon + 1)
  for (const hop of arrival) if (hop >= 0 && hop <= horizon) perHop[hop]!++
  const curve: number[] = []
  let total = 0
  for (let hop = 0; hop <= horizon; hop++) {
    total += perHop[hop]!
    curve.push(total)
    if (total === arrival.length) break
  }
  return curve
}

function firstAtLeast (curve: readonly number[], target: number): number {
  const index = curve.findIndex(count => count >= target)
  return index === -1 ? Number.POSITIVE_INFINITY : index
}
