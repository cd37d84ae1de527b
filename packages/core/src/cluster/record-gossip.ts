import { encodeRecord } from '../codec/record-codec.js'
import { randomIndex } from '../random.js'
import { encodeSignedRecord, recordSigningPayload } from '../codec/signed-record.js'
import { LAG_SAMPLE_INTERVAL_MS, NEWCOMER_ANNOUNCE_MS, NEWCOMER_EXCHANGE_DELAY_MS, stateTopic, syncProtocol } from './constants.js'
import { Publisher } from './publisher.js'
import { PushPull, SYNC_TIMEOUT_MS } from './push-pull.js'
import { SignedStore } from './signed-store.js'
import { StateTopic } from './state-topic.js'
import { sameBesidesFigures } from '../member/record.js'
import type { SignedRecord } from '../codec/signed-record.js'
import type { TimerHandle } from '../clock.js'
import type { RecordRejectReason, SyncRejectReason } from '../errors.js'
import type { MemberRecord } from '../member/record.js'
import type { ApplyResult, MemberTable, RecordRoute } from '../member/table.js'
import type { ResolvedClusterInit } from './init.js'
import type { LocalRecord, RecordChange } from './local-record.js'
import type { PublishReason } from './publisher.js'
import type { StateTopicStats } from './state-topic.js'
import type { SyncStats } from './push-pull.js'

export interface RecordGossipInit {
  options: ResolvedClusterInit
  table: MemberTable
  local: LocalRecord
  running(): boolean
  /** Runs a change of the table, reporting a listener that throws. */
  guard(change: () => void): void
  onReject(reason: RecordRejectReason, from: string): void
  onSyncReject(reason: SyncRejectReason, from: string): void
}

/** Peers whose subscription {@link RecordGossip} remembers (for the republish after a healed partition). */
export const MAX_SUBSCRIBED_PEERS = 4096

/**
 * How member records travel (docs/PROTOCOL.md, "Records"): this node's own, signed and published on the records
 * topic when it changes (the {@link Publisher} decides when); the others', taken from the topic and from push-pull
 * exchanges ({@link PushPull}), into the member table; and the signed copy of every member's newest record
 * ({@link SignedStore}), which is what push-pull relays.
 */
export class RecordGossip {
  readonly publisher: Publisher
  private readonly topic: StateTopic
  private readonly pushPull: PushPull
  private readonly store: SignedStore
  private readonly topicName: string
  private readonly protocol: string
  private lagTimer: TimerHandle | undefined
  private startedAt = 0
  /** Peers heard subscribing before this node started: exchanged with once it has. */
  private readonly early = new Set<string>()
  /**
   * Peers seen subscribing to the records topic since they last left this node's view: gossip reaches them. At most
   * MAX_SUBSCRIBED_PEERS, the oldest forgotten first, as peers that never become members are never removed. Each
   * with its place in {@link sequence} when it subscribed.
   */
  private readonly subscribed = new Map<string, number>()
  /** Counts subscriptions and heal republishes, to tell which came first. */
  private sequence = 0
  /** This node's last republish for a healed partition: its place in {@link sequence}, and its time. */
  private lastHealRepublish = { sequence: -1, at: Number.NEGATIVE_INFINITY }
  /** Partners of exchanges that showed a healed partition, not yet subscribed: the republish waits for them. */
  private readonly healPending = new Set<string>()
  /** The last publish handed to the transport: publishes are signed and sent in order, one after the other. */
  private lastPublish: Promise<void> = Promise.resolve()

  constructor (private readonly init: RecordGossipInit) {
    const { options, table } = init
    const { clock, transport } = options
    this.topicName = stateTopic(options.cluster)
    this.protocol = syncProtocol(options.cluster)
    this.store = new SignedStore(transport.id)
    this.topic = new StateTopic({
      clock,
      allowPeers: options.allowPeers,
      maxRecordsPerSecond: options.maxRecordsPerSecond,
      onReject: init.onReject
    })
    this.publisher = new Publisher({
      clock,
      random: options.random,
      minIntervalMs: options.minPublishIntervalMs,
      refreshIntervalMs: options.refreshIntervalMs,
      loadRecordsPerSecond: options.loadRecordsPerSecond,
      peers: () => Math.max(0, table.size - 1),
      publish: reason => { this.publish(reason) }
    })
    this.pushPull = new PushPull({
      id: transport.id,
      protocol: this.protocol,
      transport,
      clock,
      random: options.random,
      logger: options.logger,
      intervalMs: options.pushPullIntervalMs,
      allowPeers: options.allowPeers,
      records: async () => {
        await this.lastPublish
        return this.store.all()
      },
      wants: record => this.store.wants(record),
      apply: (record, signed, route) => this.accept(record, signed, route),
      declaredDead: (origin, incarnation) => table.declaredDead(origin, incarnation),
      republish: partner => this.republishThrough(partner),
      partners: () => table.members().filter(member => !member.local && member.liveness === 'alive').map(member => member.id),
      size: () => table.size,
      running: init.running,
      onReject: init.onSyncReject
    })
    table.on('member:leave', member => {
      this.store.delete(member.id)
      this.subscribed.delete(member.id)
      this.healPending.delete(member.id)
    })
  }

