import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { TopicMessage } from '@meshbalancer/core'
import type { GossipsubOpts } from '@libp2p/gossipsub'

const TOPIC = '/meshbalancer-test/forward-hold'
const MESSAGES = 20
/**
 * Longer than the default: the four nodes share this process's one thread, so the IDONTWANTs of the three others
 * take several milliseconds to be handled, where between processes a LAN round trip suffices.
 */
const TEST_HOLD_MS = 100

/**
 * A stand-in for a metrics registry that keeps only what gossipsub's counters add up to, by name: gossipsub's own
 * count of the duplicates a node received ('gossipsub_pre_validation_duplicate_total') is read from it.
 */
function countingRegister (counts: Map<string, number>): NonNullable<GossipsubOpts['metricsRegister']> {
  const metric = ({ name }: { name: string }): unknown => new Proxy({}, {
    get: (_target, method) => (...args: unknown[]) => {
      if (method === 'inc') {
        const value = [args[1], args[0]].find((arg): arg is number => typeof arg === 'number') ?? 1
        counts.set(name, (counts.get(name) ?? 0) + value)
      }
      return () => {}
    }
  })
  return { gauge: metric, histogram: metric, avgMinMax: metric } as unknown as NonNullable<GossipsubOpts['metricsRegister']>
}

/** gossipsub's mesh of the topic: on the implementation, not on its exported interface. */
const meshPeers = (m: Member): string[] => (m.transport.libp2p.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(TOPIC)

/**
 * `held` is how many messages the member's transport held just after each delivery, read in a microtask queued by
 * the delivery: the validator sets up the hold right after it delivers, so a delivery that came before its hold
 * (as it must) sees it, and one made after the hold would see none.
 */
interface Member { transport: Libp2pTransport, delivered: TopicMessage[], held: number[], duplicates: () => number }

async function member (forwardHoldMs: number): Promise<Member> {
  const privateKey = await generateKeyPair('Ed25519')
  const counts = new Map<string, number>()
  const network = {
    listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4,
    gossipsub: { metricsRegister: countingRegister(counts), metricsTopicStrToLabel: new Map() }
  }
  const libp2p = await createMeshLibp2p(network, privateKey, 'forward-hold')
  const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey, forwardHoldMs })
  await transport.start()
  const delivered: TopicMessage[] = []
  const held: number[] = []
  transport.subscribe(TOPIC, {
    validate: () => 'accept',
    deliver: message => {
      delivered.push(message)
      queueMicrotask(() => { held.push(transport.forwardsHeld) })
    }
  })
  return { transport, delivered, held, duplicates: () => counts.get('gossipsub_pre_validation_duplicate_total') ?? 0 }
}

// Four real libp2p nodes, every pair connected, each in the others' mesh: the publisher's flood copy reaches all three
// others directly, and each would forward it to the two others.
describe('the forwarding hold', () => {
  const started: Member[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async m => { await m.transport.stop() })) })

  async function cluster (forwardHoldMs: number): Promise<Member[]> {
    const members = await Promise.all([0, 1, 2, 3].map(async () => await member(forwardHoldMs)))
    started.push(...members)
    for (const [i, a] of members.entries()) {
      for (const b of members.slice(i + 1)) await a.transport.libp2p.dial(b.transport.libp2p.getMultiaddrs())
    }
    // Without full meshes nothing would be forwarded, and the first test would pass for want of forwarding.
    await until(() => members.every(m => meshPeers(m).length === 3), 'every node in every mesh', 20_000)
    return members
  }

  /**
   * Publishes MESSAGES from the first member, one at a time as records are (a burst of them would be handled by four
   * nodes in this one process for longer than a hold); resolves once all are delivered everywhere and forwarded.
   */
  async function publishAll (members: Member[]): Promise<void> {
    const [publisher, ...others] = members
    for (let i = 1; i <= MESSAGES; i++) {
      await publisher!.transport.publish(TOPIC, new TextEncoder().encode(`m${i}`))
      await until(() => others.every(m => m.delivered.length === i && m.transport.forwardsHeld === 0), `message ${i} delivered and forwarded`, 10_000)
    }
    // A barrier per link: each member's forwards went out on its gossipsub streams before this message did.
    for (const m of others) await m.transport.publish(TOPIC, new TextEncoder().encode(`barrier-${m.transport.id}`))
    await until(() => members.every(m => m.delivered.length === (m === publisher ? others.length : MESSAGES + others.length - 1)), 'every barrier delivered', 10_000)
  }

  it('sends each member one copy of a message that reached it directly', async () => {
    const members = await cluster(TEST_HOLD_MS)
    await publishAll(members)
    for (const m of members.slice(1)) {
      expect(m.delivered.slice(0, MESSAGES).map(d => d.via)).toEqual(Array(MESSAGES).fill(members[0]!.transport.id))
      // Delivered before its forwarding hold, not after it.
      expect(m.held.slice(0, MESSAGES).every(held => held >= 1)).toBe(true)
    }
    // Without the hold, 2 duplicates of each message at each of the three: 120 (the control below). Here none is
    // expected; a process stalled past the hold lets a forward out before it reads the IDONTWANTs, and each such stall
    // costs up to 6, so up to a quarter of the control's are tolerated.
    const duplicates = members.slice(1).reduce((sum, m) => sum + m.duplicates(), 0)
    expect(duplicates).toBeLessThan(2 * MESSAGES * 3 / 4)
  })

  it('forwards at once with no hold, every mesh peer sending a copy (control)', async () => {
    const members = await cluster(0)
    await publishAll(members)
    expect(members.slice(1).every(m => m.held.slice(0, MESSAGES).every(held => held === 0))).toBe(true)
    await until(() => members.slice(1).reduce((sum, m) => sum + m.duplicates(), 0) >= 2 * MESSAGES * 3, 'two duplicates of each message at each of the three', 10_000)
  })
})
