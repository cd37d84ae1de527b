import { EventEmitter } from 'node:events'
import { decodeRecord, encodeRecord } from '../codec/record-codec.js'
import { InvalidOptionError, InvalidRecordError } from '../errors.js'
import { assertInteger, assertKnownOptions, assertName } from '../options.js'
import { LoadBalancer } from '../balancer/load-balancer.js'
import { matchesNode, validateNodeMatch } from '../balancer/node-match.js'
import { MemberTable } from '../member/table.js'
import { RpcClient } from '../rpc/client.js'
import { RpcServer } from '../rpc/server.js'
import { MAX_GROUP_NAME_LENGTH, MAX_GROUPS, MAX_LOAD } from '../codec/limits.js'
import { rpcProtocol, stateTopic, UNREACHABLE_GRACE_HEARTBEATS } from './constants.js'
import { LatencyProber } from './latency-prober.js'
import { Publisher } from './publisher.js'
import { resolveClusterInit } from './init.js'
import type { SelectionAlgorithm } from '../balancer/algorithm.js'
import type { NodeMatch } from '../balancer/node-match.js'
import type { TimerHandle } from '../clock.js'
import type { RecordRejectReason } from '../errors.js'
import type { ClusterMember, MemberRecord, MemberStatus } from '../member/member.js'
import type { MemberTableEvents } from '../member/table.js'
import type { Handler } from '../rpc/server.js'
import type { TopicMessage, ValidationResult } from '../transport/transport.js'
import type { ClusterInit, ResolvedClusterInit } from './init.js'

/** Events of a {@link Cluster}: membership changes, and records refused by the topic validator. */
export interface ClusterEvents extends MemberTableEvents {
  'record:reject': [reason: RecordRejectReason, from: string]
  /** The cluster stopped (after `stop()`). */
  'cluster:stop': []
}

/** Options of {@link Cluster.loadBalancer}. */
export interface LoadBalancerOptions {
  /** The balancer's name, which is also the group it selects from (**contract**). */
  name: string
  /** The selection algorithm, made by a factory such as `powerOfTwo()`. */
  algorithm: SelectionAlgorithm
  /** Which nodes join the group; this node joins when its name matches. @default 'all' */
  nodeMatch?: NodeMatch
}

/** Counters of what the cluster received and sent. */
export interface ClusterStats {
  readonly recordsPublished: number
  readonly recordsAccepted: number
  readonly recordsRejected: Readonly<Record<RecordRejectReason, number>>
}

const BALANCER_OPTIONS = ['name', 'algorithm', 'nodeMatch']
const TABLE_EVENTS = ['member:join', 'member:update', 'member:suspect', 'member:alive', 'member:leave'] as const

/**
 * A node's membership in a cluster (**contract**): its view of every member and their loads, kept current by
 * gossip; balancers that select and call members; handlers that serve calls; and this node's own record.
 *
 * Made and started by {@link createCluster} (or `createNode` of `@meshbalancer/gossip`).
 */
export class Cluster extends EventEmitter<ClusterEvents> {
  /** This node's peer id. */
  readonly id: string
  /** This node's name. */
  readonly name: string
  /** The cluster's name. */
  readonly clusterName: string

  private readonly init: ResolvedClusterInit
  private readonly table: MemberTable
  private readonly server: RpcServer
  private readonly client: RpcClient
  private readonly publisher: Publisher
  private readonly prober: LatencyProber
  private readonly topic: string
  private readonly protocol: string
  private readonly decoded = new WeakMap<Uint8Array, MemberRecord>()
  private status: MemberStatus
  private sequence = 0
  private readonly groupRefs = new Map<string, number>()
  private readonly manualLoads = new Map<string, number>()
  private readonly serving = new Map<string, number>()
  private eventLoopLagMs = 0
  private expiryTimer: TimerHandle | undefined
  private lastExpiry = 0
  private readonly expiryIntervalMs: number
  private running = false
  /** The last publish handed to the transport; `stop()` waits for the `left` announcement to go out. */
  private lastPublish: Promise<void> = Promise.resolve()
  private readonly counters = {
    recordsPublished: 0,
    recordsAccepted: 0,
    recordsRejected: { malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'out-of-range': 0, 'origin-mismatch': 0 }
  }

