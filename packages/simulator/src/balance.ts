import { seededRandom } from '@meshbalancer/core'
import { loadBudgetPerNode, PROTOCOL, refreshIntervalFor } from './protocol.js'
import type { ProtocolParams } from './protocol.js'
import type { RandomSource } from '@meshbalancer/core'

/** How new connections pick a node. */
export type Choice =
  /** Uniformly at random. */
  | 'random'
  /** The less loaded of two random nodes, by their loads as they are now. */
  | 'two-fresh'
  /** The less loaded of two random nodes, by the loads their records last announced (the budget's staleness). */
  | 'two-stale'
  /**
   * As `powerOfTwo` of @meshbalancer/algorithms picks: the announced load plus the caller's own picks still open.
   * Connections are routed by `callers` balancers, each tracking its own.
   */
  | 'two-tracked'

export interface BalanceInit {
  size: number
  seed: number
  choice: Choice
  /** New connections per node per second. @default 50 */
  arrivalsPerNode?: number
  /** Mean lifetime of a connection, s (exponential): with 50 arrivals, 100 load changes per node per second around a mean of 100. @default 2 */
  lifetimeSeconds?: number
  /** Simulated seconds, of which the first third warms up. @default 90 */
  seconds?: number
  /** Time step, ms. @default 10 */
  stepMs?: number
  /** Balancers routing the connections ('two-tracked'), each picking a share of them. @default 10 */
  callers?: number
  params?: Partial<ProtocolParams>
}

export interface BalanceResult {
  choice: Choice
  /** Largest load over the mean load, averaged over one sample a second. */
  maxOverMean: number
  /** Mean load. */
  mean: number
  /** Load records each node published per second (significant changes within the budget; 'two-stale' only). */
  recordsPerNode: number
  /** Mean age of the announced loads the choices read, s ('two-stale' only). */
  meanAgeSeconds: number
}

/**
 * Mitzenmacher's question ("How useful is old information?", 2000) for meshbalancer's rule: connections arrive
 * at every node's clients (Poisson) and last an exponential time; each picks a node at random, or the less loaded
 * of two by fresh loads, or by the loads announced in records. A node announces its load when it changes
 * significantly (|load − announced| ≥ max(loadChangeMin, loadChangeRatio × announced)) and its token bucket of
 * loadRecordsPerSecond / (n − 1) per second (burst 1) holds a token, and with every refresh. The announcement is
 * seen by all at once (dissemination takes milliseconds, ages here are seconds).
 */
export function simulateBalance (init: BalanceInit): BalanceResult {
  const params = { ...PROTOCOL, ...init.params }
  const random = seededRandom(init.seed)
  const n = init.size
  const dt = (init.stepMs ?? 10) / 1000
  const seconds = init.seconds ?? 90
  const lifetime = init.lifetimeSeconds ?? 2
  const arrivalsPerStep = (init.arrivalsPerNode ?? 50) * n * dt
  const departure = dt / lifetime
  const mean0 = (init.arrivalsPerNode ?? 50) * lifetime
  const load = new Float64Array(n).fill(Math.round(mean0))
  const announced = new Float64Array(load)
  const announcedAt = new Float64Array(n)
  const tokens = new Float64Array(n).fill(1)
  const refreshMs = refreshIntervalFor(params, n)
  const nextRefresh = new Float64Array(n)
  for (let i = 0; i < n; i++) nextRefresh[i] = random() * refreshMs / 1000
  const rate = loadBudgetPerNode(params, n)
  const stale = init.choice === 'two-stale' || init.choice === 'two-tracked'
  const tracked = init.choice === 'two-tracked'
  const callers = tracked ? init.callers ?? 10 : 0
  // Open connections each caller routed to each node (caller-major), and what it adds to a node's announced load.
  const own = new Float64Array(callers * n)
  const view = init.choice === 'two-fresh' ? load : announced
  const warmUp = seconds / 3
  let ratioSum = 0
  let samples = 0
  let records = 0
  let ageSum = 0
  let ages = 0
  const steps = Math.round(seconds / dt)
  for (let step = 0; step < steps; step++) {
    const now = step * dt
    for (let i = 0; i < n; i++) {
      const leaving = Math.min(load[i]!, poisson(load[i]! * departure, random))
      // Each leaving connection is one of the node's, at random: some were routed by a tracking caller.
      if (tracked) for (let k = 0; k < leaving; k++) releaseOne(own, callers, n, i, load[i]! - k, random)
      load[i] = load[i]! - leaving
    }
    const arrivals = poisson(arrivalsPerStep, random)
    for (let a = 0; a < arrivals; a++) {
      const x = Math.floor(random() * n)
      if (init.choice === 'random') {
        load[x]!++
        continue
      }
      let y = Math.floor(random() * (n - 1))
      if (y >= x) y++
      const caller = tracked ? Math.floor(random() * callers) * n : 0
      const vx = view[x]! + (tracked ? own[caller + x]! : 0)
      const vy = view[y]! + (tracked ? own[caller + y]! : 0)
      const pick = vx < vy || (vx === vy && random() < 0.5) ? x : y
      load[pick]!++
      if (tracked) own[caller + pick]!++
      if (stale && now >= warmUp) {
        ageSum += now - announcedAt[pick]!
        ages++
      }
    }
    if (stale) {
      for (let i = 0; i < n; i++) {
        tokens[i] = Math.min(1, tokens[i]! + rate * dt)
        const refresh = now >= nextRefresh[i]!
        const significant = Math.abs(load[i]! - announced[i]!) >= Math.max(params.loadChangeMin, params.loadChangeRatio * announced[i]!)
        if (refresh || (significant && tokens[i]! >= 1)) {
          if (!refresh) {
            tokens[i]!--
            if (now >= warmUp) records++
          }
          if (refresh) nextRefresh[i] = now + refreshMs / 1000 * (0.75 + 0.5 * random())
          announced[i] = load[i]!
          announcedAt[i] = now
        }
      }
    }
    if (now >= warmUp && step % Math.round(1 / dt) === 0) {
      let total = 0
      let max = 0
      for (let i = 0; i < n; i++) {
        total += load[i]!
        if (load[i]! > max) max = load[i]!
      }
      ratioSum += max / (total / n)
      samples++
    }
  }
  let total = 0
  for (let i = 0; i < n; i++) total += load[i]!
  return {
    choice: init.choice,
    maxOverMean: Math.round(ratioSum / samples * 1000) / 1000,
    mean: Math.round(total / n * 10) / 10,
    recordsPerNode: records / n / (seconds - warmUp),
    meanAgeSeconds: ages === 0 ? 0 : Math.round(ageSum / ages * 100) / 100
  }
}

/** Releases one of `count` open connections of node `i`: a caller's own with the share it holds, else an untracked one. */
function releaseOne (own: Float64Array, callers: number, n: number, i: number, count: number, random: RandomSource): void {
  let u = random() * count
  for (let c = 0; c < callers; c++) {
    u -= own[c * n + i]!
    if (u < 0) {
      own[c * n + i]!--
      return
    }
  }
}

/** A Poisson draw by inversion: cheap for the small means of one step. */
function poisson (mean: number, random: RandomSource): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)))
  const limit = Math.exp(-mean)
  let k = 0
  let p = random()
  while (p > limit) {
    k++
    p *= random()
  }
  return k
}

function normal (random: RandomSource): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}
