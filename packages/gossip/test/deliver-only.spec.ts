import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { TopicMessage, ValidationResult } from '@meshbalancer/core'

const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
const TOPIC = '/meshbalancer-test/deliver-only'

async function transport (): Promise<Libp2pTransport> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createMeshLibp2p(NETWORK, privateKey, 'deliver-only')
  // No join addresses: the dialler never adds the link the test leaves out.
  const t = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey })
  await t.start()
  return t
}

/** Subscribes with a validator whose verdict is the message's text up to its last dash; returns what was delivered. */
function subscribe (t: Libp2pTransport): TopicMessage[] {
  const delivered: TopicMessage[] = []
  t.subscribe(TOPIC, {
    validate: message => new TextDecoder().decode(message.data).replace(/-[^-]*$/, '') as ValidationResult,
    deliver: message => { delivered.push(message) }
  })
  return delivered
}

const texts = (messages: TopicMessage[]): string[] => messages.map(m => new TextDecoder().decode(m.data))

// Three real libp2p nodes in a line, origin — relay — end: the end hears the origin only through the relay's forwarding.
describe('a deliver-only verdict over gossipsub', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.stop() })) })

  it('delivers the message where it was validated and forwards it no further', async () => {
    const [origin, relay, end] = await Promise.all([transport(), transport(), transport()])
    started.push(origin, relay, end)
    await relay.libp2p.dial(origin.libp2p.getMultiaddrs())
    await relay.libp2p.dial(end.libp2p.getMultiaddrs())
    const [, atRelay, atEnd] = [subscribe(origin), subscribe(relay), subscribe(end)]
    await until(() => relay.topicPeers(TOPIC).length === 2 && origin.topicPeers(TOPIC).length === 1 && end.topicPeers(TOPIC).length === 1, 'every link subscribed both ways', 10_000)
    expect(origin.topicPeers(TOPIC)).toEqual([relay.id])
    expect(origin.connectedPeers()).not.toContain(end.id)

    // Forwarding works on this line: an accepted message reaches the end (the mesh may take a heartbeat to form).
    for (let i = 0; atEnd.length === 0; i++) {
      await origin.publish(TOPIC, new TextEncoder().encode(`accept-warmup${i}`))
      await until(() => atEnd.length > 0, 'a first message through the relay', 200).catch(() => {})
      if (i > 50) throw new Error('the relay never forwarded an accepted message')
    }
    atEnd.splice(0)
    atRelay.splice(0)

    for (const text of ['deliver-only-1', 'accept-1', 'accept-2']) await origin.publish(TOPIC, new TextEncoder().encode(text))
    // Barriers: once the end has both accepted messages, published after it, a forwarded copy of the other would be there.
    await until(() => atEnd.length === 2 && atRelay.length === 3, 'the accepted messages at the end, all three at the relay', 10_000)
    expect(texts(atRelay).sort()).toEqual(['accept-1', 'accept-2', 'deliver-only-1'])
    for (const message of atRelay) expect(message).toMatchObject({ from: origin.id, via: origin.id })
    expect(texts(atEnd).sort()).toEqual(['accept-1', 'accept-2'])
    for (const message of atEnd) expect(message).toMatchObject({ from: origin.id, via: relay.id })
  })
})
