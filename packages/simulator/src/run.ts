import { simulateBalance } from './balance.js'
import { simulateConvergence } from './convergence.js'
import { simulateCost } from './cost.js'
import { simulateCrash } from './crash.js'
import { simulateDeploy } from './deploy.js'
import { PROTOCOL } from './protocol.js'
import { simulateSuspicions } from './suspicions.js'
import { lineChart } from './svg.js'
import type { BalanceResult } from './balance.js'
import type { ConvergenceResult } from './convergence.js'
import type { CostResult } from './cost.js'
import type { CrashResult } from './crash.js'
import type { DeployResult } from './deploy.js'
import type { SuspicionResult } from './suspicions.js'

/** The conditions the report's scenarios run in. */
export const SCENARIO = {
  /** Loss of every transmission in the lossy scenarios. */
  loss: 0.05,
  /** The slow member's delay in handling each message it receives, ms (twice the probe timeout). */
  slowDelayMs: 1000,
  /** Every node's load changes this often per second (connections arriving and leaving). */
  loadChangesPerSecond: 100,
  /** A cluster-wide refresh budget, the alternative to a fixed refresh interval. */
  refreshRecordsPerSecond: 10,
  crashTrials: 10,
  clientsPerNode: 100
} as const

export interface SizeResults {
  size: number
  /** A record published once (a join, or any change): rounds (hops) until 99.99 % hold it, against the classic model. */
  convergence: ConvergenceResult
  crash: { refused: CrashResult, silent: CrashResult }
  /** Live members for 60 periods (30 at 10,000 and more) with 5 % loss: lost for good (datagrams). */
  lossy: SuspicionResult
  /** The same over TCP: a loss costs a retransmission timeout instead. */
  lossyStream: SuspicionResult
  /** One slow member, no loss: with Lifeguard's local health, and without. */
  slow: { withLocalHealth: SuspicionResult, withoutLocalHealth: SuspicionResult }
  /** Messages and bytes each node receives per second. */
  cost: {
    idle: CostResult
    idleLossy: CostResult
    loadsChanging: CostResult
    /** Idle, with the refresh interval grown so the cluster refreshes at most `refreshRecordsPerSecond` records a second. */
    idleBudgetedRefresh: CostResult
    /** Idle, with a refresh interval that does not grow with n: what the scaling of the default rule saves. */
    idleFixedRefresh: CostResult
  }
  /**
   * Max/mean load of new connections placed at random, by power-of-two on fresh loads, on the loads records
   * announce (the default budget), on those of a budget ten times larger, and with the refresh budgeted too.
   */
  balance: { random: BalanceResult, fresh: BalanceResult, stale: BalanceResult, staleTenfoldBudget: BalanceResult, staleBudgetedRefresh: BalanceResult }
  deploy: { exact: DeployResult, parallel: DeployResult }
  seconds: number
}

export interface Acceptance {
  /** Idle messages received per node per second, at the largest size over the smallest (≤ 1.2). */
  idleMessagesRatio: number
  idleMessagesRatioBudgetedRefresh: number
  /** Median crash-to-removal time at the largest size over the smallest, and log(largest) / log(smallest) (its bound). */
  crashRemovalRatio: number
  crashRemovalBound: number
  /** The same for a silent crash. */
  crashRemovalRatioSilent: number
}

export interface SimulationReport {
  seed: number
  sizes: SizeResults[]
  acceptance: Acceptance
  charts: Record<string, string>
}

/** Runs every simulation at every size with one seed, and draws the charts. */
export function runSimulations (sizes: readonly number[], seed: number, log: (line: string) => void = () => {}): SimulationReport {
  const results = sizes.map(size => simulateSize(size, seed, log))
  const first = results[0]!
  const last = results.at(-1)!
  const acceptance: Acceptance = {
    idleMessagesRatio: last.cost.idle.messages / first.cost.idle.messages,
    idleMessagesRatioBudgetedRefresh: last.cost.idleBudgetedRefresh.messages / first.cost.idleBudgetedRefresh.messages,
    crashRemovalRatio: last.crash.refused.removalSeconds.p50 / first.crash.refused.removalSeconds.p50,
    crashRemovalBound: Math.log(last.size) / Math.log(first.size),
    crashRemovalRatioSilent: last.crash.silent.removalSeconds.p50 / first.crash.silent.removalSeconds.p50
  }
  return { seed, sizes: results, acceptance, charts: charts(results) }
}

