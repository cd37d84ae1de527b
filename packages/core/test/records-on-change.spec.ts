import { afterEach, describe, expect, it } from '@jest/globals'
import { first } from './algorithms.js'
import { record, startMesh, startNode } from './fixtures.js'
import { NEWCOMER_ANNOUNCE_MS } from '../src/cluster/constants.js'
import { StateTopic } from '../src/cluster/state-topic.js'
import { encodeRecord, encodeSignedRecord } from '../src/protocol.js'
import { ManualClock } from '../src/testing/index.js'
import type { Cluster } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

/** Records accepted by every node but `except`, summed. */
const acceptedBy = (nodes: readonly Cluster[]): number => nodes.reduce((sum, node) => sum + node.stats().recordsAccepted, 0)

describe('records gossiped on change', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) if (node.isRunning) await node.stop()
    mesh = undefined
  })

  it('publishes nothing while idle but the jittered refresh', async () => {
    mesh = await startMesh(4, { refreshIntervalMs: 10_000 })
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 4), 1000)
    const published = nodes.map(node => node.stats().recordsPublished)
    await clock.advance(60_000)
    for (const [i, node] of nodes.entries()) {
      // 60 s of refreshes every 7.5 to 12.5 s.
      const refreshes = node.stats().recordsPublished - published[i]!
      expect(refreshes).toBeGreaterThanOrEqual(4)
      expect(refreshes).toBeLessThanOrEqual(8)
    }
    for (const node of nodes) expect(node.members().length).toBe(4)
  })

  it('publishes a group load only when it moved by max(loadChangeMin, loadChangeRatio × published)', async () => {
    mesh = await startMesh(2, { loadChangeMin: 5, loadChangeRatio: 0.1 })
    const { clock, nodes } = mesh
    const [busy, watcher] = nodes as [Cluster, Cluster]
    const seen = (): number | undefined => watcher.member(busy.id)?.groups.get('api')
    busy.setLoad('api', 100)
    await clock.advanceUntil(() => seen() === 100, 1000)
    // 100 → 109: below 10 % of 100, not published; the node's own view has it at once.
    busy.setLoad('api', 109)
    expect(busy.self().groups.get('api')).toBe(109)
    await clock.advance(5000)
    expect(seen()).toBe(100)
    // 110: 10 % of the published 100.
    busy.setLoad('api', 110)
    await clock.advanceUntil(() => seen() === 110, 100)
    // From 1 a move of 5 (loadChangeMin), not 10 % of it, is needed.
    busy.setLoad('api', 1)
    await clock.advanceUntil(() => seen() === 1, 100)
    busy.setLoad('api', 5)
    await clock.advance(1000)
    expect(seen()).toBe(1)
    busy.setLoad('api', 6)
    await clock.advanceUntil(() => seen() === 6, 100)
  })

  it('publishes the calls a node serves when they move significantly, and the latest count goes out with it', async () => {
    mesh = await startMesh(2, { loadChangeMin: 3, loadChangeRatio: 0 })
    const { clock, nodes } = mesh
    const [caller, callee] = nodes as [Cluster, Cluster]
    const held: Array<() => void> = []
    callee.handle('hold', async () => { await new Promise<void>(resolve => { held.push(resolve) }) })
    callee.loadBalancer({ name: 'api', algorithm: first() })
    const toCallee = caller.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: [callee.name] })
    await clock.advanceUntil(() => toCallee.getMembers().length === 1, 1000)
    const seen = (): number | undefined => caller.member(callee.id)?.groups.get('api')
    const calls = [toCallee.call('hold'), toCallee.call('hold')]
    await clock.advance(100)
    expect(seen()).toBe(0)
    calls.push(toCallee.call('hold'))
    await clock.advanceUntil(() => seen() === 3, 100)
    let done = false
    void Promise.all(calls).then(() => { done = true })
    await clock.advanceUntil(() => held.length === 3, 100)
    for (const release of held.splice(0)) release()
    await clock.advanceUntil(() => done && seen() === 0, 100)
  })

  it('publishes the event loop lag, sampled every second, by its own rule', async () => {
    let lag = 0
    mesh = await startMesh(1)
    const { clock, network, nodes } = mesh
    const lagging = await startNode(network, clock, 'lagging', { eventLoopLag: () => lag, lagChangeMinMs: 20, lagChangeRatio: 0.5 })
    nodes.push(lagging)
    const watcher = nodes[0]!
    const seen = (): number | undefined => watcher.member(lagging.id)?.eventLoopLagMs
    await clock.advanceUntil(() => seen() === 0, 1000)
    lag = 10
    await clock.advance(3000)
    expect(seen()).toBe(0)
    lag = 30
    await clock.advanceUntil(() => seen() === 30, 1100)
    // 30 → 40: within 20 ms (and 50 % of 30).
    lag = 40
    await clock.advance(3000)
    expect(seen()).toBe(30)
    lag = 60
    await clock.advanceUntil(() => seen() === 60, 1100)
  })

  it('publishes a change of its transport addresses within a second', async () => {
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    const [moving, watcher] = nodes as [Cluster, Cluster]
    await clock.advanceUntil(() => watcher.member(moving.id) !== undefined, 1000)
    const transport = network.transport(moving.id)!
    transport.addresses = () => ['/memory/id-n1', '/memory/elsewhere']
    await clock.advanceUntil(() => watcher.member(moving.id)?.addresses.includes('/memory/elsewhere') === true, 1100)
  })

  it('sends new addresses that a record of loads carries as a change of content, not flagged as sent to all', async () => {
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    const [moving, watcher] = nodes as [Cluster, Cluster]
    moving.setLoad('api', 1)
    await clock.advanceUntil(() => watcher.member(moving.id)?.groups.get('api') === 1, 1000)
    const toAll = moving.stats().recordsPublishedToAll
    // Within the second before the address check runs: the load record is the first to carry them.
    network.transport(moving.id)!.addresses = () => ['/memory/id-n1', '/memory/elsewhere']
    moving.setLoad('api', 100)
    await clock.advanceUntil(() => watcher.member(moving.id)?.addresses.includes('/memory/elsewhere') === true, 1000)
    expect(watcher.member(moving.id)?.groups.get('api')).toBe(100)
    expect(moving.stats().recordsPublishedToAll).toBe(toAll)
  })

  it('keeps the load records each member receives within loadRecordsPerSecond, whatever the size of the cluster', async () => {
    const perMember = async (count: number): Promise<number> => {
      mesh = await startMesh(count, { refreshIntervalMs: 600_000, loadRecordsPerSecond: 40 })
      const { clock, nodes } = mesh
      await clock.advanceUntil(() => nodes.every(node => node.members().length === count), 2000)
      const before = acceptedBy(nodes)
      // Every node's load changes 100 times a second, each change significant.
      for (let tick = 0; tick < 500; tick++) {
        for (const node of nodes) node.setLoad('api', tick % 2 === 0 ? 0 : 1000)
        await clock.advance(10)
      }
      const received = (acceptedBy(nodes) - before) / count / 5
      for (const node of nodes) await node.stop()
      return received
    }
    const at4 = await perMember(4)
    const at16 = await perMember(16)
    // 40 a second sustained, with one second's burst per node at the start spread over the 5 s.
    for (const rate of [at4, at16]) {
      expect(rate).toBeGreaterThan(30)
      expect(rate).toBeLessThanOrEqual(40 * 1.25)
    }
    expect(at16 / at4).toBeLessThan(1.25)
  })
  it('flags a load record as sent to all only while every member is a direct peer; a change of content never', async () => {
    mesh = await startMesh(3)
    const { clock, network, nodes } = mesh
    const [busy, near, far] = nodes as [Cluster, Cluster, Cluster]
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), 1000)
    const toAll = (): number => busy.stats().recordsPublishedToAll
    const unforwarded = (node: Cluster): number => node.stats().recordsAcceptedUnforwarded
    const seenAt = (node: Cluster): number | undefined => node.member(busy.id)?.groups.get('api')
    // Joining the group is a change of content; the loads set after it are changes of load.
    busy.setLoad('api', 1)
    await clock.advanceUntil(() => seenAt(near) === 1 && seenAt(far) === 1, 1000)
    expect(toAll()).toBe(0)

    busy.setLoad('api', 100)
    await clock.advanceUntil(() => seenAt(near) === 100 && seenAt(far) === 100, 1000)
    expect(toAll()).toBe(1)
    expect([unforwarded(near), unforwarded(far)]).toEqual([1, 1])

    // A change of content is forwarded, whoever its origin reaches directly.
    busy.loadBalancer({ name: 'web', algorithm: first() })
    await clock.advanceUntil(() => near.member(busy.id)?.groups.has('web') === true && far.member(busy.id)?.groups.has('web') === true, 1000)
    expect(toAll()).toBe(1)

    // `far` is cut off from `busy` but still in its view: receivers must forward, should a path exist.
    network.partition([busy.id, near.id], [far.id])
    busy.setLoad('api', 200)
    await clock.advanceUntil(() => seenAt(near) === 200, 1000)
    expect(busy.member(far.id)).toBeDefined()
    expect(toAll()).toBe(1)
    expect(unforwarded(near)).toBe(1)
  })

  it('flags refreshes as sent to all, and they are not forwarded, while every member is a direct peer', async () => {
    mesh = await startMesh(3, { refreshIntervalMs: 10_000 })
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), 1000)
    // Past the announcements a node repeats, as changes, when peers subscribe in its first 10 s.
    await clock.advance(NEWCOMER_ANNOUNCE_MS)
    const before = nodes.map(node => node.stats())
    // 60 s of refreshes every 7.5 to 12.5 s, and nothing else published.
    await clock.advance(60_000)
    for (const [i, node] of nodes.entries()) {
      const { recordsPublished, recordsPublishedToAll, recordsAccepted, recordsAcceptedUnforwarded } = node.stats()
      const refreshes = recordsPublished - before[i]!.recordsPublished
      expect(refreshes).toBeGreaterThanOrEqual(4)
      expect(recordsPublishedToAll - before[i]!.recordsPublishedToAll).toBe(refreshes)
      // Every record this node received in the meantime was another's refresh, delivered and not forwarded.
      expect(recordsAcceptedUnforwarded - before[i]!.recordsAcceptedUnforwarded).toBe(recordsAccepted - before[i]!.recordsAccepted)
      expect(recordsAccepted - before[i]!.recordsAccepted).toBeGreaterThanOrEqual(8)
    }
  })

  it('sends a refresh that carries a change waiting out minPublishIntervalMs as a change, forwarded', async () => {
    // Jitter at its least: the refresh comes 7.5 s after a publish, before the end of the interval (10 s) that a
    // change made just after that publish waits for.
    mesh = await startMesh(2, { refreshIntervalMs: 10_000, minPublishIntervalMs: 10_000, random: () => 0 })
    const { clock, nodes } = mesh
    const [origin, other] = nodes as [Cluster, Cluster]
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const start = origin.stats().recordsPublished
    await clock.advanceUntil(() => origin.stats().recordsPublished > start, 20_000)
    const toAll = origin.stats().recordsPublishedToAll
    const published = origin.stats().recordsPublished
    origin.loadBalancer({ name: 'web', algorithm: first() })
    await clock.advanceUntil(() => other.member(origin.id)?.groups.has('web') === true, 20_000)
    expect(origin.stats().recordsPublished).toBe(published + 1)
    expect(origin.stats().recordsPublishedToAll).toBe(toAll)
  })
})