  /**
   * Publishes this node's record anew for the far side of a healed partition, through `partner`, the member across
   * the cut that an exchange has just reached. Gossip reaches the partner only once its subscription has arrived,
   * which may come after the exchange it started: until then the publish waits for it.
   */
  private republishThrough (partner: string): boolean {
    const since = this.subscribed.get(partner)
    if (since === undefined) {
      if (this.healPending.has(partner)) return false
      this.healPending.add(partner)
      return true
    }
    // An exchange composed before this node's last heal republish could arrive shows nothing new: that republish
    // went to the partner directly, since it was subscribed then. No exchange outlasts SYNC_TIMEOUT_MS, so beyond
    // that the partner has had the record, and lacking it still is news.
    const { sequence, at } = this.lastHealRepublish
    if (since < sequence && this.init.options.clock.now() - at < SYNC_TIMEOUT_MS) return false
    this.healRepublish()
    return true
  }

  private healRepublish (): void {
    this.lastHealRepublish = { sequence: ++this.sequence, at: this.init.options.clock.now() }
    this.publisher.flush()
  }

  /** Subscribes to the records topic and serves push-pull. */
  attach (): void {
    const { transport } = this.init.options
    transport.subscribe(this.topicName, {
      validate: message => this.topic.validate(message),
      deliver: message => {
        const received = this.topic.take(message)
        if (received !== undefined && this.init.running()) this.accept(received.record, received.signed, 'direct')
      },
      // A peer on the topic that this node does not know: a joiner, or the far side of a healed partition. One
      // exchange gives each side the other's whole view at once. This node, when it is the one starting, exchanges
      // at once; a member that sees a peer arrive waits a moment first, and skips the exchange if the newcomer's
      // own announcement or its exchange with someone else has made it known meanwhile: a join then costs about
      // one exchange rather than one per member that sees it.
      peerSubscribed: peer => {
        this.subscribed.delete(peer)
        this.subscribed.set(peer, ++this.sequence)
        if (this.subscribed.size > MAX_SUBSCRIBED_PEERS) this.subscribed.delete(this.subscribed.keys().next().value as string)
        if (this.healPending.delete(peer) && this.init.running()) this.healRepublish()
        if (!this.init.running()) {
          this.early.add(peer)
          return
        }
        const { clock, random } = this.init.options
        // A node that just started may have announced itself to nobody (no peer was connected yet): it announces
        // again, coalesced, to each peer that arrives while it is new, whence its record spreads to the cluster.
        if (clock.now() - this.startedAt < NEWCOMER_ANNOUNCE_MS) this.publisher.changed()
        if (this.init.table.get(peer) !== undefined) return
        clock.setTimeout(() => {
          if (this.init.running() && this.init.table.get(peer) === undefined) void this.pushPull.exchange(peer)
        }, random() * NEWCOMER_EXCHANGE_DELAY_MS)
      }
    })
    transport.handleRequests(this.protocol, async (request, context) => await this.pushPull.serve(request, context))
  }

  /** Announces this node, and starts the refresh, the periodic exchanges and the sampling of the event loop's lag. */
  start (): void {
    this.startedAt = this.init.options.clock.now()
    this.publisher.start()
    this.pushPull.start()
    this.sampleLag()
    const early = [...this.early]
    this.early.clear()
    void this.exchangeUntilKnown(early)
  }

  /**
   * The joiner's exchanges: with one of the peers it saw subscribed, chosen at random, then with the next of them
   * still unknown, and so on. One answer usually carries the whole cluster, so a join usually takes one exchange.
   */
  private async exchangeUntilKnown (peers: string[]): Promise<void> {
    const { table, options } = this.init
    let left = peers.filter(peer => table.get(peer) === undefined)
    while (left.length > 0 && this.init.running()) {
      const peer = left[randomIndex(options.random, left.length)] as string
      await this.pushPull.exchange(peer)
      left = left.filter(other => other !== peer && table.get(other) === undefined)
    }
  }

  /** After a change of this node's record: publishes it as the kind of change requires. */
  changed (change: RecordChange): void {
    // A quiet change waits for the next publish, whatever causes it.
    if (change === 'content') this.publisher.changed()
    else if (change === 'load') this.publisher.loadChanged()
  }

  /** Publishes now, whatever the interval and the budget; resolves once the record is handed to the transport. */
  async flush (): Promise<void> {
    this.publisher.flush()
    await this.lastPublish
  }

