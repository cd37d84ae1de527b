import { describe, expect, it } from '@jest/globals'
import { directTopicPeers } from '../src/transport/flood-peers.js'
import type { GossipSub } from '@libp2p/gossipsub'

const TOPIC = 'records'

interface Routing {
  floodPublish?: boolean
  subscribers?: string[]
  mesh?: string[]
  direct?: string[]
  scores?: Record<string, number>
  /** Peers with an open outbound stream; undefined: the implementation shows none. */
  streams?: string[]
}

/** The parts of gossipsub that directTopicPeers reads, as gossipsub 17 holds them. */
function gossipsub (routing: Routing): GossipSub {
  const scores = routing.scores ?? {}
  return {
    opts: { floodPublish: routing.floodPublish ?? true, scoreThresholds: { publishThreshold: -50 } },
    direct: new Set(routing.direct ?? []),
    streamsOutbound: routing.streams === undefined ? undefined : new Map(routing.streams.map(peer => [peer, {}])),
    getScore: (peer: string) => scores[peer] ?? 0,
    getMeshPeers: (topic: string) => topic === TOPIC ? routing.mesh ?? [] : [],
    getSubscribers: (topic: string) => (topic === TOPIC ? routing.subscribers ?? [] : []).map(peer => ({ toString: () => peer }))
  } as unknown as GossipSub
}

describe('directTopicPeers', () => {
  it('names, with flood publishing, the subscribers at or above the publish threshold that have an outbound stream', () => {
    const pubsub = gossipsub({
      subscribers: ['a', 'b', 'c', 'd'],
      scores: { a: 0, b: -50, c: -51, d: 10 },
      streams: ['a', 'b', 'c']
    })
    // c scores below the threshold: gossipsub does not publish to it. d has no stream: gossipsub drops its copy.
    expect(directTopicPeers(pubsub, TOPIC)).toEqual(['a', 'b'])
    expect(directTopicPeers(pubsub, 'other')).toEqual([])
  })

  it('names a direct peer whatever its score, as gossipsub publishes to it', () => {
    const pubsub = gossipsub({ subscribers: ['a', 'b'], direct: ['a'], scores: { a: -90, b: -90 }, streams: ['a', 'b'] })
    expect(directTopicPeers(pubsub, TOPIC)).toEqual(['a'])
  })

  it('names only the mesh peers with an outbound stream without flood publishing', () => {
    const pubsub = gossipsub({ floodPublish: false, subscribers: ['a', 'b', 'c'], mesh: ['a', 'b'], streams: ['b', 'c'] })
    expect(directTopicPeers(pubsub, TOPIC)).toEqual(['b'])
  })

  it('names nobody when the implementation does not show its outbound streams', () => {
    const pubsub = gossipsub({ subscribers: ['a', 'b'], mesh: ['a'] })
    expect(directTopicPeers(pubsub, TOPIC)).toEqual([])
  })
})
