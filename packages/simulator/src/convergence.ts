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
   * newcomer's publications: divided by the size, the copies each node receives of every record published.
   */
  copiesPerRecord: number
}

const FRACTION = 0.9999

/**
 * How fast the whole cluster hears of a join: a newcomer publishes its record once (records go out on change), and
 * we count the rounds until 99.99 % of nodes hold it, gossipsub's repair included; against the classic epidemic
 * model with the same fanout, on the same random stream.
 */
export function simulateConvergence (init: ConvergenceInit): ConvergenceResult {
  const random = seededRandom(init.seed)
  const model = gossipModel(init, random)
  const horizon = 20 * init.hopsPerHeartbeat
  const counter: CopyCounter = { copies: 0 }
  const first = disseminate(model, 0, 0, horizon, random, counter)
  const published = 1
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
