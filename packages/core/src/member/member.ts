/**
 * The member model: what a node says about itself ({@link MemberRecord}, declared in record.ts), what this node
 * knows about every member ({@link ClusterMember}), and the per-group snapshot that selection algorithms see
 * ({@link Member}). The latter two are views of the record: a field added to it appears in them without being
 * written out again.
 */
import type { MemberRecord } from './record.js'

export type { MemberRecord, MemberStatus } from './record.js'

/** Whether this node currently hears from a member. */
export type Liveness = 'alive' | 'suspect'

/**
 * What this node knows about one member of the cluster, as returned by `cluster.members()`: its record, without
 * the per-publish sequence and with the origin as `id`, and what this node measured of it.
 */
export interface ClusterMember extends Omit<MemberRecord, 'origin' | 'sequence'> {
  /** The member's peer id (its record's origin). */
  readonly id: string
  /** `suspect` while a failed probe or a claim stands unrefuted; suspect members are never selected. */
  readonly liveness: Liveness
  /** Round-trip time measured by this node, smoothed; undefined until measured. */
  readonly latencyMs: number | undefined
  /** True for this node's own entry. */
  readonly local: boolean
}

/**
 * The properties of a {@link ClusterMember} that a group's {@link Member} leaves out: its groups and namespaces (its
 * entry in the balancer's group becomes `load`), and what only membership and transport use.
 */
export type NotInGroupView = 'groups' | 'shedding' | 'liveness' | 'addresses'

/**
 * A read-only snapshot of one selectable member of a balancer's group, as algorithms see it (**contract**): the
 * member's {@link ClusterMember} entry with its load in this balancer's group.
 */
export interface Member extends Omit<ClusterMember, NotInGroupView> {
  /** The member's gossiped load in this balancer's group. */
  readonly load: number
  /**
   * The member's own event-loop delay over its last interval in milliseconds, as it gossips it: the mean lateness
   * of a timer, that is what a request arriving at a random moment waits (rounded, so that jitter does not cause a
   * record per interval). Time a request waits before the member's handler runs: add
   * it to `latencyMs` (this node's round trip to it) for an estimate of the member's response time.
   */
  readonly eventLoopLagMs: number
}
