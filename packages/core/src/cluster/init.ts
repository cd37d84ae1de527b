import { InvalidOptionError } from '../errors.js'
import { assertFunction, assertInteger, assertKnownOptions, assertName, assertNumber } from '../options.js'
import { systemClock } from '../clock.js'
import { consoleLogger } from '../logger.js'
import { jsonCodec } from '../rpc/value-codec.js'
import * as defaults from './constants.js'
import { MAX_CLIENT_ADDRESS_LENGTH, MAX_NAME_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, MAX_WEIGHT } from '../codec/limits.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import type { RandomSource } from '../random.js'
import type { ValueCodec } from '../rpc/value-codec.js'
import type { Transport } from '../transport/transport.js'

/** Options of {@link createCluster}. Every optional field has the default given with it. */
export interface ClusterInit {
  /** This node's name, unique in the cluster by convention; matched by balancers' `nodeMatch`. */
  name: string
  /** The network; the cluster starts it and stops it. */
  transport: Transport
  /**
   * The cluster's name. Nodes of different clusters share no topic and no RPC protocol, so they never see each
   * other even on one network. Letters, digits, `.`, `_` and `-`.
   * @default 'default'
   */
  cluster?: string
  /**
   * How often this node republishes its record when nothing changed. Lower detects hung members sooner and costs
   * more: each node sends 1000 / heartbeatIntervalMs records per second and receives that many from every other
   * member, and on libp2p each record costs every receiver a signature check. Crashed members are noticed sooner
   * than this by their closed connections.
   * @default 1000
   */
  heartbeatIntervalMs?: number
  /**
   * Silence after which a member is suspect and no longer selected. Must exceed the heartbeat interval; two
   * heartbeats leave room for one lost or late message.
   * @default 2000
   */
  suspectAfterMs?: number
  /** Silence after which a member is removed from the view. Must exceed `suspectAfterMs`. @default 3000 */
  deadAfterMs?: number
  /**
   * Least time between two publishes of this node's record. A change is published at once when the last publish is
   * older than this, else at the end of the interval with every change made meanwhile (coalesced). Each publish
   * reaches every member, so this bounds what one busy node costs the cluster: at most 1000 / minPublishIntervalMs
   * records per second.
   * @default 100
   */
  minPublishIntervalMs?: number
  /** Relative capacity announced to weight-aware algorithms; 0 asks for no new work. @default 1 */
  weight?: number
  /** Labels announced with the record (zone, version, role), at most 32. @default {} */
  tags?: Record<string, string>
  /** Where this node's own clients connect, handed to shedding as a reconnect hint. @default '' */
  clientAddress?: string
  /**
   * Whether the node is selectable as soon as it starts. With `false` it announces `joining` until
   * `cluster.ready()`, for services that must finish starting before they take work.
   * @default true
   */
  ready?: boolean
  /** How often members' round-trip times are probed (4 members per interval); 0 disables probing. @default 5000 */
  latencyProbeIntervalMs?: number
  /** Weight of a new round-trip sample in the moving average, in (0, 1]. @default 0.3 */
  latencySmoothing?: number
  /** Encoding of RPC arguments and results; every member must use the same. @default JSON */
  codec?: ValueCodec
  /**
   * Peer ids allowed to publish records; records of any other origin are rejected (reason `not-allowed`). With
   * `@meshbalancer/gossip` the same list also keeps other peers from connecting at all.
   * @default any origin
   */
  allowPeers?: readonly string[]
  /**
   * Records one origin may publish per second (twice as many in a burst) before the rest are rejected as a flood
   * (reason `rate-limited`). An honest member publishes at most 1000 / minPublishIntervalMs a second.
   * @default 2.5 × 1000 / minPublishIntervalMs (25 with the default interval)
   */
  maxRecordsPerSecond?: number
  /**
   * Application broadcasts one origin may publish per second, sustained, on all topics together (twice as many in a
   * burst) before the rest are rejected as a flood (reason `rate-limited`). This node holds itself to the same rate:
   * `publish` beyond it rejects with `BroadcastRateLimitedError`. Every member should use the same value.
   * @default 100
   */
  maxBroadcastsPerSecond?: number
  /**
   * One pick in this many is explained with a `balancer:pick` event (its candidates and the chosen member), for
   * operators who want to see why traffic goes where it goes; 0 explains none. Costs nothing without listeners.
   * @default 100
   */
  explainOnePickIn?: number
  /**
   * Identifies this start of the node; must exceed the previous start's. A transport with a persistent identity
   * supplies one that survives clock changes.
   * @default Date.now()
   */
  incarnation?: number
  /** Returns the event loop's recent delay in milliseconds, announced with the record. @default () => 0 */
  eventLoopLag?: () => number
  /** @default systemClock */
  clock?: Clock
  /** @default Math.random */
  random?: RandomSource
  /** @default consoleLogger (warnings and errors to stderr) */
  logger?: Logger
}

