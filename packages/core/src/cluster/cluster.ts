import { EventEmitter } from 'node:events'
import { encodeRecord } from '../codec/record-codec.js'
import { assertInteger, assertName } from '../options.js'
import { MemberTable } from '../member/table.js'
import { RpcClient } from '../rpc/client.js'
import { RpcServer } from '../rpc/server.js'
import { MAX_GROUP_NAME_LENGTH, MAX_LOAD } from '../codec/limits.js'
import { rpcProtocol, stateTopic, UNREACHABLE_GRACE_HEARTBEATS, UNREACHABLE_IN_FLIGHT_HEARTBEATS } from './constants.js'
import { CallPath } from '../balancer/call-path.js'
import { Balancers } from './balancers.js'
import { Broadcasts } from './broadcast.js'
import { Expiry } from './expiry.js'
import { LatencyProber } from './latency-prober.js'
import { LocalRecord } from './local-record.js'
import { MemberCalls } from './member-calls.js'
import { Publisher } from './publisher.js'
import { resolveClusterInit } from './init.js'
import { Shedding } from './shedding.js'
import { StateTopic } from './state-topic.js'
import type { LoadBalancer } from '../balancer/load-balancer.js'
import type { ClusterMember } from '../member/member.js'
import type { Handler } from '../rpc/server.js'
import type { Shedder } from '../shedder/shedder.js'
import type { LoadBalancerOptions } from './balancers.js'
import type { BroadcastHandler } from './broadcast.js'
import type { ClusterInit, ResolvedClusterInit } from './init.js'
import type { DrainOptions, ShedderOptions } from './shedding.js'
import type { MemberCallOptions, MemberRef } from './member-calls.js'
import type { ClusterEvents, ClusterStats } from './events.js'

const TABLE_EVENTS = ['member:join', 'member:update', 'member:suspect', 'member:alive', 'member:leave'] as const

