import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { memberRecord, signRecord, syncProtocol, decodeSignedRecord, encodeSync, decodeSync, encodeSignedRecord, recordSigningPayload, encodeRecord } from '@meshbalancer/core/protocol'
import { defaults, silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { createNode, Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { Cluster, SyncRejectReason } from '@meshbalancer/core'

const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }

const joinOf = (node: Cluster): string[] => node.self().addresses.map(address => `${address}/p2p/${node.id}`)

// Real libp2p over TCP on 127.0.0.1.
describe('push-pull between real nodes', () => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => { for (const stop of stops.splice(0).reverse()) await stop() })

  async function node (name: string, join: string[] = []): Promise<Cluster> {
    const started = await createNode({ name, join, logger: silentLogger })
    stops.push(async () => { await started.stop() })
    return started
  }

  it('gives a joiner every member through one exchange, each record verified as its origin’s', async () => {
    const seed = await node('n1')
    const others = [await node('n2', joinOf(seed)), await node('n3', joinOf(seed))]
    const startedAt = Date.now()
    const nodes = [seed, ...others]
    await until(() => nodes.every(n => n.members().length === 3), 'three nodes seeing each other', 20_000)
    // A member that started less than NEWCOMER_ANNOUNCE_MS ago publishes its record again when a peer subscribes:
    // the joiner could then have every record by gossip before the exchange's arrive. Past that window, only the
    // exchange gives the joiner the members (their refreshes are 30 s or more away).
    const quiet = startedAt + defaults.NEWCOMER_ANNOUNCE_MS + 500 - Date.now()
    if (quiet > 0) await new Promise(resolve => setTimeout(resolve, quiet))
    const joiner = await node('n4', joinOf(seed))
    nodes.push(joiner)
    await until(() => nodes.every(n => n.members().length === 4), 'four nodes seeing each other', 10_000)
    const exchanged = nodes.reduce((sum, n) => sum + n.stats().syncExchanges + n.stats().syncServed, 0)
    expect(exchanged).toBeGreaterThan(0)
    // Relayed records were checked against their origins' Ed25519 keys, and every one held.
    expect(nodes.reduce((sum, n) => sum + n.stats().syncRecordsApplied, 0)).toBeGreaterThan(0)
    for (const n of nodes) expect(Object.values(n.stats().syncRejected).every(count => count === 0)).toBe(true)
  })

  it('refuses a relayed record that its origin did not sign, and applies one it did', async () => {
    const target = await node('target')
    const rejected: SyncRejectReason[] = []
    target.on('sync:reject', reason => { rejected.push(reason) })
    // A peer that speaks the protocol through a bare transport, relaying what it likes.
    const relayKey = await generateKeyPair('Ed25519')
    const libp2p = await createMeshLibp2p(NETWORK, relayKey, 'default')
    const relay = new Libp2pTransport(libp2p, { join: joinOf(target), joinRetryIntervalMs: 200, targetPeers: 16, logger: silentLogger, privateKey: relayKey })
    await relay.start()
    stops.push(async () => { await relay.stop() })
    // A stranger's genuine record, and one of another identity signed by the relay's key.
    const strangerKey = await generateKeyPair('Ed25519')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    const stranger = peerIdFromPrivateKey(strangerKey).toString()
    const genuine = decodeSignedRecord(await signRecord(memberRecord({ origin: stranger, name: 'stranger', incarnation: 1, sequence: 1 }), async p => await strangerKey.sign(p))).signed
    const impersonated = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const forgedBytes = encodeRecord(memberRecord({ origin: impersonated, name: 'impersonated', incarnation: 1, sequence: 1 }))
    const forged = { record: forgedBytes, signature: await relayKey.sign(recordSigningPayload(forgedBytes)) }
    await until(() => relay.connectedPeers().includes(target.id), 'the relay connected', 10_000)
    const answer = await relay.request(target.id, syncProtocol('default'), encodeSync([forged, genuine]), { signal: AbortSignal.timeout(10_000), expectResponse: true })
    // The answer is the target's state: its own record, signed with its key.
    const state = decodeSync(answer!)
    expect(state.ok).toBe(true)
    const own = state.ok ? state.records[0]! : undefined
    expect(decodeSignedRecord(encodeSignedRecord(own!)).record.origin).toBe(target.id)
    await expect(relay.verify(target.id, recordSigningPayload(own!.record), own!.signature)).resolves.toBe(true)
    await until(() => rejected.includes('bad-signature') && target.member(stranger) !== undefined, 'the forgery refused and the genuine record applied', 5000)
    expect(target.member(impersonated)).toBeUndefined()
    expect(target.stats().syncRejected['bad-signature']).toBe(1)
  })
})
