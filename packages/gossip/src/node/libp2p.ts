import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { defaults } from '@meshbalancer/core'
import { claimsTopic, stateTopic } from '@meshbalancer/core/protocol'
import { DEFAULT_MESH_DEGREE, MAX_GOSSIP_FRAME_BYTES } from './constants.js'
import { fastMessageId } from './fast-message-id.js'
import { allowPeersGater } from './gater.js'
import { CLUSTER_SCORE_THRESHOLDS, clusterScoreParams } from './scoring.js'
import type { NodeServices } from '../transport/libp2p-transport.js'
import type { NetworkOptions } from './init.js'
import type { GossipsubOpts } from '@libp2p/gossipsub'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { ServiceFactoryMap } from 'libp2p'

/** Options of {@link clusterGossipsubInit}. */
export interface ClusterGossipsubOptions {
  /** The cluster's name, as given to the meshbalancer service (its topic is scored). @default 'default' */
  cluster?: string
  /**
   * gossipsub's mesh degree D: each record is forwarded to this many peers beyond the ones its publisher sends it
   * to directly. Higher tolerates more lost links in large, partly connected clusters; each step costs every node
   * one more copy of every record. gossipsub's own default, 6, is meant for open networks of strangers.
   * @default 4
   */
  meshDegree?: number
}

/**
 * gossipsub's options as a meshbalancer node wants them: signed messages only, no floodsub, a mesh degree for a
 * cluster of known peers, a bound on the frames read, and peer scores that graylist peers sending invalid records.
 * `gossipsub(clusterGossipsubInit({ cluster }))` next to the `meshbalancer` service; `createNode` uses it, and
 * takes gossipsub options over these (`GossipNodeInit.gossipsub`).
 *
 * Tuned for rare messages (records on change, claims), from measurements of 10 bare libp2p + gossipsub processes
 * on one 2-core machine, every pair connected, idle for 15 s, median process, one run of each setting:
 * - The idle stack costs 0.07 % of a core with gossipsub's defaults once libp2p's connection monitor is off
 *   (0.47 % with it on: a ping of every connection every 10 s). `createMeshLibp2p` turns it off.
 * - The heartbeat stays at gossipsub's 1 s: 0.53 % idle at 1 s against 0.57 % at 5 s (no gain within the noise),
 *   and a longer one would delay what rides on it: IHAVE repair, mesh repair after churn, and the score cache
 *   (a rejection is read at most a heartbeat late).
 * - Dlazy stays at D: an idle node has nothing in its gossip window and sends no IHAVE (the same idle cost with
 *   Dlazy 2 and gossipFactor 0: 0.60 %), and under traffic the saving was within the noise (285 against 318 KiB/s
 *   per node at 50 messages a second across the cluster).
 * - A message is offered by IHAVE at one heartbeat (`mcacheGossip` 1), not three: with meshbalancer's records
 *   (a refresh every 30 s or more per member), 10 idle meshbalancer processes moved 1.0 KiB/s per node against 1.3
 *   at three (docs/SCALING.md), and what gossip misses, the refresh and push-pull repair.
 * - D stays at 4: D = 3 cut the bytes under traffic by a third (220 KiB/s, measured before the forwarding hold)
 *   but leaves one fewer path around a lost link in clusters larger than a node's connections; flood publishing
 *   already gives the latency (a 400-byte message seen by the 9 others with p99 19.4 ms at D = 4, over 100
 *   messages).
 */
