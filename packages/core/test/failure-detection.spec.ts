import { afterEach, describe, expect, it } from '@jest/globals'
import { claimsTopic, decodeProbeResponse, decodeSignedRecord, encodeClaim, encodeProbeRequest, encodeProbeResponse, memberRecord, probeProtocol, signRecord, stateTopic } from '../src/protocol.js'
import { defaults } from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import { FAST, FAST_SUSPICION, startMesh, startNode } from './fixtures.js'
import type { Cluster, MemberRecord } from '../src/index.js'
import type { MemoryTransport } from '../src/testing/index.js'
import type { TestMesh } from './fixtures.js'

/**
 * A member that lies: a bare transport that announces a record of its own (so that it is a member in every view),
 * answers direct probes as any running member does, and publishes claims that honest members failed, at the
 * version of their record it last heard.
 */
class Liar {
  readonly heard = new Map<string, MemberRecord>()
  private sequence = 0

  constructor (readonly transport: MemoryTransport) {}

  async start (): Promise<void> {
    await this.transport.start()
    this.transport.handleRequests(probeProtocol('default'), async () => encodeProbeResponse(true))
    this.transport.subscribe(stateTopic('default'), {
      validate: () => 'accept',
      deliver: message => { const { record } = decodeSignedRecord(message.data); this.heard.set(record.origin, record) }
    })
    await this.announce()
  }

  async announce (): Promise<void> {
    this.sequence++
    await this.transport.publish(stateTopic('default'), await signRecord(memberRecord({ origin: this.transport.id, name: 'liar', incarnation: 1, sequence: this.sequence, status: 'active' }), async payload => await this.transport.sign(payload)))
  }

  /** Claims that `subject` failed, at the version of its record the liar holds. */
  async accuse (subject: string): Promise<void> {
    const record = this.heard.get(subject)!
    await this.transport.publish(claimsTopic('default'), encodeClaim({ claimant: this.transport.id, subject, incarnation: record.incarnation, sequence: record.sequence }))
  }
}

