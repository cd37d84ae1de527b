import { InvalidOptionError } from '../errors.js'
import { MAX_EVENT_LOOP_LAG_MS, MAX_GROUPS } from '../codec/limits.js'
import type { MemberRecord, MemberStatus } from '../member/member.js'

export interface LocalRecordInit {
  id: string
  name: string
  incarnation: number
  weight: number
  tags: Readonly<Record<string, string>>
  clientAddress: string
  status: MemberStatus
  /** This node's transport addresses, read at every build (they are known once the transport listens). */
  addresses: () => string[]
}

/**
 * What this node says about itself: its status, the groups it serves and its load in each. A group's load is the
 * application's (`setLoad`) when it set one, else the calls this node is serving for the group.
 */
export class LocalRecord {
  status: MemberStatus
  private sequence = 0
  private eventLoopLagMs = 0
  /** Groups joined by balancers, counted so that two balancers of one group leave it only when both close. */
  private readonly groupRefs = new Map<string, number>()
  private readonly manualLoads = new Map<string, number>()
  private readonly serving = new Map<string, number>()

  constructor (private readonly init: LocalRecordInit) {
    this.status = init.status
  }

  /** Joins `group` for one more balancer; true when the node was not in it before. */
  joinGroup (group: string): boolean {
    const refs = this.groupRefs.get(group) ?? 0
    if (refs === 0 && !this.manualLoads.has(group)) this.assertRoomFor(group)
    this.groupRefs.set(group, refs + 1)
    return refs === 0
  }

  /** Leaves `group` for one balancer; true when that was the last one. */
  leaveGroup (group: string): boolean {
    const refs = (this.groupRefs.get(group) ?? 0) - 1
    if (refs > 0) {
      this.groupRefs.set(group, refs)
      return false
    }
    this.groupRefs.delete(group)
    return true
  }

  /** Sets the application's load in `group` (joining it); true when it changed. */
  setLoad (group: string, load: number): boolean {
    if (!this.manualLoads.has(group) && !this.groupRefs.has(group)) this.assertRoomFor(group)
    if (this.manualLoads.get(group) === load) return false
    this.manualLoads.set(group, load)
    return true
  }

  /** Counts a call served for `group`; true when that moves the group's (automatic) load. */
  adjustServing (group: string, delta: number): boolean {
    // Calls name any group the caller likes: keep only groups with calls in flight, so the map stays bounded.
    const serving = (this.serving.get(group) ?? 0) + delta
    if (serving === 0) this.serving.delete(group)
    else this.serving.set(group, serving)
    return this.groupRefs.has(group) && !this.manualLoads.has(group)
  }

  /** Records the event loop's delay, in steps of 10 ms: finer changes are noise that every member would process. */
  setEventLoopLag (ms: number): void {
    this.eventLoopLagMs = Math.min(MAX_EVENT_LOOP_LAG_MS, Math.max(0, Math.round(ms / 10) * 10))
  }

  /** The record as it stands, with the sequence of the last publish. */
  current (): MemberRecord {
    const groups = new Map<string, number>()
    for (const group of this.groupRefs.keys()) groups.set(group, this.serving.get(group) ?? 0)
    for (const [group, load] of this.manualLoads) groups.set(group, load)
    const { id, name, incarnation, weight, tags, clientAddress } = this.init
    return {
      origin: id,
      name,
      incarnation,
      sequence: this.sequence,
      status: this.status,
      groups,
      weight,
      tags,
      eventLoopLagMs: this.eventLoopLagMs,
      clientAddress,
      addresses: this.init.addresses()
    }
  }

  /** The record for the next publish: the same, with the next sequence number. */
  next (): MemberRecord {
    this.sequence++
    return this.current()
  }

  private assertRoomFor (group: string): void {
    if (new Set([...this.groupRefs.keys(), ...this.manualLoads.keys(), group]).size > MAX_GROUPS) {
      throw new InvalidOptionError('group', `a node serves at most ${MAX_GROUPS} groups`)
    }
  }
}
