/**
 * The member model: what a node says about itself ({@link MemberRecord}), what this node knows about every member
 * ({@link ClusterMember}), and the per-group snapshot that selection algorithms see ({@link Member}).
 */

/** A member's own announcement of its lifecycle. */
export type MemberStatus = 'joining' | 'active' | 'draining' | 'left'

/**
 * A member's self-description as gossiped. Each node writes only its own record; receivers keep the newest per
 * origin (higher incarnation, then higher sequence).
 */
export interface MemberRecord {
  /** The publishing peer's id; equal to the signer of the message that carried the record. */
  readonly origin: string
  /** Human-chosen node name. */
  readonly name: string
  /** Changes on every start of the node; a restart is a new incarnation. */
  readonly incarnation: number
  /** Increases with every record published within one incarnation. */
  readonly sequence: number
  readonly status: MemberStatus
  /** Groups (balancer names, shedding namespaces) the member serves, with its load in each. */
  readonly groups: ReadonlyMap<string, number>
  /** Relative capacity for weight-aware algorithms; 0 means "send nothing new". */
  readonly weight: number
  readonly tags: Readonly<Record<string, string>>
  /** Event-loop delay p99 over the last interval, in milliseconds. */
  readonly eventLoopLagMs: number
  /** Where the member's own clients connect, used for reconnect hints; empty when not set. */
  readonly clientAddress: string
  /** Transport addresses at which peers can reach the member directly. */
  readonly addresses: readonly string[]
}

/** Whether this node currently hears from a member. */
export type Liveness = 'alive' | 'suspect'

/** What this node knows about one member of the cluster, as returned by `cluster.members()`. */
export interface ClusterMember {
  readonly id: string
  readonly name: string
  readonly status: MemberStatus
  /** `suspect` once nothing was heard for `suspectAfterMs`; suspect members are never selected. */
  readonly liveness: Liveness
  readonly incarnation: number
  readonly groups: ReadonlyMap<string, number>
  readonly weight: number
  readonly tags: Readonly<Record<string, string>>
  readonly eventLoopLagMs: number
  readonly clientAddress: string
  readonly addresses: readonly string[]
  /** Round-trip time measured by this node, smoothed; undefined until measured. */
  readonly latencyMs: number | undefined
  /** True for this node's own entry. */
  readonly local: boolean
}

/**
 * A read-only snapshot of one selectable member of a balancer's group, as algorithms see it (**contract**).
 */
export interface Member {
  /** Peer id. */
  readonly id: string
  readonly name: string
  readonly tags: Readonly<Record<string, string>>
  /** The member's gossiped load in this balancer's group. */
  readonly load: number
  /** Relative capacity, default 1. */
  readonly weight: number
  /** Round-trip time measured by this node, smoothed; undefined until known. */
  readonly latencyMs: number | undefined
  readonly status: MemberStatus
  readonly incarnation: number
  /** Where the member's own clients connect; empty when not set. */
  readonly clientAddress: string
  /** True when the member is this node. */
  readonly local: boolean
}
