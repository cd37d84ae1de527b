/**
 * @meshbalancer/simulator: deterministic models of meshbalancer clusters larger than a test machine holds.
 * Dissemination over gossipsub's mesh against the classic epidemic model, failure detection by silence under loss,
 * and rolling deploys with the real shedding rule. Same seed, same result.
 *
 * @packageDocumentation
 */
export { classicRounds, simulateConvergence } from './convergence.js'
export type { ConvergenceInit, ConvergenceResult } from './convergence.js'
export { disseminate, epidemic, roundsToReach } from './dissemination.js'
export type { ClusterShape, GossipModel } from './dissemination.js'
export { simulateFailureDetection } from './failure-detection.js'
export type { FailureDetectionInit, FailureDetectionResult } from './failure-detection.js'
export { simulateDeploy } from './deploy.js'
export type { DeployInit, DeployResult } from './deploy.js'
export { meshOf, randomGraph } from './topology.js'
export type { Graph } from './topology.js'
export { GOSSIPSUB_DEFAULT_DEGREE, MODEL, runSimulations } from './run.js'
export type { SimulationReport, SizeResults } from './run.js'
export { lineChart } from './svg.js'
export type { LineChart, Series } from './svg.js'
