import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from '@jest/globals'
import { createCluster, silentLogger } from '@meshbalancer/core'
import { broadcastTopic, encodeBroadcast, memberRecord, recordLimits, signRecord, stateTopic } from '@meshbalancer/core/protocol'
import { until } from '@meshbalancer/core/testing'
import { createNode, Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { BroadcastRejectReason, Cluster } from '@meshbalancer/core'

type Node = Awaited<ReturnType<typeof createMeshLibp2p>>
const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
const CHAT = broadcastTopic('default', 'chat')

function messageId (n: number): Uint8Array {
  const id = new Uint8Array(16)
  new DataView(id.buffer).setUint32(0, n)
  return id
}

describe('application broadcasts over libp2p', () => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => { for (const stop of stops.splice(0)) await stop() })

  it('delivers every message of three members to every member exactly once', async () => {
    const first = await createNode({ name: 'b1', logger: silentLogger })
    stops.push(async () => { await first.stop() })
    const nodes: Cluster[] = [first]
    for (const name of ['b2', 'b3']) {
      const node = await createNode({ name, join: first.self().addresses.map(a => `${a}/p2p/${first.id}`), logger: silentLogger })
      stops.push(async () => { await node.stop() })
      nodes.push(node)
    }
    await until(() => nodes.every(node => node.members().length === 3), 'every member seen by every member', 20_000)
    const received = nodes.map(() => new Map<string, number>())
    const greeted = nodes.map(() => new Set<string>())
    nodes.forEach((node, i) => node.subscribe('chat', message => {
      const text = new TextDecoder().decode(message.data)
      if (text === 'hello') { greeted[i]!.add(message.fromName); return }
      const key = `${message.fromName} ${text}`
      received[i]!.set(key, (received[i]!.get(key) ?? 0) + 1)
    }))
    // Until every member has heard every other on the topic: by then each knows the others' subscriptions.
    const deadline = Date.now() + 20_000
    while (!greeted.every(names => names.size === 3)) {
      if (Date.now() > deadline) throw new Error(`greetings heard: ${greeted.map(names => [...names].join(',')).join(' / ')}`)
      for (const node of nodes) await node.publish('chat', 'hello')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    for (let n = 0; n < 300; n++) {
      await nodes[n % 3]!.publish('chat', `message ${n}`)
      if (n % 30 === 29) await new Promise(resolve => setTimeout(resolve, 50))
    }
    await until(() => received.every(seen => seen.size === 300), 'every message at every member', 20_000)
    await new Promise(resolve => setTimeout(resolve, 500))
    for (const seen of received) {
      expect(seen.size).toBe(300)
      expect([...seen.entries()].filter(([, count]) => count !== 1)).toEqual([])
    }
    for (const node of nodes) {
      expect(Object.values(node.stats().broadcastsRejected).reduce((sum, count) => sum + count, 0)).toBe(0)
    }
  })

  describe('from a hostile member', () => {
    /** An honest node subscribed to `chat`, and the reasons of the broadcasts it refused. */
    async function honest (): Promise<{ cluster: Cluster, libp2p: Node, rejected: BroadcastRejectReason[], delivered: string[] }> {
      const privateKey = await generateKeyPair('Ed25519')
      const libp2p = await createMeshLibp2p(NETWORK, privateKey, 'default')
      const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 1000, targetPeers: 16, logger: silentLogger, privateKey })
      const cluster = await createCluster({ name: 'honest', transport, logger: silentLogger })
      const rejected: BroadcastRejectReason[] = []
      const delivered: string[] = []
      cluster.on('broadcast:reject', reason => { rejected.push(reason) })
      cluster.subscribe('chat', message => { delivered.push(new TextDecoder().decode(message.data)) })
      stops.push(async () => { await cluster.stop() })
      return { cluster, libp2p, rejected, delivered }
    }

    /** A peer that announces a valid record of its own (so it is a member), then publishes what it likes on `chat`. */
    async function attacker (target: { libp2p: Node, cluster: Cluster }): Promise<Node> {
      const key = await generateKeyPair('Ed25519')
      const node = await createMeshLibp2p(NETWORK, key, 'default')
      await node.start()
      let sequence = 0
      const announce = async (): Promise<void> => {
        await node.services.pubsub.publish(stateTopic('default'), await signRecord(memberRecord({
          origin: node.peerId.toString(), name: 'attacker', incarnation: 1, sequence: ++sequence
        }), async payload => await key.sign(payload))).catch(() => {})
      }
      const heartbeat = setInterval(() => { void announce() }, 500)
      stops.push(async () => { clearInterval(heartbeat); await node.stop() })
      await node.dial(multiaddr(target.libp2p.getMultiaddrs()[0]!.toString()))
      node.services.pubsub.subscribe(stateTopic('default'))
      node.services.pubsub.subscribe(CHAT)
      await until(() => node.services.pubsub.getSubscribers(CHAT).length > 0, 'the honest node subscribing', 10_000)
      await announce()
      await until(() => target.cluster.member(node.peerId.toString()) !== undefined, 'the attacker a member', 10_000)
      return node
    }

    it('rejects and counts oversized and malformed messages, and delivers none', async () => {
      const target = await honest()
      const peer = await attacker(target)
      // Larger than a broadcast may be, smaller than gossipsub's own frame limit: the validator sees it.
      await peer.services.pubsub.publish(CHAT, new Uint8Array(20_000))
      await peer.services.pubsub.publish(CHAT, new Uint8Array([0xff, 0xff, 0xff, 0xff]))
      await peer.services.pubsub.publish(CHAT, encodeBroadcast({ topic: 'other', id: messageId(1), data: new Uint8Array(1) }))
      await peer.services.pubsub.publish(CHAT, encodeBroadcast({ topic: 'chat', id: messageId(2), data: new TextEncoder().encode('valid') }))
      await until(() => target.delivered.length === 1, 'the valid message delivered', 10_000)
      expect(target.delivered).toEqual(['valid'])
      expect(target.rejected).toEqual(['too-large', 'malformed', 'topic-mismatch'])
      expect(target.cluster.stats().broadcastsRejected).toMatchObject({ 'too-large': 1, malformed: 1, 'topic-mismatch': 1 })
      expect(recordLimits.MAX_BROADCAST_ENVELOPE_BYTES).toBeLessThan(20_000)
    })

    it('rejects and counts a flood beyond the rate', async () => {
      const target = await honest()
      const peer = await attacker(target)
      const started = Date.now()
      for (let n = 0; n < 600; n++) {
        await peer.services.pubsub.publish(CHAT, encodeBroadcast({ topic: 'chat', id: messageId(n), data: new TextEncoder().encode(String(n)) }))
      }
      await until(() => target.delivered.length + target.rejected.length === 600, 'every message judged', 20_000)
      const seconds = (Date.now() - started) / 1000
      const rejected = target.cluster.stats().broadcastsRejected['rate-limited']
      // A burst of 200 and 100 a second get through; the rest of a flood is refused.
      expect(target.delivered.length).toBeLessThanOrEqual(200 + Math.ceil(100 * seconds) + 1)
      expect(rejected).toBe(600 - target.delivered.length)
      expect(rejected).toBeGreaterThan(0)
      expect(new Set(target.rejected)).toEqual(new Set(['rate-limited']))
    })
  })
})
