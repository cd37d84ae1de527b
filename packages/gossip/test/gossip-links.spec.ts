import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { until } from '@meshbalancer/core/testing'
import { MAX_GOSSIP_FRAME_BYTES } from '../src/node/constants.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { GossipSub, GossipsubMessage } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'

const TOPIC = 'gossip-links-test'
const network = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }

/** gossipsub's streams per peer: public fields of its class, not of the interface the package exports. */
type GossipsubWithStreams = GossipSub & {
  streamsOutbound: Map<string, { push(data: Uint8Array): void, pushPrefixed(data: Uint8Array): void }>
  streamsInbound: Map<string, object>
}
type Node = Libp2p<{ pubsub: GossipsubWithStreams }>

async function startNode (): Promise<Node> {
  const node = await createMeshLibp2p({ ...network }, await generateKeyPair('Ed25519'), 'default') as unknown as Node
  await node.start()
  node.services.pubsub.subscribe(TOPIC)
  return node
}

/** An unsigned LEB128 varint, as gossipsub's frames are length-prefixed. */
function varint (value: number): Uint8Array {
  const bytes: number[] = []
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80)
  bytes.push(value)
  return Uint8Array.from(bytes)
}

/** Both ends' gossipsub hold a stream each way and know the other's subscription. */
function linked (from: Node, to: Node): boolean {
  const pubsub = from.services.pubsub
  const id = to.peerId.toString()
  return pubsub.streamsOutbound.has(id) && pubsub.streamsInbound.has(id) && pubsub.getSubscribers(TOPIC).some(peer => peer.equals(to.peerId))
}

/**
 * Publishes from `from` every 100 ms until `to` receives one of these messages: a fresh message, not one gossip
 * could have carried before the link was tested.
 */
async function delivers (from: Node, to: Node, timeoutMs = 10_000): Promise<void> {
  const marker = `after-${Math.random()}`
  let received = false
  const onMessage = (event: CustomEvent<GossipsubMessage>): void => {
    if (new TextDecoder().decode(event.detail.msg.data).startsWith(marker)) received = true
  }
  to.services.pubsub.addEventListener('gossipsub:message', onMessage)
  try {
    for (let i = 0; !received; i++) {
      await from.services.pubsub.publish(TOPIC, new TextEncoder().encode(`${marker}-${i}`))
      await until(() => received, 'delivery', 100).catch(() => {})
      if (i * 100 > timeoutMs) throw new Error(`no message from ${from.peerId.toString()} delivered within ${timeoutMs} ms`)
    }
  } finally {
    to.services.pubsub.removeEventListener('gossipsub:message', onMessage)
  }
}

describe('gossipsub links between two connected nodes', () => {
  let a: Node
  let b: Node

  beforeEach(async () => {
    [a, b] = await Promise.all([startNode(), startNode()])
    await a.dial(b.getMultiaddrs()[0]!)
    await until(() => linked(a, b) && linked(b, a), 'gossipsub attached both ways', 10_000)
  })

  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()])
  })

  it('reads an IWANT answer that batches 200 records in one frame, and keeps the link', async () => {
    // Messages of the size of a member record, every one in the sender's message cache.
    const ids: string[] = []
    const onMessage = (event: CustomEvent<GossipsubMessage>): void => { ids.push(event.detail.msgId) }
    b.services.pubsub.addEventListener('gossipsub:message', onMessage)
    for (let i = 0; i < 200; i++) await a.services.pubsub.publish(TOPIC, new Uint8Array(400).fill(i))
    await until(() => ids.length === 200, 'the 200 messages delivered', 10_000)
    b.services.pubsub.removeEventListener('gossipsub:message', onMessage)
    const inbound = b.services.pubsub.streamsInbound.get(a.peerId.toString())

    // A peer asks for all of them at once, as one that just joined asks for the gossip window it was offered.
    const answered = new Promise<number>((resolve, reject) => {
      setTimeout(() => { reject(new Error('no answer batching the messages within 10 s')) }, 10_000).unref()
      const gossipsub = b.services.pubsub as unknown as { handleReceivedRpc(from: unknown, rpc: RPC): Promise<void> }
      const handle = gossipsub.handleReceivedRpc.bind(gossipsub)
      gossipsub.handleReceivedRpc = async (from, rpc) => {
        if (rpc.messages.length > 1) resolve(RPC.encode(rpc).byteLength)
        await handle(from, rpc)
      }
    })
    const iwant = RPC.encode({ subscriptions: [], messages: [], control: { ihave: [], iwant: [{ messageIDs: ids.map(id => Buffer.from(id, 'base64')) }], graft: [], prune: [], idontwant: [] } })
    b.services.pubsub.streamsOutbound.get(a.peerId.toString())!.push(iwant)
    const frameBytes = await answered

    // Far over the 32 KiB the frames were once bounded to, within the bound.
    expect(frameBytes).toBeGreaterThan(80_000)
    expect(frameBytes).toBeLessThan(MAX_GOSSIP_FRAME_BYTES)
    expect(b.services.pubsub.streamsInbound.get(a.peerId.toString())).toBe(inbound)
    await delivers(a, b)
    await delivers(b, a)
  })

  it('attaches a peer again whose stream broke on a frame over the bound, while the connection stays open', async () => {
    const connection = b.getConnections(a.peerId)[0]!
    const inbound = b.services.pubsub.streamsInbound.get(a.peerId.toString())
    // The length prefix of a frame one byte over the bound: the reader refuses it before reading the rest.
    a.services.pubsub.streamsOutbound.get(b.peerId.toString())!.pushPrefixed(varint(MAX_GOSSIP_FRAME_BYTES + 1))

    await until(() => b.services.pubsub.streamsInbound.get(a.peerId.toString()) !== inbound && linked(a, b) && linked(b, a), 'both ends attached again with new streams', 10_000)
    expect(b.getConnections(a.peerId)).toEqual([connection])
    await delivers(a, b)
    await delivers(b, a)
  })
})
