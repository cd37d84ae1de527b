import type { GossipSub } from '@libp2p/gossipsub'

/**
 * What {@link directTopicPeers} reads of gossipsub beyond its exported interface, which declares none of it: the
 * implementation's options, peer scores and mesh. Each part is optional, so that another implementation (or a
 * future release without them) makes the answer smaller, never wrong.
 */
interface PublishRouting {
  readonly opts?: { readonly floodPublish?: boolean, readonly scoreThresholds?: { readonly publishThreshold?: number } }
  getScore?(peer: string): number
  getMeshPeers?(topic: string): string[]
}

/**
 * The peers that a publish on `topic` goes to directly, as gossipsub selects them: with flood publishing (on in the
 * recommended node), every subscribed peer whose score is at least the publish threshold; without it, the topic's
 * mesh, a part of those the publish reaches. Empty when the implementation shows neither.
 */
export function directTopicPeers (pubsub: GossipSub, topic: string): string[] {
  const routing = pubsub as unknown as PublishRouting
  const threshold = routing.opts?.scoreThresholds?.publishThreshold
  const score = routing.getScore?.bind(pubsub)
  if (routing.opts?.floodPublish !== true || threshold === undefined || score === undefined) return routing.getMeshPeers?.call(pubsub, topic) ?? []
  return pubsub.getSubscribers(topic).map(peer => peer.toString()).filter(peer => score(peer) >= threshold)
}
