import { InvalidOptionError } from '../errors.js'
import { assertFunction, assertInteger, assertKnownOptions, assertName, assertNumber } from '../options.js'
import { systemClock } from '../clock.js'
import { consoleLogger } from '../logger.js'
import { jsonCodec } from '../rpc/value-codec.js'
import * as defaults from './constants.js'
import { MAX_CLIENT_ADDRESS_LENGTH, MAX_EVENT_LOOP_LAG_MS, MAX_LOAD, MAX_NAME_LENGTH, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH, MAX_TAGS, MAX_WEIGHT } from '../codec/limits.js'
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
   * How often this node probes one other member, the next in a shuffled round robin (SWIM). Each node sends one
   * probe per interval whatever the cluster's size; a crashed member is probed by someone within about one
   * interval, and at once by the members whose connections to it closed. Grows with this node's local health
   * score (× 1 to × 9) while it doubts its own health.
   * @default 1000
   */
  probeIntervalMs?: number
  /**
   * How long a direct probe (a ping) waits for its answer before the member is probed indirectly, through
   * `indirectProbes` others that wait as long. At most `probeIntervalMs`; × the local health multiplier.
   * @default 500
   */
  probeTimeoutMs?: number
  /** Members asked to ping a member that did not answer this node's ping, before it is suspected; 0 to 16. @default 3 */
  indirectProbes?: number
  /**
   * A suspicion that at least four members confirm lasts `suspicionMultiplier × max(1, log10 n) × probeIntervalMs`
   * before the member is removed (n: the members this node knows); a suspected member refutes it within that time
   * by publishing a newer record. 2 s with the defaults up to 10 members, 4 s at 100.
   * @default 2
   */
  suspicionMultiplier?: number
  /**
   * A suspicion that only one member claims lasts this many times longer than a confirmed one, shrinking
   * logarithmically with each independent claimant (Lifeguard): one member's bad link takes longer to act on.
   * @default 3
   */
  suspicionMaxMultiplier?: number
  /**
   * Least time between two publishes of this node's record. A change is published at once when the last publish is
   * older than this, else at the end of the interval with every change made meanwhile (coalesced). Each publish
   * reaches every member, so this bounds what one busy node costs the cluster: at most 1000 / minPublishIntervalMs
   * records per second.
   * @default 100
   */
  minPublishIntervalMs?: number
  /**
   * Mean time between two refreshes of this node's record (anti-entropy), jittered by ±25 % so that members do not
   * refresh in step. A refresh goes out only when nothing else was published for that long. Beyond 4 other
   * members it grows in proportion to them (× (n − 1) / 4: 67.5 s at 10 members, 142.5 s at 20), so that
   * refreshes cost each member at most 4 records per interval whatever the size of the cluster; push-pull
   * exchanges repair what a lost refresh would have.
   * @default 30000
   */
  refreshIntervalMs?: number
  /**
   * How often this node exchanges its whole state with one random member (push-pull), so that views converge
   * after lost records and healed partitions without waiting for refreshes. Beyond 32 members it grows as
   * log2(members / 32) + 1 times this, as memberlist's does. 0 disables the periodic exchange (a newly subscribed
   * peer that is not in the view is still exchanged with at once).
   * @default 30000
   */
  pushPullIntervalMs?: number
  /**
   * A group load is published when it moved from the load last published by at least max(loadChangeMin,
   * loadChangeRatio × published); smaller changes enter with the next record that goes out. Raise either to trade
   * fresh loads for fewer records.
   * @default 1
   */
  loadChangeMin?: number
  /** See `loadChangeMin`. @default 0.1 */
  loadChangeRatio?: number
  /**
   * The event loop's lag, sampled every second, is published when it moved from the lag last published by at
   * least max(lagChangeMinMs, lagChangeRatio × published).
   * @default 20
   */
  lagChangeMinMs?: number
  /** See `lagChangeMinMs`. @default 0.5 */
  lagChangeRatio?: number
  /**
   * Records carrying only a change of load (group loads, calls in flight, shedding counts, event-loop lag) that the
   * whole cluster may send per second. Each node takes loadRecordsPerSecond / (n − 1) of it, so that each member
   * receives about this many load records per second whatever the size of the cluster; a load that changes faster
   * is published at that node's share (every n − 1 / loadRecordsPerSecond seconds), carrying its latest value.
   * Changes of content (status, groups, weight, tags) are not counted against it.
   * @default 50
   */
  loadRecordsPerSecond?: number
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
  /**
   * Weight of a new round-trip sample in the moving average of a member's latency, in (0, 1]. Samples are the
   * failure detector's direct probes: one member per `probeIntervalMs`.
   * @default 0.3
   */
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
   * @default 2.5 × 1000 / minPublishIntervalMs (25 with the default interval), and at least 1
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
  'name', 'transport', 'cluster', 'probeIntervalMs', 'probeTimeoutMs', 'indirectProbes', 'suspicionMultiplier',
  'suspicionMaxMultiplier', 'minPublishIntervalMs', 'weight', 'tags', 'clientAddress', 'ready', 'latencySmoothing',
  'codec', 'incarnation', 'eventLoopLag', 'clock', 'random', 'logger', 'explainOnePickIn', 'allowPeers',
  'maxRecordsPerSecond', 'maxBroadcastsPerSecond', 'refreshIntervalMs', 'pushPullIntervalMs', 'loadChangeMin',
  'loadChangeRatio', 'lagChangeMinMs', 'lagChangeRatio', 'loadRecordsPerSecond'
]

/**
 * Options of earlier releases that no longer exist, with what replaces them: liveness is no longer silence on a
 * clock but failure detection by probes, and records are published when they change rather than on a heartbeat.
 */
