import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from '@jest/globals'
import { createCluster, silentLogger } from '@meshbalancer/core'
import { encodeSignedRecord, memberRecord, signRecord, stateTopic } from '@meshbalancer/core/protocol'
import { until } from '@meshbalancer/core/testing'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import { MemberRecord as WireRecord, Status } from '../../core/src/pb/record.js'
import type { Cluster, RecordRejectReason } from '@meshbalancer/core'

type Node = Awaited<ReturnType<typeof createMeshLibp2p>>
const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
const GRAYLIST = -80
const topic = stateTopic('default')

/** An honest node whose libp2p we keep, to read the scores gossipsub gives its peers. */
async function honest (allowPeers?: string[]): Promise<{ cluster: Cluster, libp2p: Node, rejected: RecordRejectReason[] }> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createMeshLibp2p(NETWORK, privateKey, 'default', allowPeers)
  const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 1000, targetPeers: 16, logger: silentLogger, privateKey })
  const cluster = await createCluster({ name: 'honest', transport, logger: silentLogger, ...(allowPeers === undefined ? {} : { allowPeers }) })
  const rejected: RecordRejectReason[] = []
  cluster.on('record:reject', reason => { rejected.push(reason) })
  return { cluster, libp2p, rejected }
}

/** A peer speaking the protocol, with nothing stopping it from lying. */
async function attacker (target: Node): Promise<Node> {
  const node = await createMeshLibp2p(NETWORK, await generateKeyPair('Ed25519'), 'default')
  await node.start()
  await node.dial(multiaddr(`${target.getMultiaddrs()[0]!.toString()}`))
  node.services.pubsub.subscribe(topic)
  await until(() => node.services.pubsub.getSubscribers(topic).length > 0, 'the honest node subscribing', 10_000)
  return node
}

const scoreOf = (node: Node, peer: Node): number => (node.services.pubsub as unknown as { getScore(id: string): number }).getScore(peer.peerId.toString())

/** A wire record as the records topic carries it, with a signature of the right size that nobody made. */
function forgedRecord (origin: string, fields: Partial<WireRecord> = {}): Uint8Array {
  const record = WireRecord.encode({
    version: 1, origin, name: 'x', incarnation: 1, sequence: 1, status: Status.ACTIVE, groups: [], weight: 1,
    tags: new Map(), eventLoopLagMs: 0, clientAddress: '', addresses: [], ...fields
  })
  return encodeSignedRecord({ record, signature: new Uint8Array(64).fill(9) })
}

describe('hostile peers over libp2p', () => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => { for (const stop of stops.splice(0)) await stop() })

  it('scores down a peer that claims another identity, below the graylist threshold', async () => {
    const victim = await honest()
    stops.push(async () => { await victim.cluster.stop() })
    const liar = await attacker(victim.libp2p)
    stops.push(async () => { await liar.stop() })
    await liar.services.pubsub.publish(topic, forgedRecord(victim.cluster.id, { name: 'impostor' }))
    await until(() => victim.rejected.includes('origin-mismatch'), 'the forgery rejected', 10_000)
    await until(() => scoreOf(victim.libp2p, liar) < GRAYLIST, 'the liar graylisted', 10_000)
  })

  it('scores down a peer that sends an oversized record', async () => {
    const target = await honest()
    stops.push(async () => { await target.cluster.stop() })
    const sender = await attacker(target.libp2p)
    stops.push(async () => { await sender.stop() })
    await sender.services.pubsub.publish(topic, forgedRecord(sender.peerId.toString(), { clientAddress: 'x'.repeat(20_000) }))
    await until(() => target.rejected.includes('too-large'), 'the oversized record rejected', 10_000)
    await until(() => scoreOf(target.libp2p, sender) < GRAYLIST, 'the sender graylisted', 10_000)
    expect(target.cluster.members().map(m => m.id)).not.toContain(sender.peerId.toString())
  })

  it('scores down a peer that floods records of its own', async () => {
    const target = await honest()
    stops.push(async () => { await target.cluster.stop() })
    const flooder = await attacker(target.libp2p)
    stops.push(async () => { await flooder.stop() })
    for (let sequence = 1; sequence <= 300; sequence++) {
      await flooder.services.pubsub.publish(topic, await signRecord(memberRecord({
        origin: flooder.peerId.toString(), name: 'flood', incarnation: 1, sequence
      }), () => new Uint8Array(64).fill(9)))
    }
    await until(() => target.rejected.includes('rate-limited'), 'the flood rejected', 10_000)
    await until(() => scoreOf(target.libp2p, flooder) < GRAYLIST, 'the flooder graylisted', 10_000)
    expect(target.cluster.stats().recordsRejected['rate-limited']).toBeGreaterThan(200)
  })

  it('refuses connections from peers not on the allow-list', async () => {
    const friendKey = await generateKeyPair('Ed25519')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const guarded = await honest([peerIdFromPrivateKey(friendKey).toString()])
    stops.push(async () => { await guarded.cluster.stop() })
    const stranger = await createMeshLibp2p(NETWORK, await generateKeyPair('Ed25519'), 'default')
    await stranger.start()
    stops.push(async () => { await stranger.stop() })
    // The stranger's side may finish its handshake; the guarded side closes the connection once it knows who it is.
    await stranger.dial(multiaddr(guarded.libp2p.getMultiaddrs()[0]!.toString())).catch(() => {})
    const friend = await createMeshLibp2p(NETWORK, friendKey, 'default')
    await friend.start()
    stops.push(async () => { await friend.stop() })
    await friend.dial(multiaddr(guarded.libp2p.getMultiaddrs()[0]!.toString()))
    await until(() => stranger.getConnections().length === 0, 'the stranger disconnected', 10_000)
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(guarded.libp2p.getPeers().map(p => p.toString())).toEqual([friend.peerId.toString()])
    expect(stranger.getConnections()).toHaveLength(0)
  })
})