/**
 * A node's membership in a cluster (**contract**): its view of every member and their loads, kept current by
 * gossip; balancers that select and call members; handlers that serve calls; shedders that move this node's own
 * excess elsewhere; and this node's own record.
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
  private readonly local: LocalRecord
  private readonly topic: StateTopic
  private readonly server: RpcServer
  private readonly client: RpcClient
  private readonly publisher: Publisher
  private readonly prober: LatencyProber
  private readonly shedding: Shedding
  private readonly balancerFactory: Balancers
  private readonly memberCalls: MemberCalls
  private readonly broadcasts: Broadcasts
  private readonly topicName: string
  private readonly protocol: string
  private readonly expiry: Expiry
  private startedAt = 0
  private running = false
  /** The last publish handed to the transport; `stop()` waits for the `left` announcement to go out. */
  private lastPublish: Promise<void> = Promise.resolve()

  /** Use {@link createCluster}. */
  constructor (init: ClusterInit) {
    super()
    this.init = resolveClusterInit(init)
    const { transport, clock, logger } = this.init
    this.id = transport.id
    this.name = this.init.name
    this.clusterName = this.init.cluster
    this.topicName = stateTopic(this.clusterName)
    this.protocol = rpcProtocol(this.clusterName)
    this.table = new MemberTable({ localId: this.id, suspectAfterMs: this.init.suspectAfterMs, deadAfterMs: this.init.deadAfterMs })
    this.local = new LocalRecord({
      id: this.id,
      options: this.init,
      status: this.init.ready ? 'active' : 'joining',
      addresses: () => transport.addresses()
    })
    this.topic = new StateTopic({
      clock,
      allowPeers: this.init.allowPeers,
      maxRecordsPerSecond: this.init.maxRecordsPerSecond,
      onReject: (reason, from) => { this.emit('record:reject', reason, from) }
    })
    this.server = new RpcServer({
      codec: this.init.codec,
      clock,
      logger,
      // Only counted: the count enters the record when it is next published, so a served call costs no rebuild.
      onCallStart: group => this.local.startServing(group),
      onCallEnd: group => { this.local.endServing(group) },
      onServed: record => { this.emit('rpc:serve', record) }
    })
    this.client = new RpcClient({ transport, protocol: this.protocol, codec: this.init.codec, clock, localId: this.id, server: this.server })
    this.publisher = new Publisher({
      clock,
      minIntervalMs: this.init.minPublishIntervalMs,
      heartbeatIntervalMs: this.init.heartbeatIntervalMs,
      publish: () => { this.publishRecord() }
    })
    this.prober = new LatencyProber({
      clock,
      table: this.table,
      transport,
      intervalMs: this.init.latencyProbeIntervalMs,
      smoothing: this.init.latencySmoothing
    })
    this.shedding = new Shedding({
      id: this.id,
      clock,
      logger,
      version: () => this.table.version,
      members: () => this.table.members(),
      settled: () => this.running && clock.now() - this.startedAt >= this.init.suspectAfterMs,
      draining: () => this.local.status === 'draining',
      running: () => this.running,
      setCount: (namespace, count) => {
        assertInteger('count', count, 0, MAX_LOAD)
        this.changed(this.local.setShedCount(namespace, count))
      },
      stopped: namespace => { this.changed(this.local.stopShedding(namespace)) },
      emitRound: round => { this.emit('shed:round', round) }
    })
    const calls = new CallPath({
      rpc: this.client,
      now: () => clock.now(),
      called: record => { this.emit('rpc:call', record) }
    })
    this.memberCalls = new MemberCalls(this.table, calls)
    this.balancerFactory = new Balancers({
      nodeName: this.name,
      table: this.table,
      calls,
      random: this.init.random,
      clock,
      explainOnePickIn: this.init.explainOnePickIn,
      join: group => { this.changed(this.local.joinGroup(group)) },
      leave: group => { this.changed(this.local.leaveGroup(group)) },
      wantsExplanations: () => this.listenerCount('balancer:pick') > 0,
      explained: explanation => { this.emit('balancer:pick', explanation) }
    })
    this.broadcasts = new Broadcasts({
      id: this.id,
      name: this.name,
      cluster: this.clusterName,
      transport,
      clock,
      logger,
      allowPeers: this.init.allowPeers,
      maxPerSecond: this.init.maxBroadcastsPerSecond,
      memberName: id => this.table.get(id)?.name,
      running: () => this.running,
      onReject: (reason, from, topic) => { this.guard(() => { this.emit('broadcast:reject', reason, from, topic) }) }
    })
    this.expiry = new Expiry({
      clock,
      logger,
      table: this.table,
      heartbeatIntervalMs: this.init.heartbeatIntervalMs,
      suspectAfterMs: this.init.suspectAfterMs,
      guard: change => { this.guard(change) },
      prune: () => {
        this.topic.prune()
        this.broadcasts.prune()
      }
    })
    this.wireTable()
    this.table.setLocal(this.local.current(), clock.now())
  }

  /** Starts the transport, subscribes to the state topic and announces this node. */
  async start (): Promise<void> {
    if (this.running) return
    const { transport, clock } = this.init
    await transport.start()
    transport.subscribe(this.topicName, {
      validate: message => this.topic.validate(message),
      deliver: message => {
        const record = this.topic.take(message)
        if (record !== undefined && this.running) this.guard(() => { this.table.apply(record, clock.now()) })
      },
      // A newcomer learns this node from the next publish: make it now (coalesced) rather than at the heartbeat.
      peerSubscribed: () => { if (this.running) this.publisher.changed() }
    })
    transport.handleRequests(this.protocol, async (request, context) => await this.server.serve(request, context))
    this.broadcasts.attach()
    transport.watchPeers?.({
      disconnected: peer => {
        if (!this.running) return
        const { heartbeatIntervalMs } = this.init
        const grace = heartbeatIntervalMs * UNREACHABLE_GRACE_HEARTBEATS
        const inFlight = heartbeatIntervalMs * UNREACHABLE_IN_FLIGHT_HEARTBEATS
        this.guard(() => { this.table.markUnreachable(peer, clock.now(), grace, inFlight) })
      }
    })
    this.running = true
    this.startedAt = clock.now()
    this.publisher.start()
    this.expiry.start()
    this.prober.start()
    this.shedding.start()
  }

  /**
   * Leaves the cluster gracefully: announces `left` (peers drop this node at once), stops shedding, fails calls
   * still in flight with `SERVICE_UNAVAILABLE`, and stops the transport.
   */
  async stop (): Promise<void> {
    if (!this.running) return
    this.local.status = 'left'
    this.publisher.flush()
    await this.lastPublish
    this.running = false
    this.shedding.stop()
    this.publisher.stop()
    this.prober.stop()
    this.expiry.stop()
    this.client.abortAll(`cluster node ${this.name} stopped`)
    const { transport } = this.init
    transport.unsubscribe(this.topicName)
    this.broadcasts.detach()
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
    return this.balancerFactory.create(options)
  }

  /** The balancers of this node that are not closed. */
  balancers (): readonly LoadBalancer[] {
    return this.balancerFactory.open()
  }

  /**
   * Sheds this node's own excess in `namespace` (**contract**): every round it counts with
   * `implementation.count()`, compares with the counts the other members of the namespace announce, and drops
   * what the rule decides with `implementation.killProcesses(n, hint)`. `shedder.stop()` ends it.
   */
  shedder (options: ShedderOptions): Shedder {
    return this.shedding.create(options)
  }

  /**
   * Calls `method` on the member the caller names (**contract**), as rpc_load_balancer's `call(node, …)`: by id,
   * by name, or by an entry from `members()` or a balancer. An id wins over a name; of several members with one
   * name the one alive is called, and when several are alive the call fails naming their ids (see
   * {@link MemberRef}). A `joining` or `draining` member is called too; its handler sees the group `''`.
   *
   * Always settles: with the result, or with `ServiceUnavailableError` (unknown, suspect, left, ambiguous or
   * unreachable member), `RequestTimeoutError`, `BadRequestError` or `RemoteError`; or rejects with an
   * `InvalidOptionError` naming the option. Emits `rpc:call` with the balancer name `''`.
   *
   * @param options `timeoutMs` (@default 10000) and `signal`
   * @example
   * ```ts
   * const invoice = await cluster.call('billing-1', 'invoice', { order: 42 }, { timeoutMs: 2000 })
   * ```
   */
  async call<Result = unknown> (member: MemberRef, method: string, args?: unknown, options: MemberCallOptions = {}): Promise<Result> {
    return await this.memberCalls.send(member, method, args, options, false) as Result
  }

  /**
   * Sends `method` to one member the caller names without waiting for a result (**contract**), as
   * rpc_load_balancer's `cast(node, …)`. The member is found as by {@link Cluster.call}. Resolves once the
   * request is handed to the network; rejects when the member is unknown, suspect, ambiguous or unreachable.
   */
  async cast (member: MemberRef, method: string, args?: unknown, options: MemberCallOptions = {}): Promise<void> {
    await this.memberCalls.send(member, method, args, options, true)
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
    this.changed(this.local.setLoad(group, load))
  }

  /** Marks a node started with `ready: false` as selectable. */
  ready (): void {
    if (this.local.status !== 'joining') return
    this.local.status = 'active'
    this.changed(true)
  }

  /**
   * Before a planned stop: announces `draining` at once, so that no balancer selects this node any more, and hands
   * this node's connections over to the others through its shedders, within `withinMs`. Resolves with how many
   * are left (0 when all went, or when this node sheds nothing).
   */
  async drain (options: DrainOptions = {}): Promise<number> {
    if (this.local.status === 'left') return 0
    if (this.local.status !== 'draining') {
      this.local.status = 'draining'
      this.table.setLocal(this.local.current(), this.init.clock.now())
      this.publisher.flush()
    }
    return await this.shedding.drain(options)
  }

  /**
   * Ids of the members and other peers this node has an open connection to (empty when the transport does not
   * tell). A crash of one of them is noticed when its connections close, within 1.5 heartbeats; the others are
   * removed after `deadAfterMs` of silence.
   */
  connectedPeers (): string[] {
    return this.init.transport.connectedPeers?.() ?? []
  }

  /**
   * Publishes `data` (bytes, or a string sent as UTF-8) on application topic `topic` (**contract**): every member
   * subscribed to it receives it once, this node's own handlers included. Resolves once handed to the transport.
   * Rejects with `InvalidTopicError` or `MessageTooLargeError` (beyond 8 KiB) naming the topic, with
   * `BroadcastRateLimitedError` beyond `maxBroadcastsPerSecond`, and with `ServiceUnavailableError` when stopped.
   */
  async publish (topic: string, data: Uint8Array | string): Promise<void> {
    await this.broadcasts.publish(topic, data)
  }

  /**
   * Calls `handler` with every message published on application topic `topic` by any member, this one included
   * (**contract**). Returns the function that unsubscribes. Throws `InvalidTopicError` naming a bad topic.
   */
  subscribe (topic: string, handler: BroadcastHandler): () => void {
    return this.broadcasts.subscribe(topic, handler)
  }

  /** Counters of records published, accepted and rejected (by reason), and the same of broadcasts. */
  stats (): ClusterStats {
    return { ...this.topic.stats(), ...this.broadcasts.stats() }
  }

  /** Re-emits the table's events, and keeps the transport told about members' addresses. */
  private wireTable (): void {
    for (const event of TABLE_EVENTS) {
      this.table.on(event, (...args: unknown[]) => { this.emit(event, ...(args as [never, never])) })
    }
    this.table.on('member:join', member => { this.learnAddresses(member) })
    this.table.on('member:update', (member, previous) => {
      if (!sameList(member.addresses, previous.addresses)) this.learnAddresses(member)
    })
    this.table.on('member:leave', (member, reason) => {
      if (reason !== 'restarted') this.init.transport.forgetPeer?.(member.id, reason)
    })
  }

  /**
   * After a change of this node's record: its own view changes at once; peers hear of it coalesced within
   * `minPublishIntervalMs`. (Calls in flight are not such a change: they change with every call, and enter the
   * record, here and at peers, with the next publish.)
   */
  private changed (didChange: boolean): void {
    if (!didChange) return
    this.table.setLocal(this.local.current(), this.init.clock.now())
    if (this.running) this.publisher.changed()
  }

  private publishRecord (): void {
    const { clock, transport, logger } = this.init
    this.local.setEventLoopLag(this.init.eventLoopLag())
    const record = this.local.next()
    this.table.setLocal(record, clock.now())
    let bytes: Uint8Array
    try {
      bytes = encodeRecord(record)
    } catch (err) {
      logger.error(`cannot encode this node's record: ${(err as Error).message}`)
      return
    }
    this.topic.countPublished()
    this.lastPublish = transport.publish(this.topicName, bytes).catch((err: Error) => {
      logger.warn(`publishing this node's record failed: ${err.message}`)
    })
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
