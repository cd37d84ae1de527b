import { InvalidOptionError } from '@meshbalancer/core'
import { assertInteger } from '@meshbalancer/core/options'
import { assertClusterKey } from './cluster-key.js'
import * as defaults from './constants.js'
import { addresses, resolveMeshbalancerInit } from '../service/init.js'
import type { MeshbalancerInit, ResolvedMeshbalancerInit } from '../service/init.js'
import type { GossipsubOpts } from '@libp2p/gossipsub'
import type { Libp2pInit } from 'libp2p'

/**
 * Options of {@link createNode}: the meshbalancer service's (the cluster's options and the dialler's; all but
 * `incarnation`, which the node keeps with its key) and those of the libp2p node it builds.
 */
export interface GossipNodeInit extends Omit<MeshbalancerInit, 'incarnation'> {
  /** TCP addresses to listen on. Port 0 picks a free port. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /**
   * Addresses to announce to peers instead of the listen addresses, for nodes behind NAT or in containers.
   * @default the listen addresses
   */
  announce?: string[]
  /**
   * File holding this node's private key (libp2p protobuf encoding). Created with a new Ed25519 key when missing,
   * so that a restarted node keeps its peer id; a `.incarnation` file beside it keeps incarnations increasing.
   * @default an ephemeral key: a new peer id on every start
   */
  keyFile?: string
  /**
   * A private-network key in the swarm key format (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits). Nodes
   * connect only to nodes holding the same key; see `generateClusterKey`.
   * @default none: any libp2p node may connect
   */
  clusterKey?: Uint8Array
  /** Discover members on the local network by multicast DNS. @default false */
  mdns?: boolean
  /** Upper bound of open connections. @default 128 */
  maxConnections?: number
  /**
   * gossipsub's mesh degree D: each record is forwarded to this many peers beyond the ones its publisher sends it
   * to directly (see `clusterGossipsubInit`).
   * @default 4
   */
  meshDegree?: number
  /**
   * gossipsub's own options, merged over the cluster's (`clusterGossipsubInit`): for tuning beyond `meshDegree`,
   * for example `{ heartbeatInterval: 1000 }` to restore gossipsub's default heartbeat. Handed to gossipsub as
   * they are; docs/PROTOCOL.md says which ones other members rely on (the signature policy, message ids, sizes).
   * @default none: the cluster's settings
   */
  gossipsub?: Partial<GossipsubOpts>
  /**
   * libp2p's `metrics` option, handed to the libp2p node as it is: `prometheusMetrics({ registry })` of
   * `@libp2p/prometheus-metrics` exports libp2p's metrics and the node's `libp2p_meshbalancer_*` gauges; add
   * `instrumentCluster(node, { registry })` of `@meshbalancer/metrics` for calls, latencies and shedding.
   * @default no metrics
   */
  metrics?: NonNullable<Libp2pInit['metrics']>
}

const NETWORK_OPTIONS = ['listen', 'announce', 'keyFile', 'clusterKey', 'mdns', 'maxConnections', 'meshDegree', 'gossipsub', 'metrics'] as const

/** The libp2p options of {@link GossipNodeInit} with defaults applied. */
export interface NetworkOptions {
  listen: string[]
  announce: string[]
  keyFile: string | undefined
  clusterKey: Uint8Array | undefined
  mdns: boolean
  maxConnections: number
  meshDegree: number
  gossipsub: Partial<GossipsubOpts> | undefined
  metrics: NonNullable<Libp2pInit['metrics']> | undefined
}

/**
 * Checks every option of `init` (throwing an `InvalidOptionError` naming the first bad one) and splits it into the
 * libp2p node's options, with defaults, and the service's.
 */
export function resolveNodeInit (init: GossipNodeInit): { network: NetworkOptions, service: ResolvedMeshbalancerInit } {
  if ((init as { incarnation?: unknown } | undefined)?.incarnation !== undefined) {
    throw new InvalidOptionError('node.incarnation', 'createNode keeps incarnations with its key file')
  }
  const service = resolveMeshbalancerInit(init, 'node', NETWORK_OPTIONS)
  const network: NetworkOptions = {
    listen: addresses('listen', init.listen ?? defaults.DEFAULT_LISTEN),
    announce: addresses('announce', init.announce ?? []),
    keyFile: init.keyFile,
    clusterKey: init.clusterKey,
    mdns: init.mdns ?? false,
    maxConnections: assertInteger('maxConnections', init.maxConnections ?? defaults.DEFAULT_MAX_CONNECTIONS, 1),
    meshDegree: assertInteger('meshDegree', init.meshDegree ?? defaults.DEFAULT_MESH_DEGREE, 1, 12),
    gossipsub: init.gossipsub,
    metrics: init.metrics
  }
  if (network.gossipsub !== undefined && (typeof network.gossipsub !== 'object' || network.gossipsub === null || Array.isArray(network.gossipsub))) {
    throw new InvalidOptionError('gossipsub', 'expected an object of gossipsub options')
  }
  if (network.metrics !== undefined && typeof network.metrics !== 'function') {
    throw new InvalidOptionError('metrics', 'expected libp2p\'s metrics option, such as prometheusMetrics({ registry })')
  }
  if (network.keyFile !== undefined && (typeof network.keyFile !== 'string' || network.keyFile.length === 0)) {
    throw new InvalidOptionError('keyFile', 'expected a file path')
  }
  if (network.clusterKey !== undefined) assertClusterKey(network.clusterKey)
  if (typeof network.mdns !== 'boolean') throw new InvalidOptionError('mdns', 'expected a boolean')
  if (service.transport.targetPeers > network.maxConnections) {
    throw new InvalidOptionError('targetPeers', `must not exceed maxConnections (${network.maxConnections})`)
  }
  return { network, service }
}