  /** Use {@link createCluster}. */
  constructor (init: ClusterInit) {
    super()
    this.init = resolveClusterInit(init)
    const { transport, clock, logger } = this.init
    this.id = transport.id
    this.name = this.init.name
    this.clusterName = this.init.cluster
    this.topic = stateTopic(this.clusterName)
    this.protocol = rpcProtocol(this.clusterName)
    this.status = this.init.ready ? 'active' : 'joining'
    this.expiryIntervalMs = Math.max(10, Math.floor(this.init.heartbeatIntervalMs / 5))
    this.table = new MemberTable({
      localId: this.id,
      suspectAfterMs: this.init.suspectAfterMs,
      deadAfterMs: this.init.deadAfterMs
    })
    for (const event of TABLE_EVENTS) {
      this.table.on(event, (...args: unknown[]) => { this.emit(event, ...(args as [never, never])) })
    }
    this.table.on('member:join', member => { this.learnAddresses(member) })
    this.table.on('member:update', (member, previous) => {
      if (!sameList(member.addresses, previous.addresses)) this.learnAddresses(member)
    })
    this.table.on('member:leave', (member, reason) => {
      if (reason !== 'restarted') this.init.transport.forgetPeer?.(member.id)
    })
    this.server = new RpcServer({
      codec: this.init.codec,
      clock,
      logger,
      onCallStart: group => { this.adjustServing(group, 1) },
      onCallEnd: group => { this.adjustServing(group, -1) }
    })
    this.client = new RpcClient({
      transport,
      protocol: this.protocol,
      codec: this.init.codec,
      clock,
      localId: this.id,
      server: this.server
    })
    this.publisher = new Publisher({
      clock,
      minIntervalMs: this.init.minPublishIntervalMs,
      heartbeatIntervalMs: this.init.heartbeatIntervalMs,
      publish: () => { this.publish() }
    })
    this.prober = new LatencyProber({
      clock,
      table: this.table,
      transport,
      intervalMs: this.init.latencyProbeIntervalMs,
      smoothing: this.init.latencySmoothing
    })
  }

  /** Starts the transport, subscribes to the state topic and announces this node. */
  async start (): Promise<void> {
    if (this.running) return
    const { transport, clock } = this.init
    await transport.start()
    transport.subscribe(this.topic, {
      validate: message => this.validate(message),
      deliver: message => { this.deliver(message) },
      // A newcomer learns this node from the next publish: make it now (coalesced) rather than at the heartbeat.
      peerSubscribed: () => { if (this.running) this.publisher.changed() }
    })
    transport.handleRequests(this.protocol, async (request, context) => await this.server.serve(request, context))
    transport.watchPeers?.({
      disconnected: peer => {
        if (!this.running) return
        const grace = this.init.heartbeatIntervalMs * UNREACHABLE_GRACE_HEARTBEATS
        this.guard(() => { this.table.markUnreachable(peer, clock.now(), grace) })
      }
    })
    this.running = true
    this.publisher.start()
    this.lastExpiry = clock.now()
    this.scheduleExpiry()
    this.prober.start()
  }

  /**
   * Leaves the cluster gracefully: announces `left` (peers drop this node at once), fails calls still in flight
   * with `SERVICE_UNAVAILABLE`, and stops the transport.
   */
  async stop (): Promise<void> {
    if (!this.running) return
    this.status = 'left'
    this.publisher.flush()
    await this.lastPublish
    this.running = false
    this.publisher.stop()
    this.prober.stop()
    if (this.expiryTimer !== undefined) this.init.clock.clearTimeout(this.expiryTimer)
    this.client.abortAll(`cluster node ${this.name} stopped`)
    const { transport } = this.init
    transport.unsubscribe(this.topic)
    transport.unhandleRequests(this.protocol)
    await transport.stop()
    this.emit('cluster:stop')
  }

  /** Every member this node knows, itself included, sorted by id. */
  members (): readonly ClusterMember[] {
    return this.table.members()
  }

  /** A member by id. */
  member (id: string): ClusterMember | undefined {
    return this.table.get(id)
  }

  /** This node's own entry, as peers see it. */
  self (): ClusterMember {
    return this.table.get(this.id) as ClusterMember
  }

