import { decodeClaim } from '../codec/membership-codec.js'
import { compareVersions } from './suspicion.js'
import type { Claim } from '../codec/membership-codec.js'
import type { ClaimRejectReason } from '../errors.js'
import type { TopicMessage, ValidationResult } from '../transport/transport.js'
import type { TokenBuckets } from '../cluster/token-buckets.js'
import type { RecordVersion } from './suspicion.js'
import type { Strikes } from './strikes.js'

/** Counters of the claims topic. */
export interface ClaimStats {
  readonly claimsPublished: number
  readonly claimsAccepted: number
  readonly claimsRejected: Readonly<Record<ClaimRejectReason, number>>
}

export interface ClaimsTopicInit {
  now(): number
  /** Origins allowed to publish; any when undefined. */
  allowPeers: ReadonlySet<string> | undefined
  /** The version of a member's record this node holds (its own included); undefined for a non-member. */
  versionOf(id: string): RecordVersion | undefined
  /** Claims per claimant: a token bucket. */
  rate: TokenBuckets
  strikes: Strikes
  onReject(reason: ClaimRejectReason, from: string): void
}

/**
 * Reasons that drop a claim without the transport's penalty for invalid messages: the claimant may be honest but
 * out of date, or (`false-claims`) already scored down once, through `Transport.penalize`, for its strikes; a
 * member with a bad link to one other may earn strikes honestly, and its records must still get through.
 */
const IGNORED: ReadonlySet<ClaimRejectReason> = new Set(['unsupported-version', 'unknown-claimant', 'unknown-subject', 'stale', 'ahead', 'false-claims'])

/**
 * The receiving side of the claims topic: validates every claim before the transport delivers or forwards it
 * (allow-list, strikes, rate per claimant, decoding and bounds, claimant equal to the signer, claimant and subject
 * members of this node's view, and the claimed version the one this node holds), counts what it accepts and
 * refuses by reason, and hands accepted claims on, decoded once. O(1) per claim.
 */
export class ClaimsTopic {
  private readonly decoded = new WeakMap<Uint8Array, Claim>()
  private published = 0
  private accepted = 0
  private readonly rejected: Record<ClaimRejectReason, number> = {
    malformed: 0,
    'too-large': 0,
    'unsupported-version': 0,
    'claimant-mismatch': 0,
    'unknown-claimant': 0,
    'unknown-subject': 0,
    stale: 0,
    ahead: 0,
    'rate-limited': 0,
    'false-claims': 0,
    'not-allowed': 0
  }

  constructor (private readonly init: ClaimsTopicInit) {}

  validate (message: TopicMessage): ValidationResult {
    const { from } = message
    const { init } = this
    if (init.allowPeers !== undefined && !init.allowPeers.has(from)) return this.reject('not-allowed', from)
    if (init.strikes.banned(from, init.now())) return this.reject('false-claims', from)
    if (!init.rate.take(from)) {
      // Penalise the flooder when it sends its flood itself; a member that merely forwards a copy is not at fault.
      const verdict = this.reject('rate-limited', from)
      return (message.via ?? from) === from ? verdict : 'ignore'
    }
    const decoded = decodeClaim(message.data)
    if (!decoded.ok) return this.reject(decoded.reason, from)
    const claim = decoded.value
    if (claim.claimant !== from) return this.reject('claimant-mismatch', from)
    if (init.versionOf(claim.claimant) === undefined) return this.reject('unknown-claimant', from)
    // A member does not claim itself: it would refute its own claim.
    if (claim.subject === claim.claimant) return this.reject('malformed', from)
    const held = init.versionOf(claim.subject)
    if (held === undefined) return this.reject('unknown-subject', from)
    const order = compareVersions(claim, held)
    if (order < 0) return this.reject('stale', from)
    if (order > 0) return this.reject('ahead', from)
    this.decoded.set(message.data, claim)
    return 'accept'
  }

  /** The claim `validate` accepted for this message, once; undefined for anything else. */
  take (message: TopicMessage): Claim | undefined {
    const claim = this.decoded.get(message.data)
    if (claim === undefined) return undefined
    this.decoded.delete(message.data)
    this.accepted++
    return claim
  }

  countPublished (): void {
    this.published++
  }

  stats (): ClaimStats {
    return { claimsPublished: this.published, claimsAccepted: this.accepted, claimsRejected: { ...this.rejected } }
  }

  private reject (reason: ClaimRejectReason, from: string): ValidationResult {
    this.rejected[reason]++
    this.init.onReject(reason, from)
    return IGNORED.has(reason) ? 'ignore' : 'reject'
  }
}
