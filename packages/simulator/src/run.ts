import { classicRounds, simulateConvergence } from './convergence.js'
import { simulateDeploy } from './deploy.js'
import { simulateFailureDetection } from './failure-detection.js'
import { lineChart } from './svg.js'
import type { ConvergenceResult } from './convergence.js'
import type { DeployResult } from './deploy.js'
import type { FailureDetectionResult } from './failure-detection.js'

/** The cluster's defaults, as the simulations model them. */
export const MODEL = {
  targetPeers: 16,
  meshDegree: 4,
  loss: 0.05,
  /** One heartbeat (1 s) in hops: 10 is a WAN of 100 ms one-way delays; a LAN has hundreds of hops per second. */
  hopsPerHeartbeat: 10,
  suspectAfterHeartbeats: 2,
  deadAfterHeartbeats: 3,
  clientsPerNode: 100
} as const

/** gossipsub's own default mesh degree, simulated beside the cluster's default. */
export const GOSSIPSUB_DEFAULT_DEGREE = 6

export interface SizeResults {
  size: number
  convergence: ConvergenceResult
  /** The same at gossipsub's default mesh degree (D = 6), against the classic model at fanout 6. */
  convergenceAtDefaultDegree: ConvergenceResult
  /** Serf's reference point: the classic model at fanout 3, without loss. */
  classicFanout3: number
  failureDetection: FailureDetectionResult
  deploy: { exact: DeployResult, parallel: DeployResult }
  seconds: number
}

export interface SimulationReport {
  seed: number
  sizes: SizeResults[]
  charts: Record<string, string>
}

/** Runs every simulation at every size with one seed, and draws the charts. */
export function runSimulations (sizes: readonly number[], seed: number, log: (line: string) => void = () => {}): SimulationReport {
  const results: SizeResults[] = []
  for (const size of sizes) {
    const started = performance.now()
    log(`simulating ${size} nodes: convergence`)
    const convergence = simulateConvergence({ size, targetPeers: MODEL.targetPeers, meshDegree: MODEL.meshDegree, loss: MODEL.loss, hopsPerHeartbeat: MODEL.hopsPerHeartbeat, seed })
    const convergenceAtDefaultDegree = simulateConvergence({ size, targetPeers: MODEL.targetPeers, meshDegree: GOSSIPSUB_DEFAULT_DEGREE, loss: MODEL.loss, hopsPerHeartbeat: MODEL.hopsPerHeartbeat, seed })
    const classicFanout3 = classicRounds(size, 3, 0, seed)
    log(`simulating ${size} nodes: failure detection`)
    const failureDetection = simulateFailureDetection({
      size, targetPeers: MODEL.targetPeers, meshDegree: MODEL.meshDegree, loss: MODEL.loss, hopsPerHeartbeat: MODEL.hopsPerHeartbeat,
      subjects: 20, heartbeats: 60, suspectAfter: MODEL.suspectAfterHeartbeats, deadAfter: MODEL.deadAfterHeartbeats, seed
    })
    log(`simulating ${size} nodes: rolling deploy`)
    const deploy = {
      exact: simulateDeploy({ size, clientsPerNode: MODEL.clientsPerNode, mode: 'exact', maxRounds: 1000 }),
      parallel: simulateDeploy({ size, clientsPerNode: MODEL.clientsPerNode, mode: 'parallel', maxRounds: 1000 })
    }
    results.push({ size, convergence, convergenceAtDefaultDegree, classicFanout3, failureDetection, deploy, seconds: (performance.now() - started) / 1000 })
  }
  return { seed, sizes: results, charts: charts(results) }
}

function charts (results: readonly SizeResults[]): Record<string, string> {
  const largest = results.at(-1)!
  const fraction = (curve: readonly number[]): Array<[number, number]> => curve.map((count, round) => [round, count / largest.size])
  return {
    'convergence.svg': lineChart({
      title: `Hearing of a join, ${largest.size} nodes, ${MODEL.loss * 100} % loss`,
      xLabel: 'rounds (hops)',
      yLabel: 'share of nodes that know',
      yMax: 1,
      series: [
        { name: `gossipsub, D = ${MODEL.meshDegree}`, points: fraction(largest.convergence.ours) },
        { name: `classic, fanout ${MODEL.meshDegree}`, points: fraction(largest.convergence.classic) }
      ]
    }),
    'failure-detection.svg': lineChart({
      title: `Removing a crashed member by silence, ${MODEL.loss * 100} % loss`,
      xLabel: 'heartbeats since the crash',
      yLabel: 'share of nodes that removed it',
      yMax: 1,
      series: results.map(r => ({ name: `${r.size} nodes`, points: r.failureDetection.detectionCurve.map((share, tenth): [number, number] => [tenth / 10, share]) }))
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
