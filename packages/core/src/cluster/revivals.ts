import { TokenBuckets } from './token-buckets.js'
import type { SignedRecord } from '../codec/signed-record.js'
import type { Clock } from '../clock.js'
import type { MemberRecord } from '../member/record.js'
import type { Transport } from '../transport/transport.js'

/** Direct pings that confirm a relayed record of a dead member, per second sustained (twice as many at once). */
export const REVIVAL_PINGS_PER_SECOND = 10
/** Confirmations waiting or in flight at most; records beyond are dropped as `unconfirmed`. */
export const MAX_REVIVALS = 64
/** How long a confirmation ping waits for its answer. */
export const REVIVAL_PING_TIMEOUT_MS = 1000
/** After a failed confirmation, relayed copies of the same version are refused without a ping for this long. */
export const REVIVAL_FAILURE_MEMORY_MS = 30_000
const MAX_REMEMBERED_FAILURES = 4096

export interface RevivalsInit {
  clock: Clock
  transport: Transport
  /** The origin answered: the record is applied as delivered by it. */
  apply(record: MemberRecord, signed: SignedRecord): void
  /** The origin did not answer, or the record could not be checked: counted as `unconfirmed`. */
  unconfirmed(origin: string): void
}

/**
 * Confirms relayed records that would bring back a member declared dead: the origin is pinged directly (over the
 * transport's own connection, dialled if need be) and the record applied only if it answers. Pings are
 * rate-limited and bounded, and a version that failed is not pinged for again for a while, so that a stale copy
 * relayed by every exchange costs nothing after the first.
 */
export class Revivals {
  private readonly pending = new Set<string>()
  private readonly failures = new Map<string, { incarnation: number, sequence: number, until: number }>()
  /** One bucket for all confirmations: they cost this node's pings, whoever relayed the records. */
  private readonly pings: TokenBuckets
  private stopped = false

  constructor (private readonly init: RevivalsInit) {
    this.pings = new TokenBuckets(init.clock, REVIVAL_PINGS_PER_SECOND, 2 * REVIVAL_PINGS_PER_SECOND)
  }

  /** Pings `record.origin` and applies the record if it answers. */
  confirm (record: MemberRecord, signed: SignedRecord): void {
    const { clock, transport } = this.init
    const origin = record.origin
    if (this.pending.has(origin)) return
    const failure = this.failures.get(origin)
    const now = clock.now()
    if (failure !== undefined && failure.until > now && failure.incarnation === record.incarnation && failure.sequence >= record.sequence) {
      this.init.unconfirmed(origin)
      return
    }
    if (transport.ping === undefined || this.pending.size >= MAX_REVIVALS || !this.pings.take('pings')) {
      this.init.unconfirmed(origin)
      return
    }
    this.pending.add(origin)
    transport.ping(origin, { signal: AbortSignal.timeout(REVIVAL_PING_TIMEOUT_MS) }).then(() => {
      this.failures.delete(origin)
      if (!this.stopped) this.init.apply(record, signed)
    }, () => {
      if (this.failures.size >= MAX_REMEMBERED_FAILURES) this.failures.clear()
      this.failures.set(origin, { incarnation: record.incarnation, sequence: record.sequence, until: this.init.clock.now() + REVIVAL_FAILURE_MEMORY_MS })
      this.init.unconfirmed(origin)
    }).finally(() => { this.pending.delete(origin) })
  }

  stop (): void {
    this.stopped = true
  }

  /** Forgets failures older than their memory. */
  prune (): void {
    const now = this.init.clock.now()
    for (const [origin, failure] of this.failures) if (failure.until <= now) this.failures.delete(origin)
  }
}
