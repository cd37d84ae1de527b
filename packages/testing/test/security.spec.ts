import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import {
  claimsTopic, decodeClaim, decodeProbeRequest, decodeSignedRecord, encodeClaim, encodeProbeResponse, memberRecord, probeProtocol, signRecord, stateTopic
} from '@meshbalancer/core/protocol'
import { generateClusterKey, Libp2pTransport } from '@meshbalancer/gossip'
import { createMeshLibp2p } from '../../gossip/src/node/libp2p.js'
import { converged, NodeProcess } from '../src/node-process.js'

describe('private network key', () => {
  let dir: string
  let nodes: NodeProcess[] = []

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meshbalancer-keys-'))
    writeFileSync(join(dir, 'a.key'), generateClusterKey())
    writeFileSync(join(dir, 'b.key'), generateClusterKey())
  })

  afterEach(async () => {
    await Promise.all(nodes.map(async node => { await node.kill() }))
    nodes = []
  })

  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('keeps a node with another key, or none, out of every view', async () => {
    const key = (name: string): string[] => ['--cluster-key', join(dir, name)]
    const seed = await new NodeProcess('member-1', key('a.key')).ready()
    const join_ = ['--join', seed.address]
    nodes = [
      seed,
      new NodeProcess('member-2', [...join_, ...key('a.key')]),
      new NodeProcess('other-key', [...join_, ...key('b.key')]),
      new NodeProcess('no-key', join_)
    ]
    await Promise.all(nodes.map(async node => await node.ready()))
    const [, member2, otherKey, noKey] = nodes as [NodeProcess, NodeProcess, NodeProcess, NodeProcess]
    // The node with the right key, started at the same moment, gets in: the others had the same chance.
    await converged([seed, member2])
    // Give the outsiders several join retries (one a second), any of which would be followed by an exchange of states.
    await new Promise(resolve => setTimeout(resolve, 3000))
    for (const node of [seed, member2]) {
      expect(node.sees('other-key')).toBeUndefined()
      expect(node.sees('no-key')).toBeUndefined()
    }
    expect(otherKey.view.size).toBe(0)
    expect(noKey.view.size).toBe(0)
  })

  it('refuses a cluster key file that is not a swarm key, naming the option', async () => {
    const bad = join(dir, 'bad.key')
    writeFileSync(bad, 'not a key')
    const node = new NodeProcess('bad', ['--cluster-key', bad])
    nodes = [node]
    expect(await node.exited).toBe(2)
  })
})

describe('records that lie about their origin', () => {
  let honest: NodeProcess[] = []
  let liar: Awaited<ReturnType<typeof createMeshLibp2p>> | undefined

  afterAll(async () => {
    await liar?.stop()
    await Promise.all(honest.map(async node => { await node.kill() }))
  })

  it('are rejected and counted by every honest node, and the impersonated member stays', async () => {
    const seed = await new NodeProcess('honest-1', []).ready()
    honest = [seed, ...await Promise.all(['honest-2', 'honest-3'].map(async name => await new NodeProcess(name, ['--join', seed.address]).ready()))]
    await converged(honest)
    const victim = honest[1]!

    const liarKey = await generateKeyPair('Ed25519')
    liar = await createMeshLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }, liarKey, 'default')
    await liar.start()
    for (const node of honest) await liar.dial(multiaddr(node.joinAddress))
    const topic = stateTopic('default')
    liar.services.pubsub.subscribe(topic)
    // Wait until every honest node counts the liar as a subscriber, so that a publish reaches each directly.
    const deadline = Date.now() + 10_000
    while (liar.services.pubsub.getSubscribers(topic).length < honest.length) {
      if (Date.now() > deadline) throw new Error('the honest nodes never subscribed from the liar’s point of view')
      await new Promise(resolve => setTimeout(resolve, 50))
    }

    // The victim's identity, a newer incarnation, and status left: believed, it would evict the victim everywhere.
    // Signed with the liar's own key: the signature cannot be the victim's, and the gossip message is the liar's.
    const forged = await signRecord(memberRecord({
      origin: victim.id,
      name: victim.name,
      incarnation: victim.incarnation + 1,
      sequence: 1,
      status: 'left'
    }), async payload => await liarKey.sign(payload))
    await liar.services.pubsub.publish(topic, forged)
    await liar.services.pubsub.publish(topic, Uint8Array.from([0xff, 0xff, 0xff, 0xff]))

    const liarId = liar.peerId.toString()
    await Promise.all(honest.filter(node => node !== victim).map(async node => {
      await node.until(() => node.events.some(e => e.event === 'record:reject' && e.reason === 'origin-mismatch' && e.from === liarId), 10_000, 'an origin-mismatch rejection')
      await node.until(() => node.events.some(e => e.event === 'record:reject' && e.reason === 'malformed' && e.from === liarId), 10_000, 'a malformed rejection')
      const stats = await node.ask('stats', 'stats', 5000)
      expect(stats.recordsRejected).toMatchObject({ 'origin-mismatch': 1, malformed: 1 })
      expect(node.sees(victim.name)?.liveness).toBe('alive')
    }))
    // The victim itself rejects the forgery too.
    await victim.until(() => victim.events.some(e => e.event === 'record:reject' && e.reason === 'origin-mismatch'), 10_000, 'the victim rejecting')
  })
})