/** {@link ClusterInit} with every default applied. */
export type ResolvedClusterInit = Required<Omit<ClusterInit, 'allowPeers'>> & { allowPeers: ReadonlySet<string> | undefined }

const KNOWN_OPTIONS: ReadonlyArray<keyof ClusterInit> = [
  'name', 'transport', 'cluster', 'heartbeatIntervalMs', 'suspectAfterMs', 'deadAfterMs', 'minPublishIntervalMs',
  'weight', 'tags', 'clientAddress', 'ready', 'latencyProbeIntervalMs', 'latencySmoothing', 'codec', 'incarnation',
  'eventLoopLag', 'clock', 'random', 'logger', 'explainOnePickIn', 'allowPeers', 'maxRecordsPerSecond',
  'maxBroadcastsPerSecond'
]

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** Applies defaults and checks every option; throws an `InvalidOptionError` naming the first bad one. */
export function resolveClusterInit (init: ClusterInit): ResolvedClusterInit {
  assertKnownOptions('cluster', init, KNOWN_OPTIONS)
  const resolved: ResolvedClusterInit = {
    name: init.name,
    transport: init.transport,
    cluster: init.cluster ?? defaults.DEFAULT_CLUSTER_NAME,
    heartbeatIntervalMs: init.heartbeatIntervalMs ?? defaults.DEFAULT_HEARTBEAT_INTERVAL_MS,
    suspectAfterMs: init.suspectAfterMs ?? defaults.DEFAULT_SUSPECT_AFTER_MS,
    deadAfterMs: init.deadAfterMs ?? defaults.DEFAULT_DEAD_AFTER_MS,
    minPublishIntervalMs: init.minPublishIntervalMs ?? defaults.DEFAULT_MIN_PUBLISH_INTERVAL_MS,
    weight: init.weight ?? defaults.DEFAULT_WEIGHT,
    tags: init.tags ?? {},
    clientAddress: init.clientAddress ?? '',
    ready: init.ready ?? true,
    latencyProbeIntervalMs: init.latencyProbeIntervalMs ?? defaults.DEFAULT_LATENCY_PROBE_INTERVAL_MS,
    latencySmoothing: init.latencySmoothing ?? defaults.DEFAULT_LATENCY_SMOOTHING,
    codec: init.codec ?? jsonCodec,
    explainOnePickIn: init.explainOnePickIn ?? defaults.DEFAULT_EXPLAIN_ONE_PICK_IN,
    allowPeers: init.allowPeers === undefined ? undefined : new Set(init.allowPeers),
    maxRecordsPerSecond: init.maxRecordsPerSecond ?? defaults.RECORD_RATE_HEADROOM * 1000 / Math.max(1, init.minPublishIntervalMs ?? defaults.DEFAULT_MIN_PUBLISH_INTERVAL_MS),
    maxBroadcastsPerSecond: init.maxBroadcastsPerSecond ?? defaults.DEFAULT_MAX_BROADCASTS_PER_SECOND,
    incarnation: init.incarnation ?? Date.now(),
    eventLoopLag: init.eventLoopLag ?? (() => 0),
    clock: init.clock ?? systemClock,
    random: init.random ?? Math.random,
    logger: init.logger ?? consoleLogger
  }
  assertName('name', resolved.name, MAX_NAME_LENGTH)
  if (/[\s\p{Cc}]/u.test(resolved.name)) throw new InvalidOptionError('name', 'must not contain whitespace or control characters')
  if (resolved.transport == null || typeof resolved.transport.publish !== 'function') {
    throw new InvalidOptionError('transport', 'expected a Transport')
  }
  if (!CLUSTER_NAME.test(resolved.cluster)) {
    throw new InvalidOptionError('cluster', 'expected 1 to 64 letters, digits, ".", "_" or "-"')
  }
  assertInteger('heartbeatIntervalMs', resolved.heartbeatIntervalMs, 10)
  assertInteger('suspectAfterMs', resolved.suspectAfterMs, resolved.heartbeatIntervalMs + 1)
  assertInteger('deadAfterMs', resolved.deadAfterMs, resolved.suspectAfterMs + 1)
  assertInteger('minPublishIntervalMs', resolved.minPublishIntervalMs, 0, resolved.heartbeatIntervalMs)
  assertInteger('weight', resolved.weight, 0, MAX_WEIGHT)
  if (typeof resolved.tags !== 'object' || Object.keys(resolved.tags).length > MAX_TAGS) {
    throw new InvalidOptionError('tags', `expected an object of at most ${MAX_TAGS} string values`)
  }
  for (const [key, value] of Object.entries(resolved.tags)) {
    if (key.length === 0 || key.length > MAX_TAG_KEY_LENGTH || /[\s\p{Cc}]/u.test(key)) {
      throw new InvalidOptionError(`tags.${key}`, `keys are 1 to ${MAX_TAG_KEY_LENGTH} characters without whitespace`)
    }
    if (typeof value !== 'string' || value.length > MAX_TAG_VALUE_LENGTH || /\p{Cc}/u.test(value)) {
      throw new InvalidOptionError(`tags.${key}`, `expected a string of at most ${MAX_TAG_VALUE_LENGTH} characters`)
    }
  }
  if (typeof resolved.clientAddress !== 'string' || resolved.clientAddress.length > MAX_CLIENT_ADDRESS_LENGTH) {
    throw new InvalidOptionError('clientAddress', `expected a string of at most ${MAX_CLIENT_ADDRESS_LENGTH} characters`)
  }
  if (typeof resolved.ready !== 'boolean') throw new InvalidOptionError('ready', 'expected a boolean')
  assertInteger('latencyProbeIntervalMs', resolved.latencyProbeIntervalMs, 0)
  assertNumber('latencySmoothing', resolved.latencySmoothing, Number.MIN_VALUE, 1)
  assertInteger('incarnation', resolved.incarnation, 1)
  assertInteger('explainOnePickIn', resolved.explainOnePickIn, 0)
  assertNumber('maxRecordsPerSecond', resolved.maxRecordsPerSecond, 1)
  assertNumber('maxBroadcastsPerSecond', resolved.maxBroadcastsPerSecond, 1)
  if (init.allowPeers !== undefined && (!Array.isArray(init.allowPeers) || init.allowPeers.some(peer => typeof peer !== 'string' || peer.length === 0))) {
    throw new InvalidOptionError('allowPeers', 'expected a list of peer ids')
  }
  assertFunction('eventLoopLag', resolved.eventLoopLag)
  assertFunction('random', resolved.random)
  if (typeof resolved.codec?.encode !== 'function' || typeof resolved.codec.decode !== 'function') {
    throw new InvalidOptionError('codec', 'expected an object with encode and decode')
  }
  return resolved
}
