import { decodeSignedRecord } from '../codec/signed-record.js'
import { InvalidRecordError } from '../errors.js'
import { TokenBuckets } from './token-buckets.js'
import type { Clock } from '../clock.js'
import type { SignedRecord } from '../codec/signed-record.js'
import type { RecordRejectReason } from '../errors.js'
import type { MemberRecord } from '../member/member.js'
import type { TopicMessage, ValidationResult } from '../transport/transport.js'

/** Counters of the state topic. */
export interface StateTopicStats {
  readonly recordsPublished: number
  readonly recordsAccepted: number
  /** Load records and refreshes this node published directly to every member of its view, flagged not to forward. */
  readonly recordsPublishedToAll: number
  /** Records accepted from their origin, which had flagged them as sent to all, and so not forwarded by this node. */
  readonly recordsAcceptedUnforwarded: number
  readonly recordsRejected: Readonly<Record<RecordRejectReason, number>>
}

export interface StateTopicInit {
  clock: Clock
  /** Origins allowed to publish; any when undefined. */
  allowPeers: ReadonlySet<string> | undefined
  /** Records one origin may publish per second, sustained; twice as many in a burst. */
  maxRecordsPerSecond: number
  onReject(reason: RecordRejectReason, from: string): void
}

/** A record taken from the topic, with the signed bytes that carried it (kept for push-pull). */
export interface ReceivedRecord {
  readonly record: MemberRecord
  readonly signed: SignedRecord
  /** The origin sent this message directly to every member of its view (docs/PROTOCOL.md, 2.4). */
  readonly reachedAll: boolean
}

/**
 * The receiving side of the records topic: validates every signed record before the transport delivers or
 * forwards it (allow-list, rate per origin, decoding and bounds, signer of the gossip message equal to origin),
 * counts what it accepts and rejects by reason, and hands accepted records on, decoded once. A record its origin
 * flagged as sent to every member, received from the origin itself, is delivered but not forwarded.
 *
 * The record's own signature is not checked here: the gossip message's signature (gossipsub's StrictSign)
 * already proves that the origin sent it, and a second check would double the cost of every record. It is checked
 * where a record arrives relayed by another member (push-pull).
 */
export class StateTopic {
  /** What `validate` accepted, until `take` hands it on; `forwarded` is false for a deliver-only record. */
  private readonly decoded = new WeakMap<Uint8Array, { received: ReceivedRecord, forwarded: boolean }>()
  /** A token bucket per origin: `maxRecordsPerSecond` sustained, twice that in a burst. */
  private readonly rates: TokenBuckets
  private lastPrune = 0
  private published = 0
  private publishedToAll = 0
  private accepted = 0
  private acceptedUnforwarded = 0
  private readonly rejected: Record<RecordRejectReason, number> = {
    malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'out-of-range': 0, 'origin-mismatch': 0, 'not-allowed': 0, 'rate-limited': 0, 'bad-signature': 0
  }

  constructor (private readonly init: StateTopicInit) {
    this.rates = new TokenBuckets(init.clock, init.maxRecordsPerSecond, 2 * init.maxRecordsPerSecond)
  }

  validate (message: TopicMessage): ValidationResult {
    if (this.init.allowPeers !== undefined && !this.init.allowPeers.has(message.from)) return this.reject('not-allowed', message.from)
    if (!this.rates.take(message.from)) {
      // Penalise the flooder when it sends its flood itself; a member that merely forwards a copy is not at fault.
      const verdict = this.reject('rate-limited', message.from)
      return (message.via ?? message.from) === message.from ? verdict : 'ignore'
    }
    let received: ReceivedRecord
    try {
      received = decodeSignedRecord(message.data)
    } catch (err) {
      return this.reject(err instanceof InvalidRecordError ? err.reason : 'malformed', message.from)
    }
    if (received.record.origin !== message.from) return this.reject('origin-mismatch', message.from)
    // The origin sent this message to every member it knows: a copy straight from it need not go further, and
    // forwarding it would only hand each member duplicates to read and drop. A copy that some member forwarded
    // anyway (a node that predates the flag) goes on as any other.
    const forwarded = !(received.reachedAll && message.via === message.from)
    this.decoded.set(message.data, { received, forwarded })
    return forwarded ? 'accept' : 'deliver-only'
  }

  /** The record `validate` accepted for this message, once; undefined for anything else. */
  take (message: TopicMessage): ReceivedRecord | undefined {
    const entry = this.decoded.get(message.data)
    if (entry === undefined) return undefined
    this.decoded.delete(message.data)
    this.accepted++
    if (!entry.forwarded) this.acceptedUnforwarded++
    return entry.received
  }

  countPublished (): void {
    this.published++
  }

  countPublishedToAll (): void {
    this.publishedToAll++
  }

  stats (): StateTopicStats {
    return {
      recordsPublished: this.published,
      recordsPublishedToAll: this.publishedToAll,
      recordsAccepted: this.accepted,
      recordsAcceptedUnforwarded: this.acceptedUnforwarded,
      recordsRejected: { ...this.rejected }
    }
  }

  /**
   * Forgets the rate of origins not heard from for a minute, so that the map does not grow with departed members.
   * Cheap to call often: it looks at the map at most every ten seconds.
   */
  prune (): void {
    const now = this.init.clock.now()
    if (now - this.lastPrune < 10_000) return
    this.lastPrune = now
    this.rates.prune(60_000)
  }

  private reject (reason: RecordRejectReason, from: string): ValidationResult {
    this.rejected[reason]++
    this.init.onReject(reason, from)
    // A record of another schema version comes from a newer (or older) release during a rolling upgrade, not from
    // a liar: drop it without the penalty that a rejection brings its sender.
    return reason === 'unsupported-version' ? 'ignore' : 'reject'
  }
}
