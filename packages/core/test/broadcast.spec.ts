import { afterEach, describe, expect, it } from '@jest/globals'
import { BroadcastRateLimitedError, InvalidTopicError, MessageTooLargeError, ServiceUnavailableError } from '../src/index.js'
import { broadcastTopic, encodeBroadcast, recordLimits, signRecord, stateTopic } from '../src/protocol.js'
import { Broadcast as WireBroadcast } from '../src/pb/broadcast.js'
import { record, startMesh, startNode } from './fixtures.js'
import type { BroadcastMessage, BroadcastRejectReason, Cluster } from '../src/index.js'
import type { MemoryTransport } from '../src/testing/index.js'
import type { TestMesh } from './fixtures.js'

const text = (message: BroadcastMessage): string => new TextDecoder().decode(message.data)
/** A 16-byte message id numbered `n`. */
function id (n: number): Uint8Array {
  const bytes = new Uint8Array(16)
  new DataView(bytes.buffer).setUint32(0, n)
  return bytes
}

describe('application broadcasts on the in-memory transport', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) if (node.isRunning) await node.stop()
    mesh = undefined
  })

  async function connectedMesh (count: number, init = {}): Promise<TestMesh> {
    mesh = await startMesh(count, init)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === count), 1000)
    return mesh
  }

  it('delivers every message to every subscriber, the publisher included, exactly once', async () => {
    const { clock, nodes } = await connectedMesh(3)
    const received = nodes.map(() => new Map<string, number>())
    nodes.forEach((node, i) => node.subscribe('chat', message => {
      const key = `${message.fromName}:${text(message)}`
      received[i]!.set(key, (received[i]!.get(key) ?? 0) + 1)
    }))
    await clock.advance(2)
    for (let n = 0; n < 300; n++) {
      await nodes[n % 3]!.publish('chat', `message ${n}`)
      await clock.advance(10)
    }
    await clock.advance(10)
    for (const seen of received) {
      expect(seen.size).toBe(300)
      expect([...seen.values()].every(count => count === 1)).toBe(true)
      expect(seen.get('n2:message 1')).toBe(1)
    }
    const stats = nodes[0]!.stats()
    expect(stats.broadcastsPublished).toBe(100)
    expect(stats.broadcastsDelivered).toBe(200)
    expect(Object.values(stats.broadcastsRejected).every(count => count === 0)).toBe(true)
  })

  it('names the origin, and hands the bytes over as published', async () => {
    const { clock, nodes } = await connectedMesh(2)
    const messages: BroadcastMessage[] = []
    nodes[1]!.subscribe('bytes', message => { messages.push(message) })
    await clock.advance(2)
    await nodes[0]!.publish('bytes', new Uint8Array([0, 1, 255]))
    await clock.advance(2)
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({ topic: 'bytes', from: nodes[0]!.id, fromName: 'n1' })
    expect([...messages[0]!.data]).toEqual([0, 1, 255])
    expect(messages[0]!.id).toMatch(/^[0-9a-f]{32}$/)
  })

  it('keeps topics apart from each other, from the state topic and from other clusters', async () => {
    const { clock, network, nodes } = await connectedMesh(2)
    const other = await startNode(network, clock, 'elsewhere', { cluster: 'other' })
    nodes.push(other)
    const heard: string[] = []
    nodes[1]!.subscribe('a', message => { heard.push(`a ${text(message)}`) })
    nodes[1]!.subscribe('b', message => { heard.push(`b ${text(message)}`) })
    other.subscribe('a', message => { heard.push(`other ${text(message)}`) })
    await clock.advance(2)
    await nodes[0]!.publish('a', 'one')
    await nodes[0]!.publish('b', 'two')
    await clock.advance(5)
    expect(heard.sort()).toEqual(['a one', 'b two'])
    expect(broadcastTopic('default', 'state')).not.toBe(stateTopic('default'))
    expect(broadcastTopic('default', 'a')).toBe('/meshbalancer/default/app/a/1')
  })

  it('stops delivering once unsubscribed, and leaves the gossip topic with the last handler', async () => {
    const { clock, network, nodes } = await connectedMesh(2)
    const heard: string[] = []
    const first = nodes[1]!.subscribe('chat', message => { heard.push(`first ${text(message)}`) })
    const second = nodes[1]!.subscribe('chat', message => { heard.push(`second ${text(message)}`) })
    await clock.advance(2)
    await nodes[0]!.publish('chat', '1')
    await clock.advance(2)
    first()
    await nodes[0]!.publish('chat', '2')
    await clock.advance(2)
    second()
    const transport = network.transport(nodes[1]!.id) as MemoryTransport
    expect(transport.isSubscribed(broadcastTopic('default', 'chat'))).toBe(false)
    await nodes[0]!.publish('chat', '3')
    await clock.advance(2)
    expect(heard.sort()).toEqual(['first 1', 'second 1', 'second 2'])
  })

  it('throws a typed error naming a bad topic or an oversized message', async () => {
    const { nodes } = await connectedMesh(1)
    const node = nodes[0]!
    for (const topic of ['', 'a/b', 'with space', 'x'.repeat(65)]) {
      expect(() => node.subscribe(topic, () => {})).toThrow(InvalidTopicError)
      await expect(node.publish(topic, 'x')).rejects.toMatchObject({ code: 'INVALID_TOPIC', topic })
    }
    await expect(node.publish('chat', new Uint8Array(recordLimits.MAX_BROADCAST_BYTES + 1))).rejects.toThrow(MessageTooLargeError)
    await expect(node.publish('chat', new Uint8Array(recordLimits.MAX_BROADCAST_BYTES + 1))).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE', topic: 'chat', bytes: recordLimits.MAX_BROADCAST_BYTES + 1, maxBytes: recordLimits.MAX_BROADCAST_BYTES
    })
    await expect(node.publish('chat', new Uint8Array(recordLimits.MAX_BROADCAST_BYTES))).resolves.toBeUndefined()
    await node.stop()
    await expect(node.publish('chat', 'late')).rejects.toThrow(ServiceUnavailableError)
  })

  it('holds this node to its rate, so that its peers never drop its messages as a flood', async () => {
    const { clock, nodes } = await connectedMesh(2, { maxBroadcastsPerSecond: 20 })
    let delivered = 0
    nodes[1]!.subscribe('chat', () => { delivered++ })
    await clock.advance(2)
    let sent = 0
    let limited: unknown
    for (let n = 0; n < 40 && limited === undefined; n++) {
      try {
        await nodes[0]!.publish('chat', String(n))
        sent++
      } catch (err) { limited = err }
    }
    expect(limited).toBeInstanceOf(BroadcastRateLimitedError)
    expect(sent).toBe(20)
    await clock.advance(100)
    await expect(nodes[0]!.publish('chat', 'after a pause')).resolves.toBeUndefined()
    await clock.advance(2)
    expect(delivered).toBe(21)
    expect(nodes[1]!.stats().broadcastsRejected['rate-limited']).toBe(0)
  })

  describe('from a hostile peer', () => {
    /** A raw transport that announces a member record of its own, then publishes whatever it likes. */
    async function hostile (mesh: TestMesh, name = 'hostile'): Promise<MemoryTransport> {
      const transport = mesh.network.createTransport(name)
      await transport.start()
      await transport.publish(stateTopic('default'), await signRecord(record({ origin: name, name, incarnation: 1, sequence: 1 }), async payload => await transport.sign(payload)))
      await mesh.clock.advanceUntil(() => mesh.nodes[0]!.member(name) !== undefined, 100, 1)
      return transport
    }

    function watch (node: Cluster): { delivered: string[], rejected: BroadcastRejectReason[] } {
      const seen = { delivered: [] as string[], rejected: [] as BroadcastRejectReason[] }
      node.subscribe('chat', message => { seen.delivered.push(text(message)) })
      node.on('broadcast:reject', (reason, from, topic) => { if (from === 'hostile' && topic === 'chat') seen.rejected.push(reason) })
      return seen
    }

    const chat = broadcastTopic('default', 'chat')
    const envelope = (fields: Partial<WireBroadcast>): Uint8Array => WireBroadcast.encode({
      version: 1, topic: 'chat', id: id(1) as Uint8Array<ArrayBuffer>, data: new TextEncoder().encode('hi'), ...fields
    })

    it('rejects and counts oversized, malformed and misaddressed messages, and delivers none', async () => {
      const mesh = await connectedMesh(1)
      const seen = watch(mesh.nodes[0]!)
      const peer = await hostile(mesh)
      await peer.publish(chat, new Uint8Array(recordLimits.MAX_BROADCAST_ENVELOPE_BYTES + 1))
      await peer.publish(chat, envelope({ data: new Uint8Array(recordLimits.MAX_BROADCAST_BYTES + 1) }))
      await peer.publish(chat, new Uint8Array([0xff, 0xff, 0xff]))
      await peer.publish(chat, envelope({ id: new Uint8Array(3) }))
      await peer.publish(chat, envelope({ topic: 'other', id: id(2) as Uint8Array<ArrayBuffer> }))
      await peer.publish(chat, envelope({ topic: 'bad/topic', id: id(3) as Uint8Array<ArrayBuffer> }))
      await peer.publish(chat, envelope({ version: 2, id: id(4) as Uint8Array<ArrayBuffer> }))
      await mesh.clock.advance(5)
      expect(seen.delivered).toEqual([])
      expect(seen.rejected).toEqual(['too-large', 'too-large', 'malformed', 'malformed', 'topic-mismatch', 'malformed', 'unsupported-version'])
      expect(mesh.nodes[0]!.stats().broadcastsRejected).toMatchObject({ 'too-large': 2, malformed: 3, 'topic-mismatch': 1, 'unsupported-version': 1 })
    })

    it('delivers a message republished with the same id once', async () => {
      const mesh = await connectedMesh(1)
      const seen = watch(mesh.nodes[0]!)
      const peer = await hostile(mesh)
      const bytes = encodeBroadcast({ topic: 'chat', id: id(7), data: new TextEncoder().encode('once') })
      for (let i = 0; i < 3; i++) await peer.publish(chat, bytes)
      await mesh.clock.advance(5)
      expect(seen.delivered).toEqual(['once'])
      expect(seen.rejected).toEqual(['duplicate', 'duplicate'])
    })

    it('rejects a flood beyond the rate and its burst, and counts it', async () => {
      const mesh = await connectedMesh(1)
      const seen = watch(mesh.nodes[0]!)
      const peer = await hostile(mesh)
      // 1000 messages in a quarter of a second: the burst of 200 and 25 more get through, the rest is refused.
      for (let n = 0; n < 1000; n++) {
        await peer.publish(chat, encodeBroadcast({ topic: 'chat', id: id(n), data: new TextEncoder().encode(String(n)) }))
        await mesh.clock.advance(0.25)
      }
      await mesh.clock.advance(5)
      const rejected = mesh.nodes[0]!.stats().broadcastsRejected['rate-limited']
      expect(rejected).toBeGreaterThan(700)
      expect(rejected).toBeLessThan(800)
      expect(seen.delivered).toHaveLength(1000 - rejected)
    })

    it('ignores messages from peers that are not members, and rejects those off the allow-list', async () => {
      const mesh = await connectedMesh(1, { allowPeers: ['id-n1', 'hostile'] })
      const seen = watch(mesh.nodes[0]!)
      // On the allow-list, but its record never came: not a member.
      const stranger = mesh.network.createTransport('hostile')
      await stranger.start()
      await stranger.publish(chat, encodeBroadcast({ topic: 'chat', id: id(1), data: new Uint8Array(1) }))
      // Off the allow-list, its record is refused too; its broadcast is refused for the list alone.
      const unlisted = mesh.network.createTransport('unlisted')
      await unlisted.start()
      await unlisted.publish(stateTopic('default'), await signRecord(record({ origin: 'unlisted', name: 'unlisted', incarnation: 1, sequence: 1 }), async payload => await unlisted.sign(payload)))
      await unlisted.publish(chat, encodeBroadcast({ topic: 'chat', id: id(2), data: new Uint8Array(1) }))
      await mesh.clock.advance(5)
      expect(seen.delivered).toEqual([])
      expect(mesh.nodes[0]!.stats().broadcastsRejected).toMatchObject({ 'not-member': 1, 'not-allowed': 1 })
      expect(mesh.nodes[0]!.member('unlisted')).toBeUndefined()
    })
  })
})