describe('the records topic validator', () => {
  it('delivers without forwarding only a flagged copy handed over by its origin', () => {
    const topic = new StateTopic({ clock: new ManualClock(0), allowPeers: undefined, maxRecordsPerSecond: 25, onReject: () => {} })
    const data = (reachedAll: boolean, sequence: number): Uint8Array =>
      encodeSignedRecord({ record: encodeRecord(record({ origin: 'peer-a', sequence })), signature: new Uint8Array(64).fill(1) }, reachedAll)
    const messages = [
      { from: 'peer-a', via: 'peer-a', data: data(true, 1) },
      // Forwarded by another member (a node that predates the flag): it goes on from here as well.
      { from: 'peer-a', via: 'peer-b', data: data(true, 2) },
      // A transport that cannot tell who handed it over: forwarded, to be safe.
      { from: 'peer-a', data: data(true, 3) },
      { from: 'peer-a', via: 'peer-a', data: data(false, 4) }
    ]
    expect(messages.map(message => topic.validate(message))).toEqual(['deliver-only', 'accept', 'accept', 'accept'])
    // Counted as the records are taken, beside the accepted ones.
    expect(topic.stats().recordsAcceptedUnforwarded).toBe(0)
    expect(messages.map(message => topic.take(message)?.record.sequence)).toEqual([1, 2, 3, 4])
    expect(topic.stats()).toMatchObject({ recordsAccepted: 4, recordsAcceptedUnforwarded: 1 })
  })
})
