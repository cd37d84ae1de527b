import { scaledInterval } from './scaled-interval.js'
import { decodeSync, decodeSyncEntry, encodeSync, recordSigningPayload } from '../codec/signed-record.js'
import { InvalidRecordError, ServiceUnavailableError } from '../errors.js'
import { randomIndex } from '../random.js'
import { Revivals } from './revivals.js'
import { TokenBuckets } from './token-buckets.js'
import type { SignedRecord } from '../codec/signed-record.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { SyncRejectReason } from '../errors.js'
import type { Logger } from '../logger.js'
import type { MemberRecord } from '../member/record.js'
import type { ApplyResult, RecordRoute } from '../member/table.js'
import type { RandomSource } from '../random.js'
import type { RequestContext, Transport } from '../transport/transport.js'

/** How long an exchange may take, both ways, before it is abandoned. */
export const SYNC_TIMEOUT_MS = 5000
/** Exchanges this node serves at once; more are refused (reason `busy`), as each holds a whole state. */
export const SYNC_MAX_SERVING = 8
/** Exchanges this node starts at once; a trigger beyond is skipped (the next one, or the peer's, will do). */
export const SYNC_MAX_STARTED = 4
/** Exchanges one peer may ask of this node per second, sustained (SYNC_PEER_BURST at once). */
export const SYNC_PEER_RATE = 0.5
export const SYNC_PEER_BURST = 3
/**
 * Other members up to which the periodic exchange keeps its interval; beyond, it grows in proportion to them, as
 * the refresh does. An exchange carries the whole state both ways, n records, so with a fixed interval (or
 * memberlist's log2 scaling) the bytes each member spends on periodic exchanges would grow with n; this way each
 * member, starting one exchange and serving one per interval, sends about 2 × SYNC_SCALE_PEERS = 8 records' worth
 * per `pushPullIntervalMs` and receives as many, whatever n. What
 * it gives up: a divergence that nothing else repairs waits longer for a periodic exchange in a large cluster
 * (67.5 s at 10 members, about 2 h at 1,000). Joins and healed partitions do not wait for it: they are exchanged
 * at once (newcomers).
 */
export const SYNC_SCALE_PEERS = 4

/** Counters of push-pull exchanges. */
export interface SyncStats {
  /** Exchanges this node started that completed. */
  readonly syncExchanges: number
  /** Exchanges this node served. */
  readonly syncServed: number
  /** Exchanges this node started that failed (unreachable peer, timeout, refused). */
  readonly syncFailed: number
  /** Relayed records that changed this node's view. */
  readonly syncRecordsApplied: number
  /** Times this node published its record anew because an exchange showed a healed partition. */
  readonly syncHealRepublishes: number
  /** Exchanges and relayed records refused, by reason. */
  readonly syncRejected: Readonly<Record<SyncRejectReason, number>>
}

export interface PushPullInit {
  id: string
  protocol: string
  transport: Transport
  clock: Clock
  random: RandomSource
  logger: Logger
  /** Mean time between periodic exchanges, before scaling; 0 disables them. */
  intervalMs: number
  /** Origins allowed; any when undefined. */
  allowPeers: ReadonlySet<string> | undefined
  /** This node's state: the newest signed record of every member, once this node's own publishes are signed. */
  records(): Promise<Iterable<SignedRecord>>
  /** True when a record is newer than what this node holds of its origin: only those are verified. */
  wants(record: MemberRecord): boolean
  /** Applies a verified record to the view. */
  apply(record: MemberRecord, signed: SignedRecord, route: RecordRoute): ApplyResult
  /** The members other than this node that are alive, to exchange with. */
  partners(): readonly string[]
  /** True when this node declared `origin` dead at `incarnation` (see {@link PushPull} on healed partitions). */
  declaredDead(origin: string, incarnation: number): boolean
  /**
   * Publishes this node's record anew through `partner` (a healed partition: the far side declared this node dead).
   * False when it does not, as the exchange could not have seen this node's last republish yet.
   */
  republish(partner: string): boolean
  /** Members in the view, this node included. */
  size(): number
  running(): boolean
  onReject(reason: SyncRejectReason, from: string): void
}

/**
 * Push-pull state exchange (docs/PROTOCOL.md, "Push-pull"): this node sends the newest signed record of every
 * member it holds and receives the peer's, over one request. Every relayed record is checked against its origin's
 * signature before it is applied, so a member can relay but never forge; a record that would bring back a member
 * declared dead is applied only once the member answers a direct ping ({@link Revivals}).
 *
 * An exchange is also how a healed partition is noticed: the peer is a member this node declared dead, and its
 * state lacks this node's record, so its side of the cut declared this node dead as well. This node then publishes
 * its record anew, so that a single connection across the healed cut brings it back into every view of the far
 * side (gossip delivers the new version, which outranks their tombstones), rather than each member there waiting
 * for a connection of its own.
 */
export class PushPull {
  private timer: TimerHandle | undefined
  private serving = 0
  private readonly started = new Set<string>()
  private readonly perPeer: TokenBuckets
  private readonly revivals: Revivals
  private exchanges = 0
  private served = 0
  private failed = 0
  private applied = 0
  private republished = 0
  private readonly rejected: Record<SyncRejectReason, number> = {
    malformed: 0,
    'too-large': 0,
    'unsupported-version': 0,
    'out-of-range': 0,
    'origin-mismatch': 0,
    'not-allowed': 0,
    'rate-limited': 0,
    'bad-signature': 0,
    'too-many-records': 0,
    busy: 0,
    unconfirmed: 0
  }

