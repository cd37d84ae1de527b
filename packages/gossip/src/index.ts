/**
 * @meshbalancer/gossip: meshbalancer nodes over libp2p.
 *
 * @example
 * ```ts
 * import { createNode } from '@meshbalancer/gossip'
 * import { powerOfTwo } from '@meshbalancer/algorithms'
 *
 * const node = await createNode({ name: 'api-1', join: ['/ip4/10.0.0.5/tcp/4001'], keyFile: './api-1.key' })
 * node.handle('resize', async (args) => resize(args))
 * const images = node.loadBalancer({ name: 'images', algorithm: powerOfTwo() })
 * await images.call('resize', { width: 640 })
 * ```
 *
 * @packageDocumentation
 */
import './polyfill.js'

export { createNode } from './node/create-node.js'
export type { GossipNodeInit } from './node/init.js'
export { generateClusterKey, readClusterKey } from './node/cluster-key.js'
export { loadIdentity } from './node/identity.js'
export type { Identity } from './node/identity.js'
export { Libp2pTransport } from './transport/libp2p-transport.js'
export type { Libp2pTransportInit, NodeServices } from './transport/libp2p-transport.js'