  /**
   * Publishes the `left` record and waits, for `timeoutMs` at most, until the peers connected now have read it
   * (where the transport can tell: {@link Transport.confirmDelivery}). Handing it to the transport is not enough:
   * the connections close right after, and a peer busy meanwhile could miss it and wait for its failure detector.
   */
  async announceLeave (timeoutMs: number): Promise<void> {
    await this.flush()
    await this.init.options.transport.confirmDelivery?.({ signal: AbortSignal.timeout(timeoutMs) })
  }

  stop (): void {
    this.publisher.stop()
    this.pushPull.stop()
    if (this.lagTimer !== undefined) this.init.options.clock.clearTimeout(this.lagTimer)
    this.lagTimer = undefined
  }

  detach (): void {
    const { transport } = this.init.options
    transport.unsubscribe(this.topicName)
    transport.unhandleRequests(this.protocol)
  }

  /** True once a push-pull exchange with another member completed, either way: this node then holds the whole view. */
  synced (): boolean {
    const { syncExchanges, syncServed } = this.pushPull.stats()
    return syncExchanges + syncServed > 0
  }

  stats (): StateTopicStats & SyncStats {
    return { ...this.topic.stats(), ...this.pushPull.stats() }
  }

  prune (): void {
    this.topic.prune()
    this.pushPull.prune()
  }

  /** Applies a record to the view and keeps its signed copy when the view took it. */
  private accept (record: MemberRecord, signed: SignedRecord, route: RecordRoute): ApplyResult {
    const { table, options } = this.init
    let result: ApplyResult | undefined
    this.init.guard(() => { result = table.apply(record, options.clock.now(), route) })
    // Undefined when a listener threw: the change stands, and so does its record.
    const taken = result === undefined ? table.get(record.origin) !== undefined : result === 'joined' || result === 'updated' || result === 'refreshed'
    if (taken) this.store.set(record, signed)
    return result ?? 'updated'
  }

  private publish (reason: PublishReason): void {
    const { clock, transport, logger } = this.init.options
    const previous = this.init.local.lastPublished
    const record = this.init.local.next()
    // A record of loads or a refresh may still carry a change of content: one that waits out minPublishIntervalMs,
    // or transport addresses that moved since the once-a-second check. Such a record is forwarded, as a change is.
    const repeats = previous !== undefined && sameBesidesFigures(previous, record)
    this.init.table.setLocal(record, clock.now())
    let bytes: Uint8Array
    try {
      bytes = encodeRecord(record)
    } catch (err) {
      logger.error(`cannot encode this node's record: ${(err as Error).message}`)
      return
    }
    this.topic.countPublished()
    this.lastPublish = this.lastPublish.then(async () => {
      const signed = { record: bytes, signature: await transport.sign(recordSigningPayload(bytes)) }
      this.store.set(record, signed)
      // Decided as the record goes out, on the connections open then.
      const toAll = (reason === 'load' || reason === 'refresh') && repeats && this.reachesAll()
      if (toAll) this.topic.countPublishedToAll()
      await transport.publish(this.topicName, encodeSignedRecord(signed, toAll))
    }).catch((err: Error) => {
      logger.warn(`publishing this node's record failed: ${err.message}`)
    })
  }

  /**
   * True when a publish now goes directly to every other member of this node's view (docs/PROTOCOL.md, 2.5): its
   * receivers then need not forward it. Only load records and refreshes that differ from the last record published
   * in nothing but figures are so flagged (see `publish`), the records that repeat what members already hold. One
   * that a member misses (its link broke as it went out, or it joined unseen) is superseded by the next, or repaired
   * by push-pull; a change of content is always forwarded, so that it reaches every member by more than one path.
   */
  private reachesAll (): boolean {
    const { table, options } = this.init
    const peers = options.transport.topicPeers?.(this.topicName)
    // Fewer direct peers than members (the usual case beyond `targetPeers`): no need to look further.
    if (peers === undefined || peers.length < table.size - 1) return false
    const direct = new Set(peers)
    return table.members().every(member => member.local || direct.has(member.id))
  }

  /**
   * Every second: samples the lag (a significant move is published within the load budget) and looks for a change
   * of this node's transport addresses (published as a change of content).
   */
  private sampleLag (): void {
    const { clock, eventLoopLag } = this.init.options
    this.lagTimer = clock.setTimeout(() => {
      if (!this.init.running()) return
      const { local, table } = this.init
      const change = local.setEventLoopLag(eventLoopLag())
      const moved = local.addressesChanged()
      if (change === 'load' || moved) table.setLocal(local.current(), clock.now())
      if (moved) this.publisher.changed()
      else if (change === 'load') this.publisher.loadChanged()
      this.sampleLag()
    }, LAG_SAMPLE_INTERVAL_MS)
  }
}
