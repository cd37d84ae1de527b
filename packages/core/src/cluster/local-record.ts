import { InvalidOptionError } from '../errors.js'
import { MAX_EVENT_LOOP_LAG_MS, MAX_GROUPS, MAX_SHEDDING } from '../codec/limits.js'
import { RECORD_FIELDS } from '../member/record.js'
import type { MemberRecord, MemberStatus } from '../member/record.js'
import { significantLag, significantLoad } from './load-change.js'
import { DEFAULT_LOAD_CHANGE_RULE } from './constants.js'
import type { ClusterInit } from './init.js'
import type { LoadChangeRule } from './load-change.js'
import type { RpcServerInit } from '../rpc/server.js'

/**
 * What a change of the local record means for publishing: nothing changed (`none`), a change of content (published
 * at once, coalesced), a significant change of load (published within the load budget), or a change of load below
 * the significance rule (`quiet`: this node's own view shows it at once; peers see it with the next publish).
 */
export type RecordChange = 'none' | 'quiet' | 'content' | 'load'

/** The record's fields that are options of the cluster of the same name (name, weight, tags, …), fixed for a run. */
export type OptionFields = Pick<MemberRecord, keyof MemberRecord & keyof ClusterInit>

export interface LocalRecordInit {
  id: string
  /** The resolved cluster options: every record field that is also an option is taken from here. */
  options: OptionFields
  status: MemberStatus
  /** This node's transport addresses, read at every build (they are known once the transport listens). */
  addresses: () => string[]
  /** When a load change is significant. @default the cluster's defaults */
  rule?: LoadChangeRule
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
  /** The record of the last publish: loads are judged against it. */
  private published: MemberRecord | undefined
  private readonly rule: LoadChangeRule

  constructor (private readonly init: LocalRecordInit) {
    this.status = init.status
    this.options = pickOptionFields(init.options)
    this.rule = init.rule ?? DEFAULT_LOAD_CHANGE_RULE
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

  /**
   * Sets the application's load in `group` (joining it): `content` when the node was not in the group, `load` when
   * the load moved significantly from the published one, `quiet` when it moved less, `none` when it is the same.
   */
  setLoad (group: string, load: number): RecordChange {
    const joins = !this.manualLoads.has(group) && !this.groupRefs.has(group)
    if (joins) this.assertRoomFor(group)
    if (this.manualLoads.get(group) === load) return 'none'
    this.manualLoads.set(group, load)
    if (joins) return 'content'
    return this.groupChange(group, load) === 'load' ? 'load' : 'quiet'
  }

  /**
   * After a call of `group` started or ended: `load` when the calls in flight moved significantly from the
   * published load of the group (and the application sets no load of its own there), else `none`. O(1).
   */
  servingChange (group: string): RecordChange {
    if (this.manualLoads.has(group) || !this.groupRefs.has(group)) return 'none'
    return this.groupChange(group, this.serving.get(group) ?? 0)
  }

  private groupChange (group: string, load: number): RecordChange {
    const published = this.published?.groups.get(group)
    // Not yet published in this group: the join itself is a pending change of content.
    if (published === undefined) return 'none'
    return significantLoad(this.rule, load, published) ? 'load' : 'none'
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

  /**
   * The RPC server's hooks that count the calls this node serves as its load. `publish` runs only when a count
   * moved significantly from the published load (an O(1) check, for every call); this node's own view takes the
   * count with that publish, so that a served call never rebuilds it.
   */
  servingHooks (publish: () => void): Pick<RpcServerInit, 'onCallStart' | 'onCallEnd'> {
    return {
      onCallStart: group => {
        const counted = this.startServing(group)
        if (counted && this.servingChange(group) === 'load') publish()
        return counted
      },
      onCallEnd: group => {
        this.endServing(group)
        if (this.servingChange(group) === 'load') publish()
      }
    }
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

  /**
   * Sets this node's count in shedding namespace `namespace`: `content` for a new namespace, `load` for any change
   * of the count (shedders compare counts exactly, so no change is too small), `none` when it is the same.
   */
  setShedCount (namespace: string, count: number): RecordChange {
    const added = !this.shedCounts.has(namespace)
    if (added && this.shedCounts.size >= MAX_SHEDDING) {
      throw new InvalidOptionError('namespace', `a node sheds in at most ${MAX_SHEDDING} namespaces`)
    }
    if (this.shedCounts.get(namespace) === count) return 'none'
    this.shedCounts.set(namespace, count)
    if (added) return 'content'
    return this.published?.shedding.get(namespace) === count ? 'none' : 'load'
  }

  /** Takes `namespace` out of the record, when its shedder stops; true when it was in. */
  stopShedding (namespace: string): boolean {
    return this.shedCounts.delete(namespace)
  }

  /**
   * Records the event loop's delay, in steps of 10 ms: finer changes are noise that every member would process.
   * `load` when it moved significantly from the published lag (by the lag's own rule), else `none`.
   */
  setEventLoopLag (ms: number): RecordChange {
    this.eventLoopLagMs = Math.min(MAX_EVENT_LOOP_LAG_MS, Math.max(0, Math.round(ms / 10) * 10))
    const published = this.published?.eventLoopLagMs
    return published !== undefined && significantLag(this.rule, this.eventLoopLagMs, published) ? 'load' : 'none'
  }

  /**
   * True when the transport's addresses differ from those last published (a listener added or gone, an address
   * observed): a change of content, which nothing else would announce.
   */
  addressesChanged (): boolean {
    const published = this.published?.addresses
    if (published === undefined) return false
    const now = this.init.addresses()
    return now.length !== published.length || now.some((address, i) => address !== published[i])
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

  /** The record of the last publish; undefined before the first. */
  get lastPublished (): MemberRecord | undefined {
    return this.published
  }

  /** The record for the next publish: the same, with the next sequence number. Loads are judged against it from now. */
  next (): MemberRecord {
    this.sequence++
    this.published = this.current()
    return this.published
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
