import { consoleLogger, createCluster, defaults } from '@meshbalancer/core'
import { instrumentCluster } from '@meshbalancer/metrics'
import { Libp2pTransport } from '../transport/libp2p-transport.js'
import { eventLoopLagSampler } from './event-loop-lag.js'
import { loadIdentity } from './identity.js'
import { resolveNodeInit } from './init.js'
import { createMeshLibp2p } from './libp2p.js'
import type { GossipNodeInit } from './init.js'
import type { Cluster } from '@meshbalancer/core'

/**
 * Creates a meshbalancer node on libp2p (TCP, noise, yamux, identify, ping, gossipsub), joins the cluster through
 * `init.join` and returns its started `Cluster`. `cluster.stop()` leaves gracefully and stops libp2p.
 *
 * @example
 * ```ts
 * const seed = await createNode({ name: 'n1', listen: ['/ip4/127.0.0.1/tcp/5001'] })
 * const node = await createNode({ name: 'n2', join: ['/ip4/127.0.0.1/tcp/5001'], keyFile: './n2.key' })
 * ```
 */
export async function createNode (init: GossipNodeInit): Promise<Cluster> {
  const { network, cluster } = resolveNodeInit(init)
  const identity = await loadIdentity(network.keyFile)
  const libp2p = await createMeshLibp2p(network, identity.privateKey, cluster.cluster ?? defaults.DEFAULT_CLUSTER_NAME, cluster.allowPeers)
  const transport = new Libp2pTransport(libp2p, {
    join: network.join,
    joinRetryIntervalMs: network.joinRetryIntervalMs,
    targetPeers: network.targetPeers,
    logger: cluster.logger ?? consoleLogger
  })
  const lag = cluster.eventLoopLag === undefined ? eventLoopLagSampler() : undefined
  try {
    const node = await createCluster({
      ...cluster,
      transport,
      incarnation: identity.incarnation,
      eventLoopLag: cluster.eventLoopLag ?? lag!.sample
    })
    const metrics = network.metrics === undefined ? undefined : instrumentCluster(node, { registry: network.metrics })
    node.once('cluster:stop', () => {
      lag?.stop()
      metrics?.stop()
    })
    return node
  } catch (err) {
    lag?.stop()
    await libp2p.stop()
    throw err
  }
}
