import { EventEmitter } from 'node:events'
import { assertInteger, assertName } from '../options.js'
import { DEFAULT_TOMBSTONE_MS, MemberTable } from '../member/table.js'
import { RpcClient } from '../rpc/client.js'
import { RpcServer } from '../rpc/server.js'
import { MAX_GROUP_NAME_LENGTH, MAX_LOAD } from '../codec/limits.js'
import { claimsTopic, LATE_TIMER_SLACK_MS, LEAVE_CONFIRM_TIMEOUT_MS, probeProtocol, rpcProtocol, SETTLE_WITHOUT_SYNC_MS } from './constants.js'
import { CallPath } from '../balancer/call-path.js'
import { Balancers } from './balancers.js'
import { Broadcasts } from './broadcast.js'
import { Expiry } from './expiry.js'
import { LocalRecord } from './local-record.js'
import { REFRESH_JITTER } from './publisher.js'
import { MemberCalls } from './member-calls.js'
import { resolveClusterInit } from './init.js'
import { Shedding } from './shedding.js'
import { RecordGossip } from './record-gossip.js'
import { Detector } from '../membership/detector.js'
import { wireTableEvents } from './table-events.js'
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
import type { RecordChange } from './local-record.js'

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
  private readonly records: RecordGossip
  private readonly server: RpcServer
  private readonly client: RpcClient
  private readonly detector: Detector
  private readonly shedding: Shedding
  private readonly balancerFactory: Balancers
  private readonly memberCalls: MemberCalls
  private readonly broadcasts: Broadcasts
  private readonly protocol: string
  private readonly expiry: Expiry
  private startedAt = 0
  private running = false
  /** The departure under way, shared by every `stop()` call made meanwhile. */
  private stopping: Promise<void> | undefined

  /** Use {@link createCluster}. */
  constructor (init: ClusterInit) {
    super()
    this.init = resolveClusterInit(init)
    const { transport, clock, logger } = this.init
    this.id = transport.id
    this.name = this.init.name
    this.clusterName = this.init.cluster
    this.protocol = rpcProtocol(this.clusterName)
    this.table = new MemberTable({
      localId: this.id,
      // A dead member's tombstone outlives the exchanges that may still relay its last record, so that a relayed
      // copy is confirmed with a ping rather than taken as news.
      tombstoneMs: Math.max(DEFAULT_TOMBSTONE_MS, 2 * this.init.pushPullIntervalMs)
    })
    this.local = new LocalRecord({
      id: this.id,
      options: this.init,
      status: this.init.ready ? 'active' : 'joining',
      addresses: () => transport.addresses(),
      rule: this.init
    })
    this.records = new RecordGossip({
      options: this.init,
      table: this.table,
      local: this.local,
      running: () => this.running,
      guard: change => { this.guard(change) },
      onReject: (reason, from) => { this.emit('record:reject', reason, from) },
      onSyncReject: (reason, from) => { this.emit('sync:reject', reason, from) }
    })
    this.server = new RpcServer({
      codec: this.init.codec,
      clock,
      logger,
      ...this.local.servingHooks(() => { if (this.running) this.records.changed('load') }),
      onServed: record => { this.emit('rpc:serve', record) }
    })
    this.client = new RpcClient({ transport, protocol: this.protocol, codec: this.init.codec, clock, localId: this.id, server: this.server })
    this.detector = new Detector({
      clock,
      random: this.init.random,
      logger,
      transport,
      table: this.table,
      options: this.init,
      claimsTopic: claimsTopic(this.clusterName),
      probeProtocol: probeProtocol(this.clusterName),
      allowPeers: this.init.allowPeers,
      // A claim about this node: a newer record, published at once, refutes it.
      refute: () => { this.records.publisher.flush() },
      guard: change => { this.guard(change) },
      stalled: () => this.expiry.stalled(),
      onClaimReject: (reason, from) => { this.guard(() => { this.emit('claim:reject', reason, from) }) }
    })
    this.shedding = new Shedding({
      id: this.id,
      clock,
      logger,
      version: () => this.table.version,
      members: () => this.table.members(),
      // The view is whole once a push-pull exchange completed; without one (peers that cannot exchange), once
      // every member's refresh has had time to arrive (the longest jittered refresh interval, up to 5
      // members), and never later than SETTLE_WITHOUT_SYNC_MS.
      settled: () => this.running && (this.records.synced() ||
        clock.now() - this.startedAt >= Math.min((1 + REFRESH_JITTER) * this.init.refreshIntervalMs, SETTLE_WITHOUT_SYNC_MS)),
      draining: () => this.local.status === 'draining',
      // A changed count waits for the publish interval, or for a token of this node's share of the load budget.
      publishDelayMs: () => Math.max(this.init.minPublishIntervalMs, 1000 / this.records.publisher.loadShare()),
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
      probeIntervalMs: this.init.probeIntervalMs,
      // A pause long enough to make a probe time out on its own account.
      pauseThresholdMs: Math.min(LATE_TIMER_SLACK_MS, this.init.probeTimeoutMs),
      paused: ms => { this.detector.creditPause(ms) },
      guard: change => { this.guard(change) },
      prune: () => {
        this.records.prune()
        this.broadcasts.prune()
        this.detector.prune()
      }
    })
    wireTableEvents(this.table, this, transport)
    this.table.setLocal(this.local.current(), clock.now())
  }

  /** Starts the transport, subscribes to the state topic and announces this node. */
  async start (): Promise<void> {
    if (this.running) return
    const { transport, clock } = this.init
    await transport.start()
    this.records.attach()
    transport.handleRequests(this.protocol, async (request, context) => await this.server.serve(request, context))
    this.broadcasts.attach()
    // A closed connection is a crash hint: the member is probed at once rather than at its turn.
    transport.watchPeers?.({ disconnected: peer => { if (this.running) this.detector.hint(peer) } })
    this.running = true
    this.startedAt = clock.now()
    this.records.start()
    this.expiry.start()
    this.detector.start()
    this.shedding.start()
  }

  /**
   * Leaves the cluster gracefully: announces `left` (peers drop this node at once) and waits up to 1 s for the
   * peers connected now to confirm they read it, then stops shedding, fails calls still in flight with
   * `SERVICE_UNAVAILABLE`, and stops the transport. Calls made while it stops share its promise.
   */
  async stop (): Promise<void> {
    if (!this.running) return
    this.stopping ??= this.leave()
    await this.stopping
  }

  private async leave (): Promise<void> {
    this.local.status = 'left'
    await this.records.announceLeave(LEAVE_CONFIRM_TIMEOUT_MS)
    this.running = false
    this.shedding.stop()
    this.records.stop()
    this.detector.stop()
    this.expiry.stop()
    this.client.abortAll(`cluster node ${this.name} stopped`)
    const { transport } = this.init
    this.records.detach()
    this.broadcasts.detach()
    transport.unhandleRequests(this.protocol)
    await transport.stop()
    this.stopping = undefined
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
      this.records.publisher.flush()
    }
    return await this.shedding.drain(options)
  }

  /**
   * Ids of the members and other peers this node has an open connection to (empty when the transport does not
   * tell). When the connections to a member close, it is probed at once: a crashed member is suspected within a
   * round trip or two, instead of at its turn in the probe schedule.
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

  /**
   * Counters of records published, accepted and rejected (by reason), of push-pull exchanges and the relayed
   * records they refused (by reason), of broadcasts, and of failure detection: probes, indirect probes, claims
   * (refused by reason), suspicions, refutations, false claims and local health.
   */
  stats (): ClusterStats {
    return { ...this.records.stats(), ...this.broadcasts.stats(), ...this.detector.stats() }
  }

  /**
   * After a change of this node's record (`true` for a change of content): its own view changes at once; peers
   * hear of a change of content coalesced within `minPublishIntervalMs`, and of a significant change of load within
   * the load budget too. A change of load below the significance rule enters the record, here and at peers, with
   * the next publish.
   */
  private changed (change: boolean | RecordChange): void {
    const kind: RecordChange = change === true ? 'content' : change === false ? 'none' : change
    if (kind === 'none') return
    this.table.setLocal(this.local.current(), this.init.clock.now())
    if (this.running && kind !== 'quiet') this.records.changed(kind)
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
}

/** Validates `init`, creates the cluster node and starts it. */
export async function createCluster (init: ClusterInit): Promise<Cluster> {
  const cluster = new Cluster(init)
  await cluster.start()
  return cluster
}
