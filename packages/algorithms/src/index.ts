/**
 * @meshbalancer/algorithms: the built-in selection algorithms (**contract** factory names).
 *
 * @example
 * ```ts
 * import { hashRing, powerOfTwo } from '@meshbalancer/algorithms'
 * const api = cluster.loadBalancer({ name: 'api', algorithm: powerOfTwo() })
 * const sessions = cluster.loadBalancer({ name: 'sessions', algorithm: hashRing({ weight: 128 }) })
 * const owner = sessions.selectNode({ key: 'user:42' })
 * ```
 *
 * @packageDocumentation
 */
export { random } from './random/index.js'
export type { RandomAlgorithmOptions } from './random/index.js'
export { roundRobin } from './round-robin/index.js'
export type { RoundRobinOptions } from './round-robin/index.js'
export { leastConnections } from './least-connections/index.js'
export type { LeastConnectionsOptions } from './least-connections/index.js'
export { powerOfTwo } from './power-of-two/index.js'
export type { PowerOfTwoOptions } from './power-of-two/index.js'
export { DEFAULT_RING_WEIGHT, hashRing } from './hash-ring/index.js'
export type { HashRingOptions } from './hash-ring/index.js'
export { weightedRoundRobin } from './weighted-round-robin/index.js'
export type { WeightedRoundRobinOptions } from './weighted-round-robin/index.js'
export { leastLatency } from './least-latency/index.js'
export type { LeastLatencyOptions } from './least-latency/index.js'
