import { EventEmitter } from 'node:events'
import { sameContent } from './record.js'
import type { ClusterMember, Liveness, MemberRecord } from './member.js'

/**
 * Why a member left the table: it said so (`left`), its suspicion ran out unrefuted (`dead`), or a record of a
 * newer incarnation replaced it (`restarted`, followed by a `member:join` of the new incarnation).
 */
export type LeaveReason = 'left' | 'dead' | 'restarted'

/** Events of the {@link MemberTable}, re-emitted by the cluster. */
export interface MemberTableEvents {
  /** A member appeared (first record of an origin, or first record after it left or died). */
  'member:join': [member: ClusterMember]
  /** A member's record changed in content: any field of it but the sequence. */
  'member:update': [member: ClusterMember, previous: ClusterMember]
  /** A member failed a probe, or another member claims it did: it is no longer selected. */
  'member:suspect': [member: ClusterMember]
  /** A suspect member refuted the suspicion with a newer record, or answered a probe of this node. */
  'member:alive': [member: ClusterMember]
  /** A member left gracefully (`left`) or its suspicion ran out unrefuted (`dead`). */
  'member:leave': [member: ClusterMember, reason: LeaveReason]
}

/**
 * What {@link MemberTable.apply} did with a record. `unconfirmed`: a relayed record would bring back a member
 * declared dead, which takes proof that it is alive (its own delivery, or a direct probe): nothing was changed.
 */
export type ApplyResult = 'joined' | 'updated' | 'refreshed' | 'stale' | 'left' | 'unconfirmed'

/**
 * How a record reached this node: from its origin itself (a gossip message signed by the origin, or a push-pull
 * answered by the origin; also a relayed copy confirmed by a direct probe of the origin), or relayed by another
 * member (push-pull).
 */
export type RecordRoute = 'direct' | 'relayed'

export interface MemberTableInit {
  /** This node's id; its own record is set with {@link MemberTable.setLocal} and never expires. */
  localId: string
  /**
   * How long the last version of a departed member is remembered, so that late copies of its old records do not
   * bring it back.
   * @default 60000
   */
  tombstoneMs?: number
}

/** Default of {@link MemberTableInit.tombstoneMs}. */
export const DEFAULT_TOMBSTONE_MS = 60_000

/** A version of a record: incarnation, then sequence. */
interface Version {
  readonly incarnation: number
  readonly sequence: number
}

interface Entry {
  record: MemberRecord
  liveness: Liveness
  latencyMs: number | undefined
  /** The version of its record that is under suspicion while `liveness` is `suspect`. */
  suspected: Version | undefined
  snapshot: ClusterMember
}

interface Tombstone {
  incarnation: number
  sequence: number
  reason: LeaveReason
  until: number
}

/**
 * The newest record of every member, keyed by origin: a last-writer-wins map in which each key has a single
 * writer, so views converge without coordination. Liveness is the failure detector's: it marks members suspect
 * ({@link MemberTable.suspect}) and dead ({@link MemberTable.declareDead}); a record newer than the suspected
 * version clears a suspicion. The table itself has no timers: tombstones are pruned by whoever calls
 * {@link MemberTable.expire} with the current time.
 *
 * `version` increases with every change that a selection could observe; balancers compare it to rebuild lazily.
 */
export class MemberTable extends EventEmitter<MemberTableEvents> {
  /** Increases on every join, leave, content update, liveness or latency change. */
  version = 0

  private readonly localId: string
  private readonly tombstoneMs: number
  private local: Entry | undefined
  private readonly remotes = new Map<string, Entry>()
  private readonly tombstones = new Map<string, Tombstone>()
  private cachedMembers: { version: number, members: readonly ClusterMember[] } | undefined

  constructor (init: MemberTableInit) {
    super()
    this.localId = init.localId
    this.tombstoneMs = init.tombstoneMs ?? DEFAULT_TOMBSTONE_MS
  }

  /** The number of members, this node included once its record is set. */
  get size (): number {
    return this.remotes.size + (this.local === undefined ? 0 : 1)
  }

