import { generateKeyPair } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLibp2p } from 'libp2p'
import { createCluster, silentLogger } from '@meshbalancer/core'
import { encodeSignedRecord, recordSigningPayload, stateTopic } from '@meshbalancer/core/protocol'
import { until } from '@meshbalancer/core/testing'
import { createNode, Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import { MemberRecord as WireRecord, Status } from '../../core/src/pb/record.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Cluster, LeaveReason, RecordRejectReason } from '@meshbalancer/core'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

const topic = stateTopic('default')
const GRAYLIST = -80

/**
 * A peer that is not a meshbalancer node: libp2p's own modules with gossipsub's defaults (its own mesh degree, no
 * scoring of its own) and strict signing, publishing records it encodes and signs itself, as another implementation
 * written from docs/PROTOCOL.md would.
 */
class ForeignPeer {
  sequence = 0
  private constructor (readonly libp2p: Libp2p<{ pubsub: GossipSub }>, private readonly privateKey: PrivateKey) {}

  static async start (): Promise<ForeignPeer> {
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createLibp2p({
      privateKey,
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', allowPublishToZeroTopicPeers: true })
      }
    })
    libp2p.services.pubsub.subscribe(topic)
    return new ForeignPeer(libp2p, privateKey)
  }

  get id (): string {
    return this.libp2p.peerId.toString()
  }

  /**
   * Publishes its next record; `fields` override the valid defaults (status ACTIVE, group `api` at load = sequence).
   * `reachedAll` flags it as sent to every member, as a meshbalancer member flags its load records and refreshes
   * when every pair is connected: its receivers deliver it and do not forward it.
   */
  async publish (fields: Partial<WireRecord> = {}, reachedAll = false): Promise<void> {
    const record = WireRecord.encode({
      version: 1,
      origin: this.id,
      name: 'foreign',
      incarnation: 1,
      sequence: ++this.sequence,
      status: Status.ACTIVE,
      groups: [{ name: 'api', load: this.sequence }],
      weight: 1,
      tags: new Map(),
      eventLoopLagMs: 0,
      clientAddress: '',
      addresses: this.libp2p.getMultiaddrs().map(address => address.decapsulateCode(421).toString()),
      ...fields
    })
    const signature = await this.privateKey.sign(recordSigningPayload(record))
    await this.libp2p.services.pubsub.publish(topic, encodeSignedRecord({ record, signature }, reachedAll))
  }
}

// Real libp2p over TCP on 127.0.0.1: three meshbalancer nodes and one peer built from libp2p's own modules.
describe('a foreign peer in a meshbalancer cluster', () => {
  const nodes: Cluster[] = []
  const rejections = new Map<Cluster, Array<{ reason: RecordRejectReason, from: string }>>()
  const departures = new Map<Cluster, Array<{ id: string, reason: LeaveReason, at: number }>>()
  let foreign: ForeignPeer | undefined
  let heartbeat: ReturnType<typeof setInterval> | undefined

  beforeAll(async () => {
    const seed = await createNode({ name: 'n1', logger: silentLogger })
    const join = seed.self().addresses.map(address => `${address}/p2p/${seed.id}`)
    nodes.push(seed, ...await Promise.all(['n2', 'n3'].map(async name => await createNode({ name, join, logger: silentLogger }))))
    for (const node of nodes) {
      const rejected: Array<{ reason: RecordRejectReason, from: string }> = []
      const left: Array<{ id: string, reason: LeaveReason, at: number }> = []
      node.on('record:reject', (reason, from) => { rejected.push({ reason, from }) })
      node.on('member:leave', (member, reason) => { left.push({ id: member.id, reason, at: Date.now() }) })
      rejections.set(node, rejected)
      departures.set(node, left)
    }
    await until(() => nodes.every(node => node.members().length === 3), 'three nodes seeing each other', 20_000)
  })

  afterAll(async () => {
    if (heartbeat !== undefined) clearInterval(heartbeat)
    await foreign?.libp2p.stop()
    await Promise.all(nodes.map(async node => { await node.stop() }))
  })

  it('keeps its standing after one rejected record, so that its LEFT removes it everywhere within a second', async () => {
    foreign = await ForeignPeer.start()
    const peer = foreign
    for (const node of nodes) {
      await peer.libp2p.dial(multiaddr(`${node.self().addresses[0]!}/p2p/${node.id}`))
    }
    await until(() => peer.libp2p.services.pubsub.getSubscribers(topic).length === nodes.length, 'every node subscribed, seen from the foreign peer', 10_000)
    // A record a second, each a load change (load = sequence).
    await peer.publish()
    heartbeat = setInterval(() => { void peer.publish() }, 1000)
    const loadSeen = (node: Cluster): number => node.member(peer.id)?.groups.get('api') ?? 0
    await until(() => nodes.every(node => node.member(peer.id)?.liveness === 'alive' && loadSeen(node) >= 2), 'every node holding the foreign peer\'s second record', 15_000)
    clearInterval(heartbeat)
    heartbeat = undefined

    // One record out of range (weight above 10^6): every node rejects it, and penalises the sender once.
    await peer.publish({ weight: 2_000_000 })
    await until(() => nodes.every(node => rejections.get(node)!.some(r => r.reason === 'out-of-range' && r.from === peer.id)), 'the out-of-range record rejected by every node', 5000)
    for (const node of nodes) expect(node.member(peer.id)?.weight).toBe(1)

    // A second later, when every node has scored the rejection (gossipsub caches scores for up to a second) and
    // where a single rejection used to graylist the sender for about a second.
    await new Promise(resolve => setTimeout(resolve, 1000))
    // Its graceful leave, while its connections stay open: only the record can remove it this soon.
    expect(peer.libp2p.getConnections().length).toBeGreaterThanOrEqual(nodes.length)
    const sentAt = Date.now()
    await peer.publish({ status: Status.LEFT })
    await until(() => nodes.every(node => node.member(peer.id) === undefined), 'the LEFT record applied by every node', 1000)
    for (const node of nodes) {
      const departure = departures.get(node)!.find(d => d.id === peer.id)
      expect(departure?.reason).toBe('left')
      expect(departure!.at - sentAt).toBeLessThan(1000)
    }
  })
})