function simulateSize (size: number, seed: number, log: (line: string) => void): SizeResults {
  const started = performance.now()
  const periods = size >= 10_000 ? 30 : 60
  log(`simulating ${size} nodes: dissemination`)
  const convergence = simulateConvergence({ size, targetPeers: PROTOCOL.targetPeers, meshDegree: PROTOCOL.meshDegree, loss: SCENARIO.loss, hopsPerHeartbeat: PROTOCOL.gossipHeartbeatMs / PROTOCOL.hopMs, seed })
  log(`simulating ${size} nodes: crashes`)
  const crash = {
    refused: simulateCrash({ size, seed, trials: SCENARIO.crashTrials, mode: 'refused' }),
    silent: simulateCrash({ size, seed, trials: SCENARIO.crashTrials, mode: 'silent' })
  }
  log(`simulating ${size} nodes: false suspicions`)
  const lossy = simulateSuspicions({ size, seed, loss: SCENARIO.loss, periods })
  const lossyStream = simulateSuspicions({ size, seed, loss: SCENARIO.loss, periods, transport: 'stream' })
  const slowMember = { member: 0, delayMs: SCENARIO.slowDelayMs }
  const slow = {
    withLocalHealth: simulateSuspicions({ size, seed, periods, slow: slowMember }),
    withoutLocalHealth: simulateSuspicions({ size, seed, periods, slow: slowMember, localHealth: false })
  }
  log(`simulating ${size} nodes: balance with stale loads`)
  const balanceInit = { size, seed, seconds: 90, stepMs: size >= 10_000 ? 20 : 10, arrivalsPerNode: SCENARIO.loadChangesPerSecond / 2 }
  const balance = {
    random: simulateBalance({ ...balanceInit, choice: 'random' }),
    fresh: simulateBalance({ ...balanceInit, choice: 'two-fresh' }),
    stale: simulateBalance({ ...balanceInit, choice: 'two-stale' }),
    staleTenfoldBudget: simulateBalance({ ...balanceInit, choice: 'two-stale', params: { loadRecordsPerSecond: 10 * PROTOCOL.loadRecordsPerSecond } }),
    staleBudgetedRefresh: simulateBalance({ ...balanceInit, choice: 'two-stale', params: { refreshRecordsPerSecond: SCENARIO.refreshRecordsPerSecond } })
  }
  log(`simulating ${size} nodes: cost`)
  const cost = {
    idle: simulateCost({ size, seed, periods: 20 }),
    idleLossy: simulateCost({ size, seed, periods: 20, loss: SCENARIO.loss }),
    // Loads that change 100 times a second are significant far more often than the budget allows: it binds.
    loadsChanging: simulateCost({ size, seed, periods: 20, loadRecordsPerNode: SCENARIO.loadChangesPerSecond }),
    idleBudgetedRefresh: simulateCost({ size, seed, periods: 20, params: { refreshRecordsPerSecond: SCENARIO.refreshRecordsPerSecond } }),
    idleFixedRefresh: simulateCost({ size, seed, periods: 20, params: { refreshScaleMembers: Number.POSITIVE_INFINITY } })
  }
  log(`simulating ${size} nodes: rolling deploy`)
  const deploy = {
    exact: simulateDeploy({ size, clientsPerNode: SCENARIO.clientsPerNode, mode: 'exact', maxRounds: 1000 }),
    parallel: simulateDeploy({ size, clientsPerNode: SCENARIO.clientsPerNode, mode: 'parallel', maxRounds: 1000 })
  }
  return { size, convergence, crash, lossy, lossyStream, slow, cost, balance, deploy, seconds: (performance.now() - started) / 1000 }
}

function charts (results: readonly SizeResults[]): Record<string, string> {
  const largest = results.at(-1)!
  const curve = (c: CrashResult): Array<[number, number]> => c.curve.map((share, tenth): [number, number] => [tenth / 10, share])
  return {
    'crash-removal.svg': lineChart({
      title: 'Removing a crashed member (SWIM + Lifeguard)',
      xLabel: 'seconds since the crash',
      yLabel: 'share of nodes that removed it',
      yMax: 1,
      series: results.flatMap(r => [
        { name: `${r.size}, killed`, points: curve(r.crash.refused) },
        { name: `${r.size}, silent`, points: curve(r.crash.silent) }
      ])
    }),
    'deploy.svg': lineChart({
      title: `After a rolling deploy of ${largest.size} nodes (waves of 10 %)`,
      xLabel: 'shedding rounds after the deploy',
      yLabel: 'largest deviation from the mean, %',
      series: [
        { name: 'exact', points: largest.deploy.exact.deviation.slice(0, 60).map((d, i): [number, number] => [i, d]) },
        { name: 'parallel', points: largest.deploy.parallel.deviation.slice(0, 60).map((d, i): [number, number] => [i, d]) }
      ]
    })
  }
}
