import type { SignedRecord } from '../codec/signed-record.js'
import type { MemberRecord } from '../member/record.js'

interface Held {
  readonly incarnation: number
  readonly sequence: number
  readonly signed: SignedRecord
}

/**
 * The newest signed record of every member in the view, this node's own included: what this node relays in
 * push-pull, exactly as each origin signed it. It follows the member table (records enter when the table takes
 * them and leave with their member), so it holds one record per member and no more.
 */
export class SignedStore {
  private readonly held = new Map<string, Held>()

  constructor (private readonly localId: string) {}

  /** Keeps `signed` as `record.origin`'s newest, unless an equal or newer one is held. */
  set (record: MemberRecord, signed: SignedRecord): void {
    const held = this.held.get(record.origin)
    if (held !== undefined && !isNewer(record, held)) return
    this.held.set(record.origin, { incarnation: record.incarnation, sequence: record.sequence, signed })
  }

  /** True when `record` is newer than what is held of its origin (or nothing is). */
  wants (record: MemberRecord): boolean {
    const held = this.held.get(record.origin)
    return held === undefined || isNewer(record, held)
  }

  delete (origin: string): void {
    if (origin !== this.localId) this.held.delete(origin)
  }

  get size (): number {
    return this.held.size
  }

  /** Every held record, this node's own first (so that a message cut at its bound still carries it). */
  * all (): Generator<SignedRecord> {
    const own = this.held.get(this.localId)
    if (own !== undefined) yield own.signed
    for (const [origin, held] of this.held) if (origin !== this.localId) yield held.signed
  }
}

function isNewer (record: MemberRecord, than: { incarnation: number, sequence: number }): boolean {
  return record.incarnation > than.incarnation || (record.incarnation === than.incarnation && record.sequence > than.sequence)
}
