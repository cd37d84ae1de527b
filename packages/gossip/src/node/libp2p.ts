import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { stateTopic } from '@meshbalancer/core'
import { MAX_GOSSIP_MESSAGE_BYTES } from './constants.js'
import { CLUSTER_SCORE_THRESHOLDS, clusterScoreParams } from './scoring.js'
import type { NodeServices } from '../transport/libp2p-transport.js'
import type { NetworkOptions } from './init.js'
import type { ConnectionGater, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'

/**
 * The libp2p node under a meshbalancer node, not started: TCP, noise, yamux, identify, ping and gossipsub with
 * signed messages only, plus the private-network protector and mDNS when asked for.
 */
export async function createMeshLibp2p (network: Omit<NetworkOptions, 'keyFile' | 'join' | 'joinRetryIntervalMs' | 'targetPeers' | 'metrics'> & { metrics?: Registry | undefined }, privateKey: PrivateKey, clusterName: string, allowPeers?: readonly string[]): Promise<Libp2p<NodeServices>> {
  return await createLibp2p<NodeServices>({
    ...(network.metrics === undefined ? {} : { metrics: prometheusMetrics({ registry: network.metrics }) }),
    ...(allowPeers === undefined ? {} : { connectionGater: allowListGater(allowPeers) }),
    privateKey,
    start: false,
    addresses: { listen: network.listen, announce: network.announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(network.clusterKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: network.clusterKey }) }),
    peerDiscovery: network.mdns ? [mdns({ serviceTag: `meshbalancer-${clusterName}` })] : [],
    connectionManager: { maxConnections: network.maxConnections },
    // Members' liveness is the cluster's heartbeats' job, and latency its prober's: libp2p's own ping of every
    // connection every 10 s would only add streams. yamux keep-alives still clear half-open connections.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        globalSignaturePolicy: 'StrictSign',
        fallbackToFloodsub: false,
        // Mesh degree with gossipsub's proportions: prune above Dhi, graft below Dlo, gossip to Dlazy others.
        D: network.meshDegree,
        Dlo: Math.max(1, network.meshDegree - 1),
        Dhi: Math.max(network.meshDegree + 1, 2 * network.meshDegree - 2),
        Dlazy: network.meshDegree,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
        scoreParams: clusterScoreParams(stateTopic(clusterName)),
        scoreThresholds: CLUSTER_SCORE_THRESHOLDS
      })
    }
  })
}

/**
 * Refuses connections, both ways, with peers whose id is not on the list: checked once the encryption handshake
 * has proved who the remote is, and before dialling a known peer.
 */
function allowListGater (allowPeers: readonly string[]): ConnectionGater {
  const allowed = new Set(allowPeers)
  const denied = (peer: PeerId): boolean => !allowed.has(peer.toString())
  return {
    denyDialPeer: denied,
    denyInboundEncryptedConnection: denied,
    denyOutboundEncryptedConnection: denied
  }
}