  /** True between `start()` and `stop()`. */
  get isRunning (): boolean {
    return this.running
  }

  /**
   * Creates a balancer over group `name` (**contract**). This node joins the group when its name matches
   * `nodeMatch`, so that others can select it; `balancer.close()` leaves it again.
   */
  loadBalancer (options: LoadBalancerOptions): LoadBalancer {
    assertKnownOptions('loadBalancer', options, BALANCER_OPTIONS)
    const name = assertName('name', options.name, MAX_GROUP_NAME_LENGTH)
    const { algorithm } = options
    if (algorithm == null || typeof algorithm.chooseFromNodes !== 'function' || typeof algorithm.name !== 'string') {
      throw new InvalidOptionError('algorithm', 'expected a selection algorithm such as powerOfTwo()')
    }
    const nodeMatch = validateNodeMatch(options.nodeMatch ?? 'all')
    const joins = matchesNode(nodeMatch, this.name)
    if (joins) this.joinGroup(name)
    return new LoadBalancer({
      name,
      algorithm,
      table: this.table,
      rpc: this.client,
      random: this.init.random,
      onClose: () => { if (joins) this.leaveGroup(name) }
    })
  }

  /** Serves calls of `method` (**contract**). A method has one handler; registering it twice throws. */
  handle<Args = unknown, Result = unknown> (method: string, handler: Handler<Args, Result>): void {
    this.server.handle(method, handler)
  }

  /** Stops serving `method`; later calls get `BAD_REQUEST`. */
  unhandle (method: string): void {
    this.server.unhandle(method)
  }

  /**
   * Sets this node's load in `group` (joining it if needed), replacing the automatic load (calls in flight that
   * this node serves for the group). Published coalesced, within `minPublishIntervalMs`.
   */
  setLoad (group: string, load: number): void {
    assertName('group', group, MAX_GROUP_NAME_LENGTH)
    assertInteger('load', load, 0, MAX_LOAD)
    if (!this.manualLoads.has(group) && !this.groupRefs.has(group)) this.assertRoomForGroup()
    if (this.manualLoads.get(group) === load) return
    this.manualLoads.set(group, load)
    this.changed()
  }

  /** Marks a node started with `ready: false` as selectable. */
  ready (): void {
    if (this.status !== 'joining') return
    this.status = 'active'
    this.changed()
  }

  /**
   * Announces `draining`: no balancer selects this node any more, while calls in flight finish. Published at once.
   */
  drain (): void {
    if (this.status === 'draining' || this.status === 'left') return
    this.status = 'draining'
    this.publisher.flush()
  }

  /** Counters of records published, accepted and rejected (by reason). */
  stats (): ClusterStats {
    return {
      recordsPublished: this.counters.recordsPublished,
      recordsAccepted: this.counters.recordsAccepted,
      recordsRejected: { ...this.counters.recordsRejected }
    }
  }

  private joinGroup (group: string): void {
    const refs = this.groupRefs.get(group) ?? 0
    if (refs === 0 && !this.manualLoads.has(group)) this.assertRoomForGroup()
    this.groupRefs.set(group, refs + 1)
    if (refs === 0) this.changed()
  }

  private leaveGroup (group: string): void {
    const refs = (this.groupRefs.get(group) ?? 0) - 1
    if (refs > 0) {
      this.groupRefs.set(group, refs)
      return
    }
    this.groupRefs.delete(group)
    this.changed()
  }

  private assertRoomForGroup (): void {
    if (new Set([...this.groupRefs.keys(), ...this.manualLoads.keys()]).size >= MAX_GROUPS) {
      throw new InvalidOptionError('group', `a node serves at most ${MAX_GROUPS} groups`)
    }
  }

  /**
   * Counts a call this node serves for `group`. The count is this node's automatic load in the group; it changes
   * with every call, so it is announced with the next heartbeat rather than at once: announcing each change made
   * the gossip traffic of a cluster grow with its call rate times its size, while callers already count their own
   * calls in flight.
   */
  private adjustServing (group: string, delta: number): void {
    this.serving.set(group, (this.serving.get(group) ?? 0) + delta)
    if (this.groupRefs.has(group) && !this.manualLoads.has(group)) this.changed(false)
  }

