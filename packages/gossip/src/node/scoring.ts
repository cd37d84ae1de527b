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
 * count decaying ×0.9 a second. A member publishes a record at least every heartbeat (1 s by default), first to
 * its direct peers, so two of them make up for one rejection and a member in steady state has the full 100.
 */
export const FIRST_DELIVERY_WEIGHT = 20
export const FIRST_DELIVERY_CAP = 5
export const FIRST_DELIVERY_DECAY = 0.9

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
 *   threshold (−80); a second within seconds, or a first from a peer that never sent a valid record, puts it
 *   below. A flood of invalid records costs millions of points and keeps the peer graylisted while it lasts.
 * - Mesh delivery-rate penalties stay off: how many records a mesh peer forwards depends on the cluster's size and
 *   churn, not on honesty.
 *
 * The topic's positive score is capped at 10 (gossipsub's default cap, applied after the penalty), so the
 * standing a peer earned only ever offsets penalties and never makes it stand out in the mesh.
 */
export function clusterScoreParams (stateTopic: string): Partial<PeerScoreParams> {
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
  return {
    topics: { [stateTopic]: topic as TopicScoreParams },
    topicScoreCap: 10,
    decayInterval: 1000,
    decayToZero: 0.1,
    IPColocationFactorWeight: 0
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
