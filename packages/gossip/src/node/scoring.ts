import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/**
 * Points a peer loses for invalid messages it forwarded: 100·n², where n counts them and decays ×0.9 a second.
 * More than the graylist threshold on its own, so that one invalid record from a peer that has shown nothing else
 * graylists it.
 */
export const INVALID_MESSAGE_WEIGHT = -100
export const INVALID_MESSAGE_DECAY = 0.9
/**
 * Points a peer earns for each valid record it delivered first: 20 per record, up to 5 counted (100 points), the
 * count decaying ×0.998 a second (a half-life of 346 s). Records go out on change and on a refresh, not once a
 * second, and the refresh slows as the cluster grows (30 s up to 5 members, × (n − 1) / 4 beyond: 67.5 s at 10,
 * 142.5 s at 20), so the standing must outlast the gap between two of a quiet member's records. A peer's own
 * records reach its direct peers first (flood publishing): with one record every R seconds the count just before
 * the next is min(5, 1 / (1 − 0.998^R)) × 0.998^R: 94 points at R = 30 s, 87 at 67.5 s, 61 at 142.5 s, so one
 * rejection (−100) still leaves such a member above the graylist threshold (−80). The standing falls below the
 * 20 points that takes at R ≈ 346 s (a refresh of that mean interval comes at about 47 members), below 17 (what
 * the most time in mesh, 3 points, makes up for) at R ≈ 388 s (about 53 members); from there on an idle member
 * that sent nothing but its refreshes can be graylisted by one rejection, for about a second. Records it forwards
 * first, and every change of content it publishes, add to that. Records flagged as sent to all (load records, and
 * refreshes where every pair is connected: docs/PROTOCOL.md, 2.5) count too: gossipsub ignores them, and the
 * transport credits them itself (first-delivery.ts). At gossipsub's usual ×0.9 a second, the count of a member
 * quiet for 30 s would be 0.04, and one rejection would graylist it.
 */
export const FIRST_DELIVERY_WEIGHT = 20
export const FIRST_DELIVERY_CAP = 5
export const FIRST_DELIVERY_DECAY = 0.998

/**
 * How gossipsub scores the peers of a meshbalancer cluster (docs/PROTOCOL.md, "Peer scoring"). The library's
 * defaults suit open networks; a cluster differs in three ways, and these parameters follow from them:
 *
 * - Members legitimately share an IP address (several services per host, a NAT, every test on 127.0.0.1), and
 *   admission is the cluster key's job, so the IP-colocation penalty is off. With it on, an eleventh member on one
 *   address made every member from that address score negative and be pruned from the mesh.
 * - A record is rejected for proof of a fault (forged origin, malformed, out of range, too large, a flood), but an
 *   honest member may still send one now and then: another implementation that reads a bound differently, or a
 *   burst above the rate limit. A single rejection must not graylist such a member, or the records it sends next,
 *   its graceful `LEFT` among them, are dropped by every node for a second or two. So the penalty is weighed against standing: a peer
 *   earns 20 points for each valid record it delivers first (at most 100, decaying), and loses 100·n² for n
 *   invalid ones. One rejection leaves a member that has published two records or more above the graylist
 *   threshold (−80), however quiet it has been since within a refresh interval; a second within seconds, or a
 *   first from a peer that never sent a valid record, puts it below. A flood of invalid records costs millions of points and keeps the peer graylisted while it lasts.
 * - Mesh delivery-rate penalties stay off: how many records a mesh peer forwards depends on the cluster's size and
 *   churn, not on honesty.
 *
 * The topic's positive score is capped at 10 (gossipsub's default cap, applied after the penalty), so the
 * standing a peer earned only ever offsets penalties and never makes it stand out in the mesh.
 */
export function clusterScoreParams (stateTopic: string, claimsTopic?: string): Partial<PeerScoreParams> {
  const topic: Partial<TopicScoreParams> = {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: FIRST_DELIVERY_WEIGHT,
    firstMessageDeliveriesDecay: FIRST_DELIVERY_DECAY,
    firstMessageDeliveriesCap: FIRST_DELIVERY_CAP,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY
  }
  // Claims are rare and earn no standing; a refused one (forged claimant, malformed, a flood, or from a peer with
  // live strikes) costs what a refused record costs.
  const claims: Partial<TopicScoreParams> = {
    ...topic,
    firstMessageDeliveriesWeight: 0,
    timeInMeshWeight: 0
  }
  return {
    topics: { [stateTopic]: topic as TopicScoreParams, ...(claimsTopic === undefined ? {} : { [claimsTopic]: claims as TopicScoreParams }) },
    topicScoreCap: 10,
    decayInterval: 1000,
    decayToZero: 0.1,
    IPColocationFactorWeight: 0,
    // The transport adds its penalties for false claims (transport/penalties.ts) at their face value.
    appSpecificWeight: 1
  }
}

/**
 * The thresholds the scores are read against: the library's, stated here so that the penalties above can be read
 * against them, except that peer exchange is never accepted. Members learn each other's addresses from records;
 * with standing worth up to 100 points, gossipsub's default (10) would let any peer that published a few valid
 * records make this node dial addresses of its choosing when it prunes us.
 */
export const CLUSTER_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: Number.MAX_SAFE_INTEGER,
  opportunisticGraftThreshold: 20
}
