import type { BroadcastRejectReason, ClaimRejectReason, RecordRejectReason, SyncRejectReason } from '../errors.js'
import type { CallRecord, PickExplanation } from '../balancer/observer.js'
import type { MemberTableEvents } from '../member/table.js'
import type { ServeRecord } from '../rpc/server.js'
import type { ShedRound } from '../shedder/shedder.js'
import type { BroadcastStats } from './broadcast.js'
import type { StateTopicStats } from './state-topic.js'
import type { SyncStats } from './push-pull.js'
import type { DetectorStats } from '../membership/detector.js'

/** Events of a {@link Cluster}: membership changes, refused records, shedding rounds, picks and calls. */
export interface ClusterEvents extends MemberTableEvents {
  'record:reject': [reason: RecordRejectReason, from: string]
  /** A push-pull exchange, or a record relayed in one, was refused (counted in `stats().syncRejected`). */
  'sync:reject': [reason: SyncRejectReason, from: string]
  /** A received claim about a member was refused (counted in `stats().claimsRejected`). */
  'claim:reject': [reason: ClaimRejectReason, from: string]
  /** A received application broadcast was refused (counted in `stats().broadcastsRejected`). */
  'broadcast:reject': [reason: BroadcastRejectReason, from: string, topic: string]
  /** A shedding round ran, with everything it decided from (or why it was skipped). */
  'shed:round': [round: ShedRound]
  /** One pick in `explainOnePickIn`, with the candidates and the chosen member. */
  'balancer:pick': [explanation: PickExplanation]
  /** A call or cast this node sent (through a balancer, or to a named member) settled. */
  'rpc:call': [record: CallRecord]
  /** This node served a call or cast. */
  'rpc:serve': [record: ServeRecord]
  /** The cluster stopped (after `stop()`). */
  'cluster:stop': []
}

/**
 * Counters of what the cluster received and sent: member records, push-pull exchanges, application broadcasts, and
 * failure detection.
 */
export type ClusterStats = StateTopicStats & SyncStats & BroadcastStats & DetectorStats
