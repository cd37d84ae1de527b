import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/**
 * How gossipsub scores the peers of a meshbalancer cluster. The library's defaults suit open networks; a cluster
 * differs in two ways, and these parameters follow from them:
 *
 * - Members legitimately share an IP address (several services per host, a NAT, every test on 127.0.0.1), and
 *   admission is the cluster key's job, so the IP-colocation penalty is off. With it on, an eleventh member on one
 *   address made every member from that address score negative and be pruned from the mesh.
 * - Every honest member publishes valid records only, so a single invalid record (forged origin, malformed,
 *   out of range) is proof enough. gossipsub squares the count of invalid messages (P4): n of them cost 100·n²
 *   points, and the count decays ×0.9 a second. One puts the peer below the graylist threshold (−80), where its
 *   messages are ignored, for about 2 s; ten for about 23 s; a peer that keeps sending them stays there.
 *
 * Mesh delivery-rate penalties stay off: how many records a mesh peer forwards depends on the cluster's size and
 * churn, not on honesty. First deliveries and time in the mesh earn a small positive score.
 */
export function clusterScoreParams (stateTopic: string): Partial<PeerScoreParams> {
  const topic: Partial<TopicScoreParams> = {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: 0.9
  }
  return {
    topics: { [stateTopic]: topic as TopicScoreParams },
    IPColocationFactorWeight: 0
  }
}

/** The library's thresholds, stated here so that the penalty above can be read against them. */
export const CLUSTER_SCORE_THRESHOLDS: Partial<PeerScoreThresholds> = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80
}
