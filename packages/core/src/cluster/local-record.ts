import { InvalidOptionError } from '../errors.js'
import { MAX_EVENT_LOOP_LAG_MS, MAX_GROUPS, MAX_SHEDDING } from '../codec/limits.js'
import { RECORD_FIELDS } from '../member/record.js'
import type { MemberRecord, MemberStatus } from '../member/record.js'
import type { ClusterInit } from './init.js'

/** The record's fields that are options of the cluster of the same name (name, weight, tags, …), fixed for a run. */
export type OptionFields = Pick<MemberRecord, keyof MemberRecord & keyof ClusterInit>

export interface LocalRecordInit {
  id: string
  /** The resolved cluster options: every record field that is also an option is taken from here. */
  options: OptionFields
  status: MemberStatus
  /** This node's transport addresses, read at every build (they are known once the transport listens). */
  addresses: () => string[]
}

/**
 * What this node says about itself: its status, the groups it serves and its load in each, and its counts in the
 * namespaces it sheds in. A group's load is the application's (`setLoad`) when it set one, else the calls this
 * node is serving for the group; those are only counted here, and enter the record when it is next built.
 */
export class LocalRecord {
  status: MemberStatus
  private sequence = 0
  private eventLoopLagMs = 0
  private readonly options: OptionFields
  /** Groups joined by balancers, counted so that two balancers of one group leave it only when both close. */
  private readonly groupRefs = new Map<string, number>()
  private readonly manualLoads = new Map<string, number>()
  /** Calls in flight per served group; an entry exists only while it is above 0. */
  private readonly serving = new Map<string, number>()
  private readonly shedCounts = new Map<string, number>()

  constructor (private readonly init: LocalRecordInit) {
    this.status = init.status
    this.options = pickOptionFields(init.options)
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

  /**
   * Counts a call that starts serving `group`, when the node serves it (a balancer of this node joined it); any
   * other group name, whatever a caller sends, is not counted and takes no memory. True when counted: then, and
   * only then, {@link LocalRecord.endServing} must follow.
   */
  startServing (group: string): boolean {
    if (!this.groupRefs.has(group)) return false
    this.serving.set(group, (this.serving.get(group) ?? 0) + 1)
    return true
  }

  /** Ends a call that {@link LocalRecord.startServing} counted. */
  endServing (group: string): void {
    const calls = this.serving.get(group) ?? 0
    if (calls > 1) this.serving.set(group, calls - 1)
    else this.serving.delete(group)
  }

  /** @internal The groups with calls in flight, and how many; bounded by the groups this node serves. */
  get inFlight (): ReadonlyMap<string, number> {
    return this.serving
  }

  /** Sets this node's count in shedding namespace `namespace`; true when it changed. */
  setShedCount (namespace: string, count: number): boolean {
    if (!this.shedCounts.has(namespace) && this.shedCounts.size >= MAX_SHEDDING) {
      throw new InvalidOptionError('namespace', `a node sheds in at most ${MAX_SHEDDING} namespaces`)
    }
    if (this.shedCounts.get(namespace) === count) return false
    this.shedCounts.set(namespace, count)
    return true
  }

  /** Takes `namespace` out of the record, when its shedder stops; true when it was in. */
  stopShedding (namespace: string): boolean {
    return this.shedCounts.delete(namespace)
  }

  /** Records the event loop's delay, in steps of 10 ms: finer changes are noise that every member would process. */
  setEventLoopLag (ms: number): void {
    this.eventLoopLagMs = Math.min(MAX_EVENT_LOOP_LAG_MS, Math.max(0, Math.round(ms / 10) * 10))
  }

  /** The record as it stands, with the sequence of the last publish and the calls in flight at this moment. */
  current (): MemberRecord {
    const groups = new Map<string, number>()
    for (const group of this.groupRefs.keys()) groups.set(group, this.serving.get(group) ?? 0)
    for (const [group, load] of this.manualLoads) groups.set(group, load)
    return {
      ...this.options,
      origin: this.init.id,
      sequence: this.sequence,
      status: this.status,
      groups,
      eventLoopLagMs: this.eventLoopLagMs,
      addresses: this.init.addresses(),
      shedding: new Map(this.shedCounts)
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

/** The option fields of the record, out of the (much larger) resolved options. */
function pickOptionFields (options: OptionFields): OptionFields {
  const picked: Record<string, unknown> = {}
  for (const name of Object.keys(RECORD_FIELDS)) {
    if (Object.hasOwn(options, name)) picked[name] = (options as unknown as Record<string, unknown>)[name]
  }
  return picked as OptionFields
}
