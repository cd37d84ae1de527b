import type { GossipSub } from '@libp2p/gossipsub'

/**
 * What {@link directTopicPeers} reads of gossipsub beyond its exported interface, which declares none of it: the
 * implementation's options, direct peers, outbound streams, peer scores and mesh. Each part is optional, so that
 * another implementation (or a future release without them) makes the answer smaller, never wrong.
 */
interface PublishRouting {
  readonly opts?: { readonly floodPublish?: boolean, readonly scoreThresholds?: { readonly publishThreshold?: number } }
  readonly direct?: ReadonlySet<string>
  readonly streamsOutbound?: ReadonlyMap<string, unknown>
  getScore?(peer: string): number
  getMeshPeers?(topic: string): string[]
}

/**
 * The peers that a publish on `topic` goes to directly, as gossipsub selects them: with flood publishing (on in the
 * recommended node), every subscribed peer that is a direct peer or scores at least the publish threshold; without
 * it, the topic's mesh, a part of those the publish reaches. Of these, only the peers with an open outbound stream:
 * gossipsub drops a message for a peer without one (its stream closed, or not yet opened) instead of sending it.
 * Empty when the implementation shows neither.
 */
export function directTopicPeers (pubsub: GossipSub, topic: string): string[] {
  const routing = pubsub as unknown as PublishRouting
  const streams = routing.streamsOutbound
  if (streams === undefined) return []
  const threshold = routing.opts?.scoreThresholds?.publishThreshold
  const score = routing.getScore?.bind(pubsub)
  let selected: string[]
  if (routing.opts?.floodPublish !== true || threshold === undefined || score === undefined) {
    selected = routing.getMeshPeers?.call(pubsub, topic) ?? []
  } else {
    const direct = routing.direct
    selected = pubsub.getSubscribers(topic).map(peer => peer.toString())
      .filter(peer => direct?.has(peer) === true || score(peer) >= threshold)
  }
  return selected.filter(peer => streams.has(peer))
}