export function clusterGossipsubInit (options: ClusterGossipsubOptions = {}): Partial<GossipsubOpts> {
  const degree = options.meshDegree ?? DEFAULT_MESH_DEGREE
  return {
    allowPublishToZeroTopicPeers: true,
    emitSelf: false,
    globalSignaturePolicy: 'StrictSign',
    // Duplicates are recognised by a hash of their bytes before their signature is verified (see fastMessageId).
    fastMsgIdFn: fastMessageId,
    fallbackToFloodsub: false,
    // Mesh degree with gossipsub's proportions: prune above Dhi, graft below Dlo, gossip to Dlazy others.
    D: degree,
    Dlo: Math.max(1, degree - 1),
    Dhi: Math.max(degree + 1, 2 * degree - 2),
    Dlazy: degree,
    // Each message offered by IHAVE at one heartbeat, not three (see above).
    mcacheGossip: 1,
    // The transport sends IDONTWANT itself, once a message is accepted and before it is forwarded (ForwardHold).
    // gossipsub's own, sent before validation for messages of 512 bytes or more, would double it for large records
    // and go out for the records delivered but never forwarded (flagged as sent to all), which nobody would send.
    idontwantMinDataSize: Number.MAX_SAFE_INTEGER,
    maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES,
    scoreParams: clusterScoreParams(stateTopic(options.cluster ?? defaults.DEFAULT_CLUSTER_NAME), claimsTopic(options.cluster ?? defaults.DEFAULT_CLUSTER_NAME)),
    scoreThresholds: CLUSTER_SCORE_THRESHOLDS
  }
}

/**
 * yamux's keep-alive ping, per connection and from each end. Its one use here is to keep libp2p's TCP transport
 * from closing a connection that carried nothing for 2 minutes (its socket inactivity timeout): yamux only logs a
 * ping that fails (8.0.3), so it does not clear half-open connections, and members' liveness is the failure
 * detector's job. A minute from each end keeps every connection alive, at half the frames of yamux's default 30 s.
 * The pings are a cost per connection: in one run of 20 idle processes (19 connections each), turning them off
 * cut a node's libp2p bytes by 123 B/s, a fifth; at 5 processes by 34 B/s.
 */
const KEEP_ALIVE_INTERVAL_MS = 60_000

/** The libp2p options of the recommended node that {@link createMeshLibp2p} reads. */
export type MeshLibp2pOptions = Pick<NetworkOptions, 'listen' | 'announce' | 'clusterKey' | 'mdns' | 'maxConnections' | 'meshDegree'> & {
  metrics?: NetworkOptions['metrics']
  /** gossipsub's options merged over {@link clusterGossipsubInit}'s. */
  gossipsub?: NetworkOptions['gossipsub']
}

/**
 * The recommended libp2p node for meshbalancer, not started: TCP, noise, yamux, identify, ping and gossipsub
 * ({@link clusterGossipsubInit}), plus the private-network protector, the allow-list gater and mDNS when asked
 * for, libp2p's metrics when given, and `services` (the meshbalancer service, for `createNode`).
 */
export async function createMeshLibp2p<S extends Record<string, unknown> = Record<string, never>> (
  network: MeshLibp2pOptions,
  privateKey: PrivateKey,
  clusterName: string,
  allowPeers?: readonly string[],
  services?: Pick<ServiceFactoryMap<NodeServices & S>, keyof S>
): Promise<Libp2p<NodeServices & S>> {
  return await createLibp2p<NodeServices & S>({
    ...(network.metrics === undefined ? {} : { metrics: network.metrics }),
    ...(allowPeers === undefined ? {} : { connectionGater: allowPeersGater(allowPeers) }),
    privateKey,
    start: false,
    addresses: { listen: network.listen, announce: network.announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ keepAliveInterval: KEEP_ALIVE_INTERVAL_MS })],
    ...(network.clusterKey === undefined ? {} : { connectionProtector: preSharedKey({ psk: network.clusterKey }) }),
    peerDiscovery: network.mdns ? [mdns({ serviceTag: `meshbalancer-${clusterName}` })] : [],
    connectionManager: { maxConnections: network.maxConnections },
    // Members' liveness and latency are the failure detector's job (one probe of one member a second): libp2p's own
    // ping of every connection every 10 s would only add streams (see KEEP_ALIVE_INTERVAL_MS for yamux's).
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({ ...clusterGossipsubInit({ cluster: clusterName, meshDegree: network.meshDegree }), ...network.gossipsub }),
      ...services
    } as ServiceFactoryMap<NodeServices & S>
  })
}