  /** Sets this node's own record. */
  setLocal (record: MemberRecord, _now?: number): void {
    const previous = this.local
    const entry: Entry = { record, liveness: 'alive', latencyMs: 0, suspected: undefined, snapshot: undefined as never }
    entry.snapshot = snapshotOf(entry, true)
    this.local = entry
    if (previous === undefined) {
      this.changed()
      this.emit('member:join', entry.snapshot)
    } else if (!sameContent(previous.record, record)) {
      this.changed()
      this.emit('member:update', entry.snapshot, previous.snapshot)
    }
  }

  /**
   * Applies a record received from `record.origin`. Newer records replace older ones; a record of status `left`
   * removes the member at once.
   *
   * A member declared dead comes back with a record of a version not older than the one it died at when the
   * record came `direct`; a `relayed` one is answered `unconfirmed` (the caller probes the origin and, if it
   * answers, applies the record again as `direct`). So the halves of a healed partition, idle and publishing
   * nothing new, merge as soon as they exchange records, and a relayed copy alone never revives a crashed member.
   * A member that `left` stays gone for its incarnation.
   */
  apply (record: MemberRecord, now: number, route: RecordRoute = 'direct'): ApplyResult {
    if (record.origin === this.localId) return 'stale'
    const id = record.origin
    const existing = this.remotes.get(id)
    if (existing !== undefined) {
      if (!isNewer(record, existing.record)) return 'stale'
      return this.replace(id, existing, record, now)
    }
    const tombstone = this.tombstones.get(id)
    if (tombstone !== undefined) {
      // A member that left gracefully does not come back within the same incarnation.
      if (tombstone.reason === 'left' && record.incarnation === tombstone.incarnation) return 'stale'
      const sameVersion = record.incarnation === tombstone.incarnation && record.sequence === tombstone.sequence
      if (!isNewer(record, tombstone) && !(sameVersion && tombstone.reason === 'dead')) return 'stale'
      if (tombstone.reason === 'dead' && route === 'relayed' && record.status !== 'left') return 'unconfirmed'
    }
    if (record.status === 'left') {
      this.bury(id, record, 'left', now)
      return 'stale'
    }
    this.tombstones.delete(id)
    const entry: Entry = { record, liveness: 'alive', latencyMs: undefined, suspected: undefined, snapshot: undefined as never }
    entry.snapshot = snapshotOf(entry, false)
    this.remotes.set(id, entry)
    this.changed()
    this.emit('member:join', entry.snapshot)
    return 'joined'
  }

  /** True when this node declared the member dead at `incarnation` (and holds the tombstone): it did not restart. */
  declaredDead (id: string, incarnation: number): boolean {
    const tombstone = this.tombstones.get(id)
    return tombstone?.reason === 'dead' && tombstone.incarnation === incarnation
  }

  /** Forgets tombstones older than `tombstoneMs`. */
  expire (now: number): void {
    for (const [id, tombstone] of this.tombstones) {
      if (tombstone.until <= now) this.tombstones.delete(id)
    }
  }

  /**
   * Marks a member suspect at `version` of its record: no longer selected, until a newer record than that version
   * arrives or {@link MemberTable.unsuspect} clears it. True when the member is known.
   */
  suspect (id: string, version: Version): boolean {
    const entry = this.remotes.get(id)
    if (entry === undefined) return false
    if (entry.suspected === undefined || isNewer(version, entry.suspected)) entry.suspected = { incarnation: version.incarnation, sequence: version.sequence }
    if (entry.liveness === 'alive') {
      entry.liveness = 'suspect'
      entry.snapshot = snapshotOf(entry, false)
      this.changed()
      this.emit('member:suspect', entry.snapshot)
    }
    return true
  }

  /** Clears a suspicion that a probe of this node disproved: the member answered. */
  unsuspect (id: string): void {
    const entry = this.remotes.get(id)
    if (entry === undefined || entry.liveness === 'alive') return
    entry.suspected = undefined
    entry.liveness = 'alive'
    entry.snapshot = snapshotOf(entry, false)
    this.changed()
    this.emit('member:alive', entry.snapshot)
  }

