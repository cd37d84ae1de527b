/**
 * @meshbalancer/core: membership, load-aware selection, RPC and shedding, independent of any transport.
 *
 * The main entry holds factories, interfaces and errors. Two subpaths hold the rest:
 * `@meshbalancer/core/testing` (ManualClock, MemoryNetwork, MemoryTransport and the transport compliance suite)
 * and `@meshbalancer/core/options` (the option checks, for packages that write factories of their own).
 *
 * @example
 * ```ts
 * import { createCluster } from '@meshbalancer/core'
 * import { MemoryNetwork } from '@meshbalancer/core/testing'
 * import { powerOfTwo } from '@meshbalancer/algorithms'
 *
 * const network = new MemoryNetwork()
 * const cluster = await createCluster({ name: 'n1', transport: network.createTransport() })
 * cluster.handle('echo', (args) => args)
 * const balancer = cluster.loadBalancer({ name: 'api', algorithm: powerOfTwo() })
 * await balancer.call('echo', { hello: 'world' })
 * ```
 *
 * @packageDocumentation
 */
export { Cluster, createCluster } from './cluster/cluster.js'
export type { ClusterEvents, ClusterStats } from './cluster/events.js'
export type { LoadBalancerOptions } from './cluster/balancers.js'
export type { MemberCallOptions, MemberRef } from './cluster/member-calls.js'
export { assertNoRemovedOptions, REMOVED_CLUSTER_OPTIONS, resolveClusterInit } from './cluster/init.js'
export type { ClusterInit } from './cluster/init.js'
export type { DrainOptions, ShedderOptions } from './cluster/shedding.js'
export { analyseShed, apportion, decideFor, decideShed } from './shedder/decide.js'
export type { ShedAnalysis, ShedDecision, ShedMember, ShedReason, ShedSnapshot, ShedTarget } from './shedder/decide.js'
export { createShedKnobs, DEFAULT_SHED_KNOBS, DEFAULT_SHED_PERCENTAGE } from './shedder/knobs.js'
export type { ShedKnobs, ShedMode } from './shedder/knobs.js'
export { Shedder } from './shedder/shedder.js'
export type { ShedderEvents, ShedHint, ShedImplementation, ShedRound, ShedSkipReason } from './shedder/shedder.js'
export * as defaults from './cluster/constants.js'
export type { BroadcastHandler, BroadcastMessage, BroadcastStats } from './cluster/broadcast.js'
export type { SyncStats } from './cluster/push-pull.js'
export type { StateTopicStats } from './cluster/state-topic.js'

export { LoadBalancer } from './balancer/load-balancer.js'
export type { CallOutcome, CallRecord, PickExplanation } from './balancer/observer.js'
export type { CallOptions } from './balancer/load-balancer.js'
export { DEFAULT_READY_TIMEOUT_MS } from './balancer/ready.js'
export type { ReadyOptions } from './balancer/ready.js'
export type { CallSettings } from './balancer/call-path.js'
export type { AlgorithmContext, NodeChange, RandomOptions, SelectionAlgorithm, SelectOptions } from './balancer/algorithm.js'
export { matchesNode, validateNodeMatch } from './balancer/node-match.js'
export { sampleNodes } from './balancer/sample.js'
export type { NodeMatch } from './balancer/node-match.js'

export type { ClusterMember, Liveness, Member, MemberRecord, MemberStatus } from './member/member.js'
export type { LeaveReason } from './member/table.js'


export { jsonCodec } from './rpc/value-codec.js'
export type { ValueCodec } from './rpc/value-codec.js'
export type { Handler, HandlerContext, ServeRecord } from './rpc/server.js'
export { DEFAULT_CALL_TIMEOUT_MS } from './rpc/client.js'

export type {
  PeerListener, RequestContext, RequestHandler, RequestOptions, TopicHandler, TopicMessage, Transport, ValidationResult
} from './transport/transport.js'

export * from './errors.js'
export { systemClock } from './clock.js'
export type { Clock, TimerHandle } from './clock.js'
export { randomIndex, seededRandom } from './random.js'
export type { RandomSource } from './random.js'
export { consoleLogger, silentLogger } from './logger.js'
export type { Logger } from './logger.js'
