/**
 * @meshbalancer/simulator: deterministic models of meshbalancer clusters larger than a test machine holds. The
 * membership protocol (SWIM probes with Lifeguard's refinements, claims and refutations over gossipsub, records on
 * change within a cluster-wide budget, refresh and push-pull), what it costs each node, how fast it removes a crash,
 * how often it suspects a live member, how well power-of-two balances on the loads it announces, and rolling
 * deploys with the real shedding rule. Same seed, same result.
 *
 * @packageDocumentation
 */
export { simulateBalance } from './balance.js'
export type { BalanceInit, BalanceResult, Choice } from './balance.js'
export { classicRounds, simulateConvergence } from './convergence.js'
export type { ConvergenceInit, ConvergenceResult } from './convergence.js'
export { simulateCost } from './cost.js'
export type { CostInit, CostResult } from './cost.js'
export { simulateCrash } from './crash.js'
export type { CrashInit, CrashResult } from './crash.js'
export { simulateDeploy } from './deploy.js'
export type { DeployInit, DeployResult } from './deploy.js'
export { disseminate, epidemic, gossipModel, roundsToReach } from './dissemination.js'
export type { ClusterShape, CopyCounter, GossipModel } from './dissemination.js'
export { probe } from './probe.js'
export type { ProbeOutcome, ProbeState, TargetState } from './probe.js'
export { loadBudgetPerNode, PROTOCOL, pushPullIntervalFor, refreshIntervalFor, suspicionBounds, suspicionTimeout } from './protocol.js'
export type { ProtocolParams } from './protocol.js'
export { runSimulations, SCENARIO } from './run.js'
export type { Acceptance, SimulationReport, SizeResults } from './run.js'
export { simulateSuspicions } from './suspicions.js'
export type { SuspicionInit, SuspicionResult } from './suspicions.js'
export { meshOf, randomGraph } from './topology.js'
export type { Graph } from './topology.js'
export { RECORD_BYTES, WIRE_BYTES } from './wire.js'
export { removalTime, World } from './world.js'
export type { Traffic, WorldInit } from './world.js'
export { lineChart } from './svg.js'
export type { LineChart, Series } from './svg.js'
