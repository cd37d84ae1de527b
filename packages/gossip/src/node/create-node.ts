import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { consoleLogger, createCluster, defaults } from '@meshbalancer/core'
import { createLibp2p } from 'libp2p'
import { Libp2pTransport } from '../transport/libp2p-transport.js'
import { MAX_GOSSIP_MESSAGE_BYTES } from './constants.js'
import { eventLoopLagSampler } from './event-loop-lag.js'
import { loadIdentity } from './identity.js'
import { resolveNodeInit } from './init.js'
import type { NodeServices } from '../transport/libp2p-transport.js'
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
  const clusterName = cluster.cluster ?? defaults.DEFAULT_CLUSTER_NAME
  const libp2p = await createLibp2p<NodeServices>({
    privateKey: identity.privateKey,
    start: false,
    addresses: { listen: network.listen, announce: network.announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(network.clusterKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: network.clusterKey }) }),
    peerDiscovery: network.mdns ? [mdns({ serviceTag: `meshbalancer-${clusterName}` })] : [],
    connectionManager: { maxConnections: network.maxConnections },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        globalSignaturePolicy: 'StrictSign',
        fallbackToFloodsub: false,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES
      })
    }
  })
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
    node.once('cluster:stop', () => { lag?.stop() })
    return node
  } catch (err) {
    lag?.stop()
    await libp2p.stop()
    throw err
  }
}