describe('failure detection on the in-memory transport', () => {
  let mesh: TestMesh | undefined
  const extra: Cluster[] = []

  afterEach(async () => {
    for (const node of [...(mesh?.nodes ?? []), ...extra.splice(0)]) await node.stop()
    mesh = undefined
  })

  it('ignores and scores down a member that lies about honest members, and removes none of them', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    const liar = new Liar(network.createTransport('id-liar'))
    await liar.start()
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 6) && liar.heard.size === 5, 1000)
    const removed: string[] = []
    for (const node of nodes) node.on('member:leave', member => { removed.push(`${node.name}: ${member.name}`) })

    // A lie is believed long enough to be checked: every other member probes the subject, reaches it, and holds
    // the claim against the liar; the subject, healthy and running all along, refutes at once and holds it too.
    await liar.accuse(nodes[0]!.id)
    await clock.advance(20)
    expect(nodes.slice(1).every(node => node.member(nodes[0]!.id)?.liveness === 'alive')).toBe(true)
    expect(nodes[0]!.stats()).toMatchObject({ refutations: 1, localHealth: 0 })
    await liar.accuse(nodes[1]!.id)
    await clock.advance(20)
    for (const node of nodes) {
      expect(node.stats().falseClaims).toBe(2)
      expect(network.transport(node.id)!.penalties).toEqual([{ peer: liar.transport.id, reason: 'false-claims' }])
    }
    expect(nodes[1]!.stats().localHealth).toBe(0)
    // From then on its claims are refused before anyone acts on them, for as long as it keeps lying.
    const suspicions: string[] = []
    for (const node of nodes) node.on('member:suspect', member => { suspicions.push(`${node.name}: ${member.name}`) })
    for (let round = 0; round < 20; round++) {
      await liar.announce()
      for (const node of nodes) await liar.accuse(node.id)
      await clock.advance(FAST_SUSPICION.maxMs / 2)
    }
    await clock.advance(2 * FAST_SUSPICION.maxMs)
    expect(suspicions).toEqual([])
    expect(removed).toEqual([])
    for (const node of nodes) {
      expect(node.members().length).toBe(6)
      expect(node.stats().claimsRejected['false-claims'] + node.stats().claimsRejected['rate-limited']).toBeGreaterThanOrEqual(20)
    }
  })

  it('suspects a paused member and no other, and restores it when it resumes and refutes', async () => {
    const clock = new ManualClock(1_000_000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    const nodes: Cluster[] = []
    for (let i = 1; i <= 4; i++) nodes.push(await startNode(network, clock, `n${i}`))
    // The paused node runs on a clock of its own, which stops while it is paused, as a SIGSTOPped process's does.
    const own = new ManualClock(1_000_000)
    const paused = await startNode(network, own, 'n5')
    mesh = { clock, network, nodes: [...nodes, paused] }
    const advance = async (ms: number, running = true): Promise<void> => {
      for (let t = 0; t < ms; t += 1) {
        await clock.advance(1)
        if (running) await own.advance(clock.now() - own.now())
      }
    }
    while (![...nodes, paused].every(node => node.members().length === 5)) await advance(10)
    const suspected: string[] = []
    for (const node of [...nodes, paused]) node.on('member:suspect', member => { suspected.push(`${node.name}: ${member.name}`) })
    const removed: string[] = []
    for (const node of nodes) node.on('member:leave', member => { removed.push(member.name) })

    network.pause(paused.id)
    let pausedFor = 0
    while (!nodes.every(node => node.member(paused.id)?.liveness === 'suspect')) {
      await advance(5, false)
      pausedFor += 5
      expect(pausedFor).toBeLessThan(2 * 4 * FAST.probeIntervalMs + 200)
    }
    // Still paused while every member's own check of the first claim fails (a direct and an indirect probe), so
    // that they confirm it; then resumed before the confirmed suspicion runs out. Its clock has moved on meanwhile
    // (its timers are late), and it reads the claims about itself and refutes them.
    await advance(2 * FAST.probeTimeoutMs + 10, false)
    pausedFor += 2 * FAST.probeTimeoutMs + 10
    own.jump(clock.now() - own.now())
    network.resume(paused.id)
    while (!nodes.every(node => node.member(paused.id)?.liveness === 'alive')) {
      await advance(1)
      expect(clock.now() - own.now()).toBe(0)
      pausedFor += 1
      expect(pausedFor).toBeLessThan(2 * 4 * FAST.probeIntervalMs + FAST_SUSPICION.minMs)
    }
    await advance(2 * FAST_SUSPICION.maxMs)
    expect(removed).toEqual([])
    expect(suspected.every(line => line.endsWith(': n5'))).toBe(true)
    expect(paused.stats().refutations).toBeGreaterThan(0)
    // Honest claims: held against nobody, and the paused node's health score rose instead.
    expect(nodes.every(node => node.stats().falseClaims === 0)).toBe(true)
    expect(paused.stats().falseClaims).toBe(0)
    expect(paused.members().every(member => member.liveness === 'alive')).toBe(true)
  })

  it('keeps a member another one cannot reach directly, through the indirect probes of the others', async () => {
    mesh = await startMesh(4)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 4), 1000)
    const [a, b] = nodes as [Cluster, Cluster]
    // The link between a and b is too slow for a probe: a's pings of b time out; the others reach b at once.
    network.setDelay((from, to) => (from === a.id && to === b.id) || (from === b.id && to === a.id) ? 5000 : 1)
    const suspicions: string[] = []
    for (const node of nodes) node.on('member:suspect', member => { suspicions.push(`${node.name}: ${member.name}`) })
    await clock.advance(20 * FAST.probeIntervalMs)
    expect(suspicions).toEqual([])
    expect(a.stats().indirectProbesSent).toBeGreaterThan(0)
    expect(nodes.slice(2).reduce((served, node) => served + node.stats().indirectProbesServed, 0)).toBeGreaterThan(0)
  })

  it('suspects nobody falsely with a lossy member, which probes of others still reach', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    network.setPeerLoss(nodes[4]!.id, 0.05)
    const removed: string[] = []
    for (const node of nodes) node.on('member:leave', member => { removed.push(`${node.name}: ${member.name}`) })
    await clock.advance(300 * FAST.probeIntervalMs)
    expect(removed).toEqual([])
    const failed = nodes.reduce((sum, node) => sum + node.stats().probesFailed, 0)
    const sent = nodes.reduce((sum, node) => sum + node.stats().probesSent, 0)
    expect(sent).toBeGreaterThan(1000)
    expect(failed).toBeLessThanOrEqual(2)
  })

  it('refuses claims and probe requests that break the rules, each counted by reason', async () => {
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    const [n1, n2] = nodes as [Cluster, Cluster]
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const stranger = network.createTransport('stranger')
    await stranger.start()
    const version = { incarnation: 1, sequence: 1 }
    const claim = (claimant: string, subject: string, v = version): Uint8Array => encodeClaim({ claimant, subject, ...v })
    await stranger.publish(claimsTopic('default'), claim('stranger', n2.id))
    await stranger.publish(claimsTopic('default'), claim(n2.id, n1.id))
    await network.transport(n2.id)!.publish(claimsTopic('default'), claim(n2.id, 'nobody'))
    await network.transport(n2.id)!.publish(claimsTopic('default'), claim(n2.id, n2.id))
    await network.transport(n2.id)!.publish(claimsTopic('default'), claim(n2.id, n1.id, { incarnation: 1, sequence: 0 }))
    await network.transport(n2.id)!.publish(claimsTopic('default'), claim(n2.id, n1.id, { incarnation: 1, sequence: 1_000_000 }))
    await stranger.publish(claimsTopic('default'), new Uint8Array([0xff, 1]))
    const ask = async (from: MemoryTransport, target: string): Promise<Uint8Array | undefined> => {
      const asked = from.request(n1.id, probeProtocol('default'), encodeProbeRequest({ target, timeoutMs: 50 }), { signal: AbortSignal.timeout(60_000), expectResponse: true })
      const settled = asked.then(response => response, () => undefined)
      await clock.advance(60)
      return await settled
    }
    expect(await ask(stranger, n2.id)).toBeUndefined()
    expect(await ask(network.transport(n2.id)!, 'nobody')).toBeUndefined()
    expect(await ask(network.transport(n2.id)!, n2.id)).toBeUndefined()
    // A member asking about a member is served: ack while the target answers, nack once it does not.
    const n3 = await startNode(network, clock, 'n3')
    extra.push(n3)
    await clock.advanceUntil(() => n1.members().length === 3, 1000)
    expect(decodeProbeResponse((await ask(network.transport(n2.id)!, n3.id))!)).toBe(true)
    network.pause(n3.id)
    expect(decodeProbeResponse((await ask(network.transport(n2.id)!, n3.id))!)).toBe(false)
    network.resume(n3.id)
    // A requester beyond 10 a second (20 in a burst) is refused.
    const flood = Array.from({ length: 40 }, () => network.transport(n2.id)!.request(n1.id, probeProtocol('default'), encodeProbeRequest({ target: n3.id, timeoutMs: 50 }), { signal: AbortSignal.timeout(60_000), expectResponse: true }).then(() => 'ok', () => 'refused'))
    await clock.advance(60)
    expect((await Promise.all(flood)).filter(result => result === 'refused').length).toBeGreaterThanOrEqual(40 - 20)
    await clock.advance(5)
    const stats = n1.stats()
    expect(stats.claimsRejected).toMatchObject({
      'unknown-claimant': 1, 'claimant-mismatch': 1, 'unknown-subject': 1, malformed: 2, stale: 1, ahead: 1
    })
    expect(stats.claimsAccepted).toBe(0)
    expect(stats.probeRequestsRejected).toMatchObject({ 'unknown-requester': 1, 'unknown-target': 2 })
    expect(stats.probeRequestsRejected['rate-limited']).toBeGreaterThanOrEqual(20)
    expect(n1.member(n2.id)?.liveness).toBe('alive')
  })

  it('costs each node one probe per interval when all is well, whatever the cluster\'s size', async () => {
    for (const size of [5, 20]) {
      mesh = await startMesh(size)
      const { clock, nodes } = mesh
      await clock.advanceUntil(() => nodes.every(node => node.members().length === size), 2000)
      const before = nodes.map(node => node.stats().probesSent)
      await clock.advance(50 * FAST.probeIntervalMs)
      for (const [i, node] of nodes.entries()) {
        const stats = node.stats()
        expect(stats.probesSent - before[i]!).toBeGreaterThanOrEqual(49)
        expect(stats.probesSent - before[i]!).toBeLessThanOrEqual(51)
        expect([stats.probesFailed, stats.indirectProbesSent, stats.claimsPublished, stats.claimsAccepted]).toEqual([0, 0, 0, 0])
      }
      for (const node of nodes) await node.stop()
      mesh = undefined
    }
  })

  it('checks a refutation with a probe: the last record of a crashed member, still on its way, does not save it', async () => {
    mesh = await startMesh(3)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), 1000)
    const [n1, , n3] = nodes as [Cluster, Cluster, Cluster]
    const events: Array<[string, number]> = []
    for (const event of ['member:suspect', 'member:alive'] as const) n1.on(event, member => { if (member.id === n3.id) events.push([event, clock.now()]) })
    n1.on('member:leave', (member, reason) => { if (member.id === n3.id) events.push([`member:leave ${reason}`, clock.now()]) })
    // n3's last record takes 30 ms to reach n1, and n3 crashes a millisecond after sending it.
    network.setDelay((from, to) => from === n3.id && to === n1.id ? 30 : 1)
    n3.setLoad('api', 5)
    await clock.advance(1)
    await network.transport(n3.id)!.stop()
    await clock.advanceUntil(() => n1.member(n3.id) === undefined, FAST_SUSPICION.maxMs + 100, 1)
    expect(events.map(([event]) => event)).toEqual(['member:suspect', 'member:alive', 'member:suspect', 'member:leave dead'])
    // Suspected again at once, by a probe of its own, not at n3's next turn in the schedule.
    expect(events[2]![1] - events[1]![1]).toBeLessThanOrEqual(5)
  })

  it('removes a member that stopped answering, after a suspicion nobody refuted, and lets it rejoin with a newer record', async () => {
    mesh = await startMesh(3)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), 1000)
    const [, , n3] = nodes as [Cluster, Cluster, Cluster]
    network.partition([n3.id], [nodes[0]!.id, nodes[1]!.id])
    await clock.advanceUntil(() => nodes.slice(0, 2).every(node => node.member(n3.id) === undefined), 4 * FAST.probeIntervalMs + FAST_SUSPICION.maxMs)
    network.heal()
    // Back by the push-pull exchange that the healed peers' subscriptions start within NEWCOMER_EXCHANGE_DELAY_MS.
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), defaults.NEWCOMER_EXCHANGE_DELAY_MS + 20)
  })
})
