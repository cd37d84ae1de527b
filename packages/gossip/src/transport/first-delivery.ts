import type { GossipSub } from '@libp2p/gossipsub'
import type { Logger } from '@meshbalancer/core'

/**
 * gossipsub's peer score, as far as the transport drives it. `score` is public on gossipsub 17's class and absent
 * from the interface its factory returns; {@link firstDeliveryCredit} checks that it is there, and a test
 * (foreign-peer.spec.ts) checks that the credit keeps a peer's standing.
 */
interface ScoredPubsub {
  score: { markFirstMessageDelivery: (from: string, topic: string) => void }
}

/**
 * Credits a peer with a valid message it was first to deliver on a topic, as gossipsub does for a message its
 * validator accepts (P2, docs/PROTOCOL.md 2.2). The transport calls it for `deliver-only` messages, which gossipsub
 * ignores, and so credits nothing for. Topics without score parameters are left alone by gossipsub itself.
 */
export function firstDeliveryCredit (pubsub: GossipSub, logger: Logger): (from: string, topic: string) => void {
  const score = (pubsub as unknown as Partial<ScoredPubsub>).score
  if (typeof score?.markFirstMessageDelivery !== 'function') {
    logger.warn('gossipsub has no score.markFirstMessageDelivery (another version?): ' +
      'records delivered without forwarding earn their origin no standing')
    return () => {}
  }
  return (from, topic) => { score.markFirstMessageDelivery(from, topic) }
}
