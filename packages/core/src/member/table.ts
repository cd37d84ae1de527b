import { EventEmitter } from 'node:events'
import { sameContent } from './record.js'
import type { ClusterMember, Liveness, MemberRecord } from './member.js'

/**
 * Why a member left the table: it said so (`left`), it was silent for `deadAfterMs` (`dead`), or a record of a
 * newer incarnation replaced it (`restarted`, followed by a `member:join` of the new incarnation).
 */
export type LeaveReason = 'left' | 'dead' | 'restarted'

/** Events of the {@link MemberTable}, re-emitted by the cluster. */
export interface MemberTableEvents {
  /** A member appeared (first record of an origin, or first record after it left or died). */
  'member:join': [member: ClusterMember]
  /** A member's record changed in content: any field of it but the sequence. */
  'member:update': [member: ClusterMember, previous: ClusterMember]
  /** Nothing was heard from a member for `suspectAfterMs`: it is no longer selected. */
  'member:suspect': [member: ClusterMember]
  /** A suspect member was heard from again. */
  'member:alive': [member: ClusterMember]
  /** A member left gracefully (`left`) or was not heard from for `deadAfterMs` (`dead`). */
  'member:leave': [member: ClusterMember, reason: LeaveReason]
}

/** What {@link MemberTable.apply} did with a record. */
export type ApplyResult = 'joined' | 'updated' | 'refreshed' | 'stale' | 'left'

export interface MemberTableInit {
  /** This node's id; its own record is set with {@link MemberTable.setLocal} and never expires. */
  localId: string
  /** A member not heard from for this long is suspect. */
  suspectAfterMs: number
  /** A member not heard from for this long is removed. */
  deadAfterMs: number
  /**
   * How long the last version of a departed member is remembered, so that late copies of its old records do not
   * bring it back. Default: twice `deadAfterMs`.
   */
  tombstoneMs?: number
}

interface Entry {
  record: MemberRecord
  lastSeen: number
  liveness: Liveness
  latencyMs: number | undefined
  snapshot: ClusterMember
}

/** A member whose last connection to this node closed. */
interface Unreachable {
  /** When it is removed unless heard from. */
  deadline: number
  /** Records that arrive before this were most likely sent before the connection closed: they prove nothing. */
  inFlightUntil: number
}

interface Tombstone {
  incarnation: number
  sequence: number
  reason: LeaveReason
  until: number
}

/**
 * The newest record of every member, keyed by origin: a last-writer-wins map in which each key has a single
 * writer, so views converge without coordination. Expiry is driven by whoever calls {@link MemberTable.expire}
 * with the current time (the cluster, on its clock), which keeps the table itself free of timers.
 *
 * `version` increases with every change that a selection could observe; balancers compare it to rebuild lazily.
 */
export class MemberTable extends EventEmitter<MemberTableEvents> {
  /** Increases on every join, leave, content update, liveness or latency change. */
  version = 0

  private readonly localId: string
  private readonly suspectAfterMs: number
  private readonly deadAfterMs: number
  private readonly tombstoneMs: number
  private local: Entry | undefined
  /** Remote entries in order of last refresh, oldest first, so that expiry stops at the first fresh entry. */
  private readonly remotes = new Map<string, Entry>()
  private readonly tombstones = new Map<string, Tombstone>()
  /** Members whose last connection closed. */
  private readonly unreachable = new Map<string, Unreachable>()
  private cachedMembers: { version: number, members: readonly ClusterMember[] } | undefined

  constructor (init: MemberTableInit) {
    super()
    this.localId = init.localId
    this.suspectAfterMs = init.suspectAfterMs
    this.deadAfterMs = init.deadAfterMs
    this.tombstoneMs = init.tombstoneMs ?? 2 * init.deadAfterMs
  }

  /** The number of members, this node included once its record is set. */
  get size (): number {
    return this.remotes.size + (this.local === undefined ? 0 : 1)
  }