describe('the score of a foreign peer after one rejected record', () => {
  // Its records forwarded, or delivered only (flagged as sent to all): either way they earn it its standing.
  it.each([['forwarded', false], ['sent to all', true]])('stays above the graylist threshold, and its LEFT is applied (records %s)', async (_, reachedAll) => {
    const network = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createMeshLibp2p(network, privateKey, 'default')
    const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 1000, targetPeers: 16, logger: silentLogger, privateKey })
    const node = await createCluster({ name: 'n1', transport, logger: silentLogger })
    const peer = await ForeignPeer.start()
    try {
      await peer.libp2p.dial(multiaddr(`${node.self().addresses[0]!}/p2p/${node.id}`))
      await until(() => peer.libp2p.services.pubsub.getSubscribers(topic).length === 1, 'the node subscribed', 10_000)
      const loadSeen = (): number => node.member(peer.id)?.groups.get('api') ?? 0
      for (let i = 1; i <= 2; i++) {
        await peer.publish({}, reachedAll)
        await until(() => loadSeen() >= i, `record ${i} applied`, 5000)
        await new Promise(resolve => setTimeout(resolve, 1000))
      }
      expect(node.stats().recordsAcceptedUnforwarded).toBe(reachedAll ? 2 : 0)
      const scoreOf = (): number => (libp2p.services.pubsub as unknown as { getScore(id: string): number }).getScore(peer.id)
      // Its standing, at the topic's cap (10) with two first deliveries (40 points); a few hundredths from time in
      // the mesh without them.
      expect(scoreOf()).toBeGreaterThanOrEqual(5)
      const rejected: RecordRejectReason[] = []
      node.on('record:reject', reason => { rejected.push(reason) })
      await peer.publish({ weight: 2_000_000 })
      await until(() => rejected.includes('out-of-range'), 'the record rejected', 5000)
      // The score gossipsub reads when a message arrives (cached up to a second), through two decays, while the
      // peer sends nothing that would earn it points.
      const scores: number[] = []
      const end = Date.now() + 2500
      while (Date.now() < end) {
        scores.push(scoreOf())
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      expect(Math.min(...scores)).toBeGreaterThanOrEqual(GRAYLIST)
      expect(Math.min(...scores)).toBeLessThan(0)
      await peer.publish({ status: Status.LEFT })
      await until(() => node.member(peer.id) === undefined, 'the LEFT record applied', 1000)
    } finally {
      await peer.libp2p.stop()
      await node.stop()
    }
  })
})