  constructor (private readonly init: PushPullInit) {
    this.perPeer = new TokenBuckets(init.clock, SYNC_PEER_RATE, SYNC_PEER_BURST)
    this.revivals = new Revivals({
      clock: init.clock,
      transport: init.transport,
      apply: (record, signed) => { this.count(init.apply(record, signed, 'direct')) },
      unconfirmed: origin => { this.reject('unconfirmed', origin) }
    })
  }

  start (): void {
    this.schedule()
  }

  stop (): void {
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.revivals.stop()
  }

  /** Serves an exchange: applies the peer's state and answers with this node's. */
  async serve (request: Uint8Array, context: RequestContext): Promise<Uint8Array> {
    const { from } = context
    if (this.init.allowPeers !== undefined && !this.init.allowPeers.has(from)) {
      this.reject('not-allowed', from)
      throw new ServiceUnavailableError(`push-pull from ${from} refused: not on the allow-list`)
    }
    if (!this.perPeer.take(from)) {
      this.reject('rate-limited', from)
      throw new ServiceUnavailableError(`push-pull from ${from} refused: too frequent`)
    }
    if (this.serving >= SYNC_MAX_SERVING) {
      this.reject('busy', from)
      throw new ServiceUnavailableError('push-pull refused: too many exchanges in progress')
    }
    this.serving++
    try {
      // The answer is this node's state before the peer's is applied: the peer holds that already.
      const answer = encodeSync(await this.init.records())
      await this.take(request, from)
      this.served++
      return answer
    } finally {
      this.serving--
    }
  }

  /** Exchanges state with `peer` now, unless an exchange with it is under way or too many are. */
  async exchange (peer: string): Promise<void> {
    if (!this.init.running() || this.started.has(peer) || this.started.size >= SYNC_MAX_STARTED) return
    if (this.init.allowPeers !== undefined && !this.init.allowPeers.has(peer)) return
    this.started.add(peer)
    try {
      const state = encodeSync(await this.init.records())
      const answer = await this.init.transport.request(peer, this.init.protocol, state, {
        signal: AbortSignal.timeout(SYNC_TIMEOUT_MS),
        expectResponse: true
      })
      if (answer === undefined) throw new ServiceUnavailableError(`${peer} sent no push-pull answer`)
      await this.take(answer, peer)
      this.exchanges++
    } catch (err) {
      this.failed++
      this.init.logger.debug(`push-pull with ${peer} failed: ${(err as Error | undefined)?.message ?? String(err)}`)
    } finally {
      this.started.delete(peer)
    }
  }

  stats (): SyncStats {
    return {
      syncExchanges: this.exchanges,
      syncServed: this.served,
      syncFailed: this.failed,
      syncRecordsApplied: this.applied,
      syncHealRepublishes: this.republished,
      syncRejected: { ...this.rejected }
    }
  }

  /** Forgets per-peer rates not used for a minute. */
  prune (): void {
    this.perPeer.prune(60_000)
    this.revivals.prune()
  }

  /** The interval of periodic exchanges for the current size, before jitter (see SYNC_SCALE_PEERS). */
  interval (): number {
    return scaledInterval(this.init.intervalMs, this.init.size(), SYNC_SCALE_PEERS)
  }

  private schedule (): void {
    if (this.init.intervalMs === 0) return
    // Uniform over [0.5, 1.5) of the interval: members do not exchange in step.
    const wait = this.interval() * (0.5 + this.init.random())
    this.timer = this.init.clock.setTimeout(() => {
      const partners = this.init.partners()
      if (partners.length > 0) void this.exchange(partners[randomIndex(this.init.random, partners.length)] as string)
      this.schedule()
    }, wait)
  }

  /** Decodes the other side's state and applies each record that is new to this node, once verified. */
  private async take (bytes: Uint8Array, from: string): Promise<void> {
    const decoded = decodeSync(bytes)
    if (!decoded.ok) {
      this.reject(decoded.reason, from)
      return
    }
    const { allowPeers, transport } = this.init
    let holdsThisNode = false
    let peerWasDead = false
    for (const entry of decoded.records) {
      let record: MemberRecord
      let signed: SignedRecord
      try {
        ({ record, signed } = decodeSyncEntry(entry))
      } catch (err) {
        this.reject(err instanceof InvalidRecordError ? err.reason : 'malformed', from)
        continue
      }
      if (record.origin === this.init.id) holdsThisNode = true
      if (record.origin === this.init.id || !this.init.wants(record)) continue
      if (allowPeers !== undefined && !allowPeers.has(record.origin)) {
        this.reject('not-allowed', from)
        continue
      }
      // Verified only when it would change the view: the cost of an exchange is in what is new to this node.
      if (!await transport.verify(record.origin, recordSigningPayload(signed.record), signed.signature)) {
        this.reject('bad-signature', from)
        continue
      }
      if (!this.init.running()) return
      if (record.origin === from && this.init.declaredDead(from, record.incarnation)) peerWasDead = true
      // The peer's own record comes from its origin: as good as a gossip message it signed.
      const result = this.init.apply(record, signed, record.origin === from ? 'direct' : 'relayed')
      if (result === 'unconfirmed') this.revivals.confirm(record, signed)
      else this.count(result)
    }
    if (peerWasDead && !holdsThisNode && this.init.running() && this.init.republish(from)) this.republished++
  }

  private count (result: ApplyResult): void {
    if (result === 'joined' || result === 'updated' || result === 'refreshed' || result === 'left') this.applied++
  }

  private reject (reason: SyncRejectReason, from: string): void {
    this.rejected[reason]++
    this.init.onReject(reason, from)
  }
}
