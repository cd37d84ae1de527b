/**
 * @meshbalancer/gossip: meshbalancer nodes over libp2p, as a libp2p service or as a ready-made node.
 *
 * @example
 * ```ts
 * import { meshbalancer } from '@meshbalancer/gossip'
 *
 * const libp2p = await createLibp2p({
 *   transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: { identify: identify(), ping: ping(), pubsub: gossipsub(), mesh: meshbalancer({ name: 'api-1' }) }
 * })
 * const images = libp2p.services.mesh.loadBalancer({ name: 'images', algorithm: powerOfTwo() })
 * await images.call('resize', { width: 640 })
 * ```
 *
 * @packageDocumentation
 */
import './polyfill.js'

export { meshbalancer } from './service/index.js'
export type { MeshbalancerInit } from './service/init.js'
export type { MeshbalancerComponents } from './service/components.js'
export { ClusterLeftError, MissingServiceError } from './service/errors.js'
export { createNode } from './node/create-node.js'
export type { GossipNodeInit } from './node/init.js'
export { clusterGossipsubInit } from './node/libp2p.js'
export type { ClusterGossipsubOptions } from './node/libp2p.js'
export { allowPeersGater } from './node/gater.js'
export { generateClusterKey, readClusterKey } from './node/cluster-key.js'
export { loadIdentity } from './node/identity.js'
export type { Identity } from './node/identity.js'
export { Libp2pTransport } from './transport/libp2p-transport.js'
export type { Libp2pTransportInit, NodeServices } from './transport/libp2p-transport.js'
export { DEFAULT_RPC_LIMITS } from './transport/rpc-limits.js'
export type { RpcLimits } from './transport/rpc-limits.js'
export type { CalleeCounters } from './transport/rpc-callee.js'
