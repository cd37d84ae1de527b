import { assertNoRemovedOptions, InvalidOptionError, resolveClusterInit } from '@meshbalancer/core'
import { assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
import { multiaddr } from '@multiformats/multiaddr'
import * as defaults from '../node/constants.js'
import { DEFAULT_FORWARD_HOLD_MS, MAX_FORWARD_HOLD_MS } from '../transport/forward-hold.js'
import type { ClusterInit, Transport } from '@meshbalancer/core'

/**
 * Options of the {@link meshbalancer} service: the cluster's options (see `ClusterInit` of `@meshbalancer/core`,
 * all but `transport`, which the service builds on the libp2p node it runs in) and the dialler's.
 */
export interface MeshbalancerInit extends Omit<ClusterInit, 'transport'> {
  /**
   * Addresses of any existing members, with or without `/p2p/<peer id>`. The node dials them until one answers,
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
   * Members learned through gossip are dialled until the node has this many connections, so that gossip does not
   * depend on the seed and RPC finds open connections. Small clusters end up fully connected. Keep it below the
   * libp2p node's `connectionManager.maxConnections`.
   * @default 16
   */
  targetPeers?: number
  /**
   * How long a message this node accepted (a record, a claim, a broadcast) waits before gossipsub forwards it to
   * the node's mesh. Meanwhile the mesh peers that already have it say so (IDONTWANT) and are sent no copy: in a
   * cluster whose members are connected to each other, each member then receives about one copy of each message
   * instead of one from the publisher and one from each of its mesh peers. The node itself handles the message at
   * once; only members that hear it through forwarding wait, a hold per hop. 0 forwards at once. PROTOCOL.md 2.1.
   * @default 10
   */
  forwardHoldMs?: number
}

/** The transport's options of {@link MeshbalancerInit} (the dialler's, and gossip forwarding's), with defaults applied. */
export interface TransportOptions {
  join: string[]
  joinRetryIntervalMs: number
  targetPeers: number
  forwardHoldMs: number
}

/** {@link MeshbalancerInit} checked, split into the transport's options and the cluster's. */
export interface ResolvedMeshbalancerInit {
  transport: TransportOptions
  cluster: Omit<ClusterInit, 'transport'>
}

export const TRANSPORT_OPTIONS = ['join', 'joinRetryIntervalMs', 'targetPeers', 'forwardHoldMs'] as const
export const CLUSTER_OPTIONS = [
  'name', 'cluster', 'probeIntervalMs', 'probeTimeoutMs', 'indirectProbes',
  'suspicionMultiplier', 'suspicionMaxMultiplier', 'minPublishIntervalMs', 'weight', 'tags',
  'clientAddress', 'ready', 'latencySmoothing', 'codec', 'incarnation', 'eventLoopLag',
  'clock', 'random', 'logger', 'allowPeers', 'maxRecordsPerSecond', 'explainOnePickIn',
  'maxBroadcastsPerSecond', 'refreshIntervalMs', 'pushPullIntervalMs', 'loadChangeMin', 'loadChangeRatio',
  'lagChangeMinMs', 'lagChangeRatio', 'loadRecordsPerSecond'
] as const satisfies ReadonlyArray<keyof Omit<ClusterInit, 'transport'>>

/**
 * Stands in for the libp2p transport while the cluster's options are checked: the real one exists only once
 * libp2p hands the service its components, and a bad option must fail before that.
 */
const STAND_IN: Transport = {
  id: 'stand-in',
  addresses: () => [],
  start: async () => {},
  stop: async () => {},
  subscribe: () => {},
  unsubscribe: () => {},
  publish: async () => {},
  handleRequests: () => {},
  unhandleRequests: () => {},
  request: async () => undefined,
  sign: async () => new Uint8Array(),
  verify: async () => false,
  ping: async () => 0
}

/**
 * Checks every option (throwing an `InvalidOptionError` naming the first bad one, under `scope` for unknown
 * ones) and applies the transport's defaults; the cluster's defaults are applied by the core when it is built.
 */
export function resolveMeshbalancerInit (init: MeshbalancerInit, scope = 'meshbalancer', extra: readonly string[] = []): ResolvedMeshbalancerInit {
  if (init === null || typeof init !== 'object') throw new InvalidOptionError('init', 'expected an options object')
  // Before the check of unknown options, so that an option of an earlier release is named with its replacement.
  assertNoRemovedOptions(init)
  assertKnownOptions(scope, init, [...TRANSPORT_OPTIONS, ...CLUSTER_OPTIONS, ...extra])
  const transport: TransportOptions = {
    join: addresses('join', init.join ?? []),
    joinRetryIntervalMs: assertInteger('joinRetryIntervalMs', init.joinRetryIntervalMs ?? defaults.DEFAULT_JOIN_RETRY_INTERVAL_MS, 10),
    targetPeers: assertInteger('targetPeers', init.targetPeers ?? defaults.DEFAULT_TARGET_PEERS, 1),
    forwardHoldMs: assertInteger('forwardHoldMs', init.forwardHoldMs ?? DEFAULT_FORWARD_HOLD_MS, 0, MAX_FORWARD_HOLD_MS)
  }
  const cluster: Omit<ClusterInit, 'transport'> = { name: init.name }
  for (const key of CLUSTER_OPTIONS) {
    if (init[key] !== undefined) Object.assign(cluster, { [key]: init[key] })
  }
  resolveClusterInit({ ...cluster, transport: STAND_IN })
  return { transport, cluster }
}

/** Checks a list of multiaddr strings; `option[i]` names a bad one. */
export function addresses (option: string, values: unknown): string[] {
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