  /**
   * This node's view of itself changes at once; the announcement to peers follows, coalesced within
   * `minPublishIntervalMs`, or with the next heartbeat when `announce` is false.
   */
  private changed (announce = true): void {
    this.table.setLocal(this.buildRecord(), this.init.clock.now())
    if (announce && this.running) this.publisher.changed()
  }

  private buildRecord (): MemberRecord {
    const groups = new Map<string, number>()
    for (const group of this.groupRefs.keys()) groups.set(group, this.serving.get(group) ?? 0)
    for (const [group, load] of this.manualLoads) groups.set(group, load)
    return {
      origin: this.id,
      name: this.name,
      incarnation: this.init.incarnation,
      sequence: this.sequence,
      status: this.status,
      groups,
      weight: this.init.weight,
      tags: this.init.tags,
      eventLoopLagMs: this.eventLoopLagMs,
      clientAddress: this.init.clientAddress,
      addresses: this.init.transport.addresses()
    }
  }

  private publish (): void {
    const { clock, transport, logger } = this.init
    // In steps of 10 ms: finer changes are noise, and each change is an update for every member to process.
    this.eventLoopLagMs = Math.min(3_600_000, Math.max(0, Math.round(this.init.eventLoopLag() / 10) * 10))
    this.sequence++
    const record = this.buildRecord()
    this.table.setLocal(record, clock.now())
    let bytes: Uint8Array
    try {
      bytes = encodeRecord(record)
    } catch (err) {
      logger.error(`cannot encode this node's record: ${(err as Error).message}`)
      return
    }
    this.counters.recordsPublished++
    this.lastPublish = transport.publish(this.topic, bytes).catch((err: Error) => {
      logger.warn(`publishing this node's record failed: ${err.message}`)
    })
  }

  private validate (message: TopicMessage): ValidationResult {
    let record: MemberRecord
    try {
      record = decodeRecord(message.data)
    } catch (err) {
      return this.reject(err instanceof InvalidRecordError ? err.reason : 'malformed', message.from)
    }
    if (record.origin !== message.from) return this.reject('origin-mismatch', message.from)
    this.decoded.set(message.data, record)
    return 'accept'
  }

  private reject (reason: RecordRejectReason, from: string): ValidationResult {
    this.counters.recordsRejected[reason]++
    this.emit('record:reject', reason, from)
    // A record of another schema version comes from a newer (or older) release during a rolling upgrade, not from
    // a liar: drop it without the penalty that a rejection brings its sender.
    return reason === 'unsupported-version' ? 'ignore' : 'reject'
  }

  private deliver (message: TopicMessage): void {
    const record = this.decoded.get(message.data)
    if (record === undefined || !this.running) return
    this.decoded.delete(message.data)
    this.counters.recordsAccepted++
    this.guard(() => { this.table.apply(record, this.init.clock.now()) })
  }

  /**
   * Runs a change of the member table, which emits events to the application's listeners: a listener that throws
   * is reported, and the change (already made) stands.
   */
  private guard (change: () => void): void {
    try {
      change()
    } catch (err) {
      this.init.logger.error(`a membership event listener threw: ${(err as Error).message}`)
    }
  }

  private learnAddresses (member: ClusterMember): void {
    if (!member.local && member.addresses.length > 0) {
      this.init.transport.addPeerAddresses?.(member.id, member.addresses)
    }
  }

  private scheduleExpiry (): void {
    this.expiryTimer = this.init.clock.setTimeout(() => { this.expire() }, this.expiryIntervalMs)
  }

  private expire (): void {
    if (!this.running) return
    const now = this.init.clock.now()
    const late = now - this.lastExpiry - this.expiryIntervalMs
    if (late > this.init.suspectAfterMs / 2) {
      // This process did not run for a while (stopped, swapped, blocked): the silence was ours, not theirs.
      this.init.logger.warn(`this node was paused for ${Math.round(late)} ms; not counting it against peers`)
      this.table.forgive(late, now)
    }
    this.lastExpiry = now
    this.guard(() => { this.table.expire(now) })
    this.scheduleExpiry()
  }
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}

/** Validates `init`, creates the cluster node and starts it. */
export async function createCluster (init: ClusterInit): Promise<Cluster> {
  const cluster = new Cluster(init)
  await cluster.start()
  return cluster
}