describe('a member that lies about others', () => {
  let honest: NodeProcess[] = []
  let liar: Awaited<ReturnType<typeof createMeshLibp2p>> | undefined

  afterAll(async () => {
    await liar?.stop()
    await Promise.all(honest.map(async node => { await node.kill() }))
  })

  it('is checked, struck and then refused by every honest node, and no honest member is removed', async () => {
    const seed = await new NodeProcess('honest-1', []).ready()
    honest = [seed, ...await Promise.all(['honest-2', 'honest-3', 'honest-4'].map(async name => await new NodeProcess(name, ['--join', seed.address]).ready()))]
    await converged(honest)

    // A member in every view: it announces a record of its own and acks direct probes on the cluster's probe
    // protocol, as any member does, so that the honest members' own probes keep it alive for as long as the test
    // runs; but it publishes claims that honest members failed, at the version of their record it last heard.
    const liarKey = await generateKeyPair('Ed25519')
    liar = await createMeshLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }, liarKey, 'default')
    await liar.start()
    const liarId = liar.peerId.toString()
    const transport = new Libp2pTransport(liar, { join: [], joinRetryIntervalMs: 1000, targetPeers: 8, logger: silentLogger, privateKey: liarKey })
    transport.handleRequests(probeProtocol('default'), async request => {
      const decoded = decodeProbeRequest(request)
      return decoded.ok && decoded.value.target === undefined ? encodeProbeResponse(true) : undefined
    })
    const pubsub = liar.services.pubsub
    const heard = new Map<string, { incarnation: number, sequence: number }>()
    let sequence = 0
    const incarnation = Date.now()
    const announce = async (): Promise<void> => {
      const record = memberRecord({ origin: liarId, name: 'liar', incarnation, sequence: ++sequence, status: 'active' })
      await pubsub.publish(stateTopic('default'), await signRecord(record, async payload => await liarKey.sign(payload)))
    }
    pubsub.addEventListener('message', event => {
      try {
        if (event.detail.topic === stateTopic('default')) {
          const { record } = decodeSignedRecord(event.detail.data)
          heard.set(record.origin, { incarnation: record.incarnation, sequence: record.sequence })
        } else if (event.detail.topic === claimsTopic('default')) {
          // Suspected by an honest member whose probe failed on a busy machine: it refutes, as any member does.
          const claim = decodeClaim(event.detail.data)
          if (claim.ok && claim.value.subject === liarId) announce().catch(() => {})
        }
      } catch {}
    })
    pubsub.subscribe(stateTopic('default'))
    pubsub.subscribe(claimsTopic('default'))
    for (const node of honest) await liar.dial(multiaddr(node.joinAddress))
    const from = honest.map(node => node.events.length)
    const deadline = Date.now() + 20_000
    while (!honest.every(node => node.sees('liar') !== undefined)) {
      if (Date.now() > deadline) throw new Error('the liar never became a member')
      await announce()
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    // Each honest member publishes a change, which reaches the liar directly: the liar needs every member's current
    // version to lie about it, and an idle member would otherwise publish again only at its next refresh.
    for (const node of honest) node.send('load api 1')
    while (!honest.every(node => heard.has(node.id))) {
      if (Date.now() > deadline) throw new Error(`the liar heard the records of ${heard.size} honest members, not ${honest.length}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }

    // Lies about every honest member, a round a second: 4 claims a second from one claimant, which its bucket at
    // every receiver allows (5 a second), so that only strikes stop them. Each round needs the version each
    // subject has now; a refutation may overtake it (counted stale).
    const lying = Date.now()
    let stats: Array<Record<string, unknown>> = []
    const struck = async (): Promise<boolean> => {
      stats = await Promise.all(honest.map(async node => await node.ask('stats', 'stats', 5000)))
      return stats.every(s => (s.falseClaims as number) >= 2 && (s.claimsRejected as Record<string, number>)['false-claims']! >= 1)
    }
    while (!await struck()) {
      if (Date.now() - lying > 30_000) {
        const counts = honest.map((node, i) => `${node.name}: ${String(stats[i]?.falseClaims)} false claims, refused ${JSON.stringify(stats[i]?.claimsRejected)}, sees the liar ${String(node.sees('liar')?.liveness)}`)
        throw new Error(`the honest nodes never refused the liar:\n${counts.join('\n')}`)
      }
      const round = Date.now()
      for (const node of honest) {
        const version = heard.get(node.id)
        if (version !== undefined) await pubsub.publish(claimsTopic('default'), encodeClaim({ claimant: liarId, subject: node.id, ...version }))
      }
      await new Promise(resolve => setTimeout(resolve, Math.max(0, round + 1000 - Date.now())))
    }
    // Longer than a lone claim's suspicion (6 s): none of the lies removed anyone, then or later.
    await new Promise(resolve => setTimeout(resolve, 7000))
    for (const [i, node] of honest.entries()) {
      const removed = node.events.slice(from[i]).filter(e => e.event === 'member:leave' && e.member?.name !== 'liar')
      expect(removed).toEqual([])
      for (const other of honest) if (other !== node) expect(node.sees(other.name)?.liveness).toBe('alive')
      expect(node.events.slice(from[i]).some(e => e.event === 'claim:reject' && e.reason === 'false-claims' && e.from === liarId)).toBe(true)
    }
  })
})