export const REMOVED_CLUSTER_OPTIONS: Readonly<Record<string, string>> = {
  heartbeatIntervalMs: 'records are published when they change and refreshed slowly, and members are probed for liveness: use refreshIntervalMs and probeIntervalMs',
  suspectAfterMs: 'members are suspected when they fail a probe: use probeIntervalMs and probeTimeoutMs',
  deadAfterMs: 'suspected members are removed when their suspicion runs out: use suspicionMultiplier and suspicionMaxMultiplier',
  latencyProbeIntervalMs: 'round-trip times come from the failure detector\'s probes: use probeIntervalMs'
}

/** Throws an `InvalidOptionError` naming the replacement of the first removed option `init` sets. */
export function assertNoRemovedOptions (init: object): void {
  for (const [option, replacement] of Object.entries(REMOVED_CLUSTER_OPTIONS)) {
    if (Object.hasOwn(init, option)) throw new InvalidOptionError(option, `removed; ${replacement}`)
  }
}

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** Applies defaults and checks every option; throws an `InvalidOptionError` naming the first bad one. */
export function resolveClusterInit (init: ClusterInit): ResolvedClusterInit {
  if (init !== null && typeof init === 'object') assertNoRemovedOptions(init)
  assertKnownOptions('cluster', init, KNOWN_OPTIONS)
  const resolved: ResolvedClusterInit = {
    name: init.name,
    transport: init.transport,
    cluster: init.cluster ?? defaults.DEFAULT_CLUSTER_NAME,
    probeIntervalMs: init.probeIntervalMs ?? defaults.DEFAULT_PROBE_INTERVAL_MS,
    probeTimeoutMs: init.probeTimeoutMs ?? defaults.DEFAULT_PROBE_TIMEOUT_MS,
    indirectProbes: init.indirectProbes ?? defaults.DEFAULT_INDIRECT_PROBES,
    suspicionMultiplier: init.suspicionMultiplier ?? defaults.DEFAULT_SUSPICION_MULTIPLIER,
    suspicionMaxMultiplier: init.suspicionMaxMultiplier ?? defaults.DEFAULT_SUSPICION_MAX_MULTIPLIER,
    minPublishIntervalMs: init.minPublishIntervalMs ?? defaults.DEFAULT_MIN_PUBLISH_INTERVAL_MS,
    refreshIntervalMs: init.refreshIntervalMs ?? defaults.DEFAULT_REFRESH_INTERVAL_MS,
    pushPullIntervalMs: init.pushPullIntervalMs ?? defaults.DEFAULT_PUSH_PULL_INTERVAL_MS,
    loadChangeMin: init.loadChangeMin ?? defaults.DEFAULT_LOAD_CHANGE_MIN,
    loadChangeRatio: init.loadChangeRatio ?? defaults.DEFAULT_LOAD_CHANGE_RATIO,
    lagChangeMinMs: init.lagChangeMinMs ?? defaults.DEFAULT_LAG_CHANGE_MIN_MS,
    lagChangeRatio: init.lagChangeRatio ?? defaults.DEFAULT_LAG_CHANGE_RATIO,
    loadRecordsPerSecond: init.loadRecordsPerSecond ?? defaults.DEFAULT_LOAD_RECORDS_PER_SECOND,
    weight: init.weight ?? defaults.DEFAULT_WEIGHT,
    tags: init.tags ?? {},
    clientAddress: init.clientAddress ?? '',
    ready: init.ready ?? true,
    latencySmoothing: init.latencySmoothing ?? defaults.DEFAULT_LATENCY_SMOOTHING,
    codec: init.codec ?? jsonCodec,
    explainOnePickIn: init.explainOnePickIn ?? defaults.DEFAULT_EXPLAIN_ONE_PICK_IN,
    allowPeers: init.allowPeers === undefined ? undefined : new Set(init.allowPeers),
    // At least 1, the least the option takes: an interval beyond 2.5 s must not make its own default invalid.
    maxRecordsPerSecond: init.maxRecordsPerSecond ?? Math.max(1, defaults.RECORD_RATE_HEADROOM * 1000 / Math.max(1, init.minPublishIntervalMs ?? defaults.DEFAULT_MIN_PUBLISH_INTERVAL_MS)),
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
  assertInteger('probeIntervalMs', resolved.probeIntervalMs, 10)
  assertInteger('probeTimeoutMs', resolved.probeTimeoutMs, 1, resolved.probeIntervalMs)
  assertInteger('indirectProbes', resolved.indirectProbes, 0, 16)
  assertNumber('suspicionMultiplier', resolved.suspicionMultiplier, 0.5, 1000)
  assertNumber('suspicionMaxMultiplier', resolved.suspicionMaxMultiplier, 1, 1000)
  assertInteger('refreshIntervalMs', resolved.refreshIntervalMs, 100)
  // A refresh goes out at most once per publish interval, like every publish but flushes.
  assertInteger('minPublishIntervalMs', resolved.minPublishIntervalMs, 0, resolved.refreshIntervalMs)
  if (resolved.pushPullIntervalMs !== 0) assertInteger('pushPullIntervalMs', resolved.pushPullIntervalMs, 100)
  assertNumber('loadChangeMin', resolved.loadChangeMin, 0, MAX_LOAD)
  assertNumber('loadChangeRatio', resolved.loadChangeRatio, 0, 100)
  assertNumber('lagChangeMinMs', resolved.lagChangeMinMs, 0, MAX_EVENT_LOOP_LAG_MS)
  assertNumber('lagChangeRatio', resolved.lagChangeRatio, 0, 100)
  assertNumber('loadRecordsPerSecond', resolved.loadRecordsPerSecond, Number.MIN_VALUE, 1_000_000)
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
