import { decodeRecord } from '../codec/record-codec.js'
import { InvalidRecordError } from '../errors.js'
import type { RecordRejectReason } from '../errors.js'
import type { MemberRecord } from '../member/member.js'
import type { TopicMessage, ValidationResult } from '../transport/transport.js'

/** Counters of the state topic. */
export interface StateTopicStats {
  readonly recordsPublished: number
  readonly recordsAccepted: number
  readonly recordsRejected: Readonly<Record<RecordRejectReason, number>>
}

/**
 * The receiving side of the state topic: validates every record before the transport delivers or forwards it
 * (decodes, checks bounds, checks that the signer is the origin), counts what it accepts and rejects by reason,
 * and hands accepted records on, decoded once.
 */
export class StateTopic {
  private readonly decoded = new WeakMap<Uint8Array, MemberRecord>()
  private published = 0
  private accepted = 0
  private readonly rejected: Record<RecordRejectReason, number> = {
    malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'out-of-range': 0, 'origin-mismatch': 0
  }

  constructor (private readonly onReject: (reason: RecordRejectReason, from: string) => void) {}

  validate (message: TopicMessage): ValidationResult {
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

  /** The record `validate` accepted for this message, once; undefined for anything else. */
  take (message: TopicMessage): MemberRecord | undefined {
    const record = this.decoded.get(message.data)
    if (record === undefined) return undefined
    this.decoded.delete(message.data)
    this.accepted++
    return record
  }

  countPublished (): void {
    this.published++
  }

  stats (): StateTopicStats {
    return { recordsPublished: this.published, recordsAccepted: this.accepted, recordsRejected: { ...this.rejected } }
  }

  private reject (reason: RecordRejectReason, from: string): ValidationResult {
    this.rejected[reason]++
    this.onReject(reason, from)
    // A record of another schema version comes from a newer (or older) release during a rolling upgrade, not from
    // a liar: drop it without the penalty that a rejection brings its sender.
    return reason === 'unsupported-version' ? 'ignore' : 'reject'
  }
}
