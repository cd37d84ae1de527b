import { InvalidOptionError } from '@meshbalancer/core'
import { assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
import { multiaddr } from '@multiformats/multiaddr'
import { assertClusterKey } from './cluster-key.js'
import * as defaults from './constants.js'
import type { ClusterInit } from '@meshbalancer/core'
import type { Registry } from 'prom-client'

/**
 * Options of {@link createNode}: the cluster's options (see `ClusterInit` of `@meshbalancer/core`, all but
 * `transport` and `incarnation`, which the node supplies) and the network's.
 */
export interface GossipNodeInit extends Omit<ClusterInit, 'transport' | 'incarnation'> {
  /** TCP addresses to listen on. Port 0 picks a free port. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /**
   * Addresses to announce to peers instead of the listen addresses, for nodes behind NAT or in containers.
   * @default the listen addresses
   */
  announce?: string[]
  /**
   * TCP addresses of any existing members, with or without `/p2p/<peer id>`. The node dials them until one answers,
   * then learns every other member from gossip. Empty for the first node.
   * @default []
   */
  join?: string[]
  /**
   * The dialler's tick: how often join addresses are dialled again while the node has no peer, and how often it
   * looks for members to connect to and for members declared dead that are due to be dialled again.
   * @default 1000
   */
  joinRetryIntervalMs?: number
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
  /**
   * Members learned through gossip are dialled until the node has this many connections, so that gossip does not
   * depend on the seed and RPC finds open connections. Small clusters end up fully connected.
   * @default 16
   */
  targetPeers?: number
  /** Upper bound of open connections. @default 128 */
  maxConnections?: number
  /**
   * gossipsub's mesh degree D: each record is forwarded to this many peers beyond the ones its publisher sends it
   * to directly. Higher tolerates more lost links in large, partly connected clusters; each step costs every node
   * one more copy of every record. gossipsub's own default, 6, is meant for open networks of strangers.
   * @default 4
   */
  meshDegree?: number
  /**
   * A prom-client registry to fill with this node's metrics (`@meshbalancer/metrics`) and libp2p's own
   * (`@libp2p/prometheus-metrics`); serve it with `metricsHandler(registry)`.
   * @default no metrics
   */
  metrics?: Registry
}

const NETWORK_OPTIONS = ['listen', 'announce', 'join', 'joinRetryIntervalMs', 'keyFile', 'clusterKey', 'mdns', 'targetPeers', 'maxConnections', 'meshDegree', 'metrics'] as const
const CLUSTER_OPTIONS = [
  'name', 'cluster', 'heartbeatIntervalMs', 'suspectAfterMs', 'deadAfterMs', 'minPublishIntervalMs', 'weight', 'tags',
  'clientAddress', 'ready', 'latencyProbeIntervalMs', 'latencySmoothing', 'codec', 'eventLoopLag', 'clock', 'random', 'logger',
  'allowPeers', 'maxRecordsPerSecond', 'explainOnePickIn'
] as const

/** The network options of {@link GossipNodeInit} with defaults applied. */
export interface NetworkOptions {
  listen: string[]
  announce: string[]
  join: string[]
  joinRetryIntervalMs: number
  keyFile: string | undefined
  clusterKey: Uint8Array | undefined
  mdns: boolean
  targetPeers: number
  maxConnections: number
  meshDegree: number
  metrics: Registry | undefined
}

/** Splits `init` into the network's options (with defaults, validated) and the cluster's (validated by core). */
export function resolveNodeInit (init: GossipNodeInit): { network: NetworkOptions, cluster: Omit<ClusterInit, 'transport'> } {
  assertKnownOptions('node', init, [...NETWORK_OPTIONS, ...CLUSTER_OPTIONS])
  const network: NetworkOptions = {
    listen: addresses('listen', init.listen ?? defaults.DEFAULT_LISTEN),
    announce: addresses('announce', init.announce ?? []),
    join: addresses('join', init.join ?? []),
    joinRetryIntervalMs: assertInteger('joinRetryIntervalMs', init.joinRetryIntervalMs ?? defaults.DEFAULT_JOIN_RETRY_INTERVAL_MS, 10),
    keyFile: init.keyFile,
    clusterKey: init.clusterKey,
    mdns: init.mdns ?? false,
    targetPeers: assertInteger('targetPeers', init.targetPeers ?? defaults.DEFAULT_TARGET_PEERS, 1),
    maxConnections: assertInteger('maxConnections', init.maxConnections ?? defaults.DEFAULT_MAX_CONNECTIONS, 1),
    meshDegree: assertInteger('meshDegree', init.meshDegree ?? defaults.DEFAULT_MESH_DEGREE, 1, 12),
    metrics: init.metrics
  }
  if (network.metrics !== undefined && typeof network.metrics.metrics !== 'function') {
    throw new InvalidOptionError('metrics', 'expected a prom-client Registry')
  }
  if (network.keyFile !== undefined && (typeof network.keyFile !== 'string' || network.keyFile.length === 0)) {
    throw new InvalidOptionError('keyFile', 'expected a file path')
  }
  if (network.clusterKey !== undefined) assertClusterKey(network.clusterKey)
  if (typeof network.mdns !== 'boolean') throw new InvalidOptionError('mdns', 'expected a boolean')
  if (network.targetPeers > network.maxConnections) {
    throw new InvalidOptionError('targetPeers', `must not exceed maxConnections (${network.maxConnections})`)
  }
  const cluster: Omit<ClusterInit, 'transport'> = { name: init.name }
  for (const key of CLUSTER_OPTIONS) {
    if (init[key] !== undefined) Object.assign(cluster, { [key]: init[key] })
  }
  return { network, cluster }
}

function addresses (option: string, values: unknown): string[] {
  if (!Array.isArray(values)) throw new InvalidOptionError(option, 'expected a list of multiaddrs')
  return values.map((value: unknown, i) => {
    if (typeof value !== 'string') throw new InvalidOptionError(`${option}[${i}]`, 'expected a multiaddr string')
    try {
      multiaddr(value)
    } catch (err) {
      throw new InvalidOptionError(`${option}[${i}]`, `not a multiaddr: ${(err as Error).message}`)
    }
    return value
  })
}