  /** Removes a member whose suspicion ran out unrefuted (`member:leave` with reason `dead`). */
  declareDead (id: string, now: number): void {
    const entry = this.remotes.get(id)
    if (entry !== undefined) this.remove(id, entry, 'dead', now)
  }

  /** The full record this node holds of a member (with its sequence), this node included. */
  recordOf (id: string): MemberRecord | undefined {
    if (id === this.localId) return this.local?.record
    return this.remotes.get(id)?.record
  }

  /** Records a smoothed round-trip time to a member. */
  setLatency (id: string, latencyMs: number): void {
    const entry = this.remotes.get(id)
    if (entry === undefined || entry.latencyMs === latencyMs) return
    entry.latencyMs = latencyMs
    entry.snapshot = snapshotOf(entry, false)
    this.changed()
  }

  /** A member by id, this node included. */
  get (id: string): ClusterMember | undefined {
    if (id === this.localId) return this.local?.snapshot
    return this.remotes.get(id)?.snapshot
  }

  /** Every member, this node included, sorted by id. The array is shared until the next change. */
  members (): readonly ClusterMember[] {
    if (this.cachedMembers?.version === this.version) return this.cachedMembers.members
    const members = [...this.remotes.values()].map(entry => entry.snapshot)
    if (this.local !== undefined) members.push(this.local.snapshot)
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    Object.freeze(members)
    this.cachedMembers = { version: this.version, members }
    return members
  }

  private replace (id: string, existing: Entry, record: MemberRecord, now: number): ApplyResult {
    if (record.status === 'left') {
      this.remove(id, existing, 'left', now, record)
      return 'left'
    }
    if (record.incarnation !== existing.record.incarnation) {
      // A restart: the old incarnation is gone and a new one joined, even if nothing else changed.
      this.remove(id, existing, 'restarted', now)
      return this.apply(record, now)
    }
    const previous = existing.snapshot
    const contentChanged = !sameContent(existing.record, record)
    // A record newer than the suspected version refutes the suspicion; one that is not (a suspicion of a version
    // this node had not received yet) leaves it standing.
    const refuted = existing.suspected !== undefined && isNewer(record, existing.suspected)
    const wasSuspect = existing.liveness === 'suspect'
    existing.record = record
    if (refuted) {
      existing.suspected = undefined
      existing.liveness = 'alive'
    }
    const revived = wasSuspect && refuted
    if (!contentChanged && !revived) return 'refreshed'
    existing.snapshot = snapshotOf(existing, false)
    this.changed()
    if (revived) this.emit('member:alive', existing.snapshot)
    if (contentChanged) this.emit('member:update', existing.snapshot, previous)
    return contentChanged ? 'updated' : 'refreshed'
  }

  private remove (id: string, entry: Entry, reason: LeaveReason, now: number, last: MemberRecord = entry.record): void {
    this.remotes.delete(id)
    this.bury(id, last, reason, now)
    this.changed()
    this.emit('member:leave', entry.snapshot, reason)
  }

  private bury (id: string, record: MemberRecord, reason: LeaveReason, now: number): void {
    this.tombstones.set(id, {
      incarnation: record.incarnation,
      sequence: record.sequence,
      reason,
      until: now + this.tombstoneMs
    })
  }

  private changed (): void {
    this.version++
  }
}

/** Higher incarnation wins, then higher sequence. */
function isNewer (record: Version, than: Version): boolean {
  return record.incarnation > than.incarnation ||
    (record.incarnation === than.incarnation && record.sequence > than.sequence)
}

/** The member as this node shows it: its record's fields (origin as `id`, no sequence) and this node's view of it. */
function snapshotOf (entry: Entry, local: boolean): ClusterMember {
  const { origin, sequence: _sequence, ...fields } = entry.record
  return Object.freeze({ ...fields, id: origin, liveness: entry.liveness, latencyMs: entry.latencyMs, local })
}