  /** Sets this node's own record. */
  setLocal (record: MemberRecord, now: number): void {
    const previous = this.local
    const entry: Entry = { record, lastSeen: now, liveness: 'alive', latencyMs: 0, snapshot: undefined as never }
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
   */
  apply (record: MemberRecord, now: number): ApplyResult {
    if (record.origin === this.localId) return 'stale'
    const id = record.origin
    const existing = this.remotes.get(id)
    if (existing !== undefined) {
      if (!isNewer(record, existing.record)) return 'stale'
      return this.replace(id, existing, record, now)
    }
    const tombstone = this.tombstones.get(id)
    if (tombstone !== undefined && !isNewer(record, tombstone)) return 'stale'
    if (tombstone !== undefined && tombstone.reason === 'left' && record.incarnation === tombstone.incarnation) {
      // A member that left gracefully does not come back within the same incarnation.
      return 'stale'
    }
    if (record.status === 'left') {
      this.bury(id, record, 'left', now)
      return 'stale'
    }
    this.tombstones.delete(id)
    const entry: Entry = { record, lastSeen: now, liveness: 'alive', latencyMs: undefined, snapshot: undefined as never }
    entry.snapshot = snapshotOf(entry, false)
    this.remotes.set(id, entry)
    this.changed()
    this.emit('member:join', entry.snapshot)
    return 'joined'
  }

  /**
   * Marks members not heard from for `suspectAfterMs` as suspect and removes those silent for `deadAfterMs`.
   * Cost is proportional to the number of suspect or expiring members, not to the table size.
   */
  expire (now: number): void {
    for (const [id, mark] of this.unreachable) {
      const entry = this.remotes.get(id)
      if (entry === undefined) this.unreachable.delete(id)
      else if (now >= mark.deadline) this.remove(id, entry, 'dead', now)
    }
    for (const [id, entry] of this.remotes) {
      const silence = now - entry.lastSeen
      if (silence < this.suspectAfterMs) break
      if (silence >= this.deadAfterMs) {
        this.remove(id, entry, 'dead', now)
      } else if (entry.liveness === 'alive') {
        entry.liveness = 'suspect'
        entry.snapshot = snapshotOf(entry, false)
        this.changed()
        this.emit('member:suspect', entry.snapshot)
      }
    }
    for (const [id, tombstone] of this.tombstones) {
      if (tombstone.until <= now) this.tombstones.delete(id)
    }
  }

  /**
   * Marks a member this node just lost its last connection to: suspect at once, and removed at `now + graceMs`
   * unless a newer record arrives first. A crashed process closes its connections, so this notices crashes long
   * before `deadAfterMs`; a member that is alive and still reachable through gossip clears it with its next record.
   * Records arriving within `inFlightMs` were most likely sent before the close (the crashed member's last
   * heartbeat, relayed by a peer): they update the record but clear nothing. Keep `inFlightMs` well below the
   * heartbeat interval, so that a live member's next heartbeat arrives after it and before `graceMs`.
   */
  markUnreachable (id: string, now: number, graceMs: number, inFlightMs = 0): void {
    const entry = this.remotes.get(id)
    if (entry === undefined) return
    const previous = this.unreachable.get(id)
    this.unreachable.set(id, {
      deadline: Math.min(previous?.deadline ?? Number.POSITIVE_INFINITY, now + graceMs),
      inFlightUntil: Math.max(previous?.inFlightUntil ?? 0, now + inFlightMs)
    })
    if (entry.liveness === 'alive') {
      entry.liveness = 'suspect'
      entry.snapshot = snapshotOf(entry, false)
      this.changed()
      this.emit('member:suspect', entry.snapshot)
    }
  }

  /**
   * Credits every member with up to `ms` of silence, used after this process itself was paused (stopped, swapped
   * out, blocked) so that its own pause is not blamed on the others. Never beyond `now`: records that arrived in
   * the backlog just after the pause are already fresh.
   */
  forgive (ms: number, now: number): void {
    for (const entry of this.remotes.values()) entry.lastSeen = Math.min(entry.lastSeen + ms, now)
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
    if (now < (this.unreachable.get(id)?.inFlightUntil ?? 0)) {
      // News of its content, not proof that it outlived its connection: it stays suspect and marked.
      existing.record = record
      if (!contentChanged) return 'refreshed'
      existing.snapshot = snapshotOf(existing, false)
      this.changed()
      this.emit('member:update', existing.snapshot, previous)
      return 'updated'
    }
    const wasSuspect = existing.liveness === 'suspect'
    this.unreachable.delete(id)
    existing.record = record
    existing.lastSeen = now
    existing.liveness = 'alive'
    // Re-insert so that the map stays ordered by last refresh.
    this.remotes.delete(id)
    this.remotes.set(id, existing)
    if (!contentChanged && !wasSuspect) return 'refreshed'
    existing.snapshot = snapshotOf(existing, false)
    this.changed()
    if (wasSuspect) this.emit('member:alive', existing.snapshot)
    if (contentChanged) this.emit('member:update', existing.snapshot, previous)
    return contentChanged ? 'updated' : 'refreshed'
  }

  private remove (id: string, entry: Entry, reason: LeaveReason, now: number, last: MemberRecord = entry.record): void {
    this.remotes.delete(id)
    this.unreachable.delete(id)
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
function isNewer (record: MemberRecord, than: { incarnation: number, sequence: number }): boolean {
  return record.incarnation > than.incarnation ||
    (record.incarnation === than.incarnation && record.sequence > than.sequence)
}

/** The member as this node shows it: its record's fields (origin as `id`, no sequence) and this node's view of it. */
function snapshotOf (entry: Entry, local: boolean): ClusterMember {
  const { origin, sequence: _sequence, ...fields } = entry.record
  return Object.freeze({ ...fields, id: origin, liveness: entry.liveness, latencyMs: entry.latencyMs, local })
}
