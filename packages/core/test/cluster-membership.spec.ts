import { afterEach, describe, expect, it } from '@jest/globals'
import { FAST, namesSeenBy, startMesh, startNode } from './fixtures.js'
import type { TestMesh } from './fixtures.js'

const ALL = ['n1', 'n2', 'n3', 'n4', 'n5']

describe('cluster membership on the in-memory transport', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) await node.stop()
    mesh = undefined
  })

  it('lets every node of five see every other node', async () => {
    mesh = await startMesh(5)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    for (const node of nodes) expect(namesSeenBy(node)).toEqual(ALL)
  })

  it('shows a load change on one node to all the others', async () => {
    mesh = await startMesh(5)
    const { clock, nodes } = mesh
    const [n1] = nodes as [typeof nodes[0]]
    n1.setLoad('api', 42)
    const took = await clock.advanceUntil(() => nodes.every(node => node.member(n1.id)?.groups.get('api') === 42), 1000, 1)
    // Published at once (no earlier publish within minPublishIntervalMs) and delivered after the 1 ms link delay.
    expect(took).toBeLessThanOrEqual(FAST.minPublishIntervalMs + 2)
  })

  it('removes a node that stops from every view at once', async () => {
    mesh = await startMesh(5)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const leaving = nodes.pop()!
    const reasons: string[] = []
    for (const node of nodes) node.on('member:leave', (member, reason) => { if (member.id === leaving.id) reasons.push(reason) })
    await leaving.stop()
    await clock.advance(2) // one link delay, far below suspectAfterMs
    for (const node of nodes) expect(namesSeenBy(node)).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(reasons).toEqual(['left', 'left', 'left', 'left'])
  })

  it('makes a silent node suspect, then removes it, within the configured times', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const silent = nodes[4]!
    const watcher = nodes[0]!
    const silencedAt = clock.now()
    network.partition([silent.id], nodes.slice(0, 4).map(node => node.id))
    const suspectAfter = await clock.advanceUntil(() => watcher.member(silent.id)?.liveness === 'suspect', 2000, 5)
    const removedAfter = await clock.advanceUntil(() => watcher.member(silent.id) === undefined, 2000, 5) + suspectAfter
    // The last heartbeat reached the watcher at most one heartbeat interval before the silence began.
    expect(suspectAfter).toBeGreaterThan(FAST.suspectAfterMs - FAST.heartbeatIntervalMs)
    expect(suspectAfter).toBeLessThanOrEqual(FAST.suspectAfterMs + 20)
    expect(removedAfter).toBeGreaterThan(FAST.deadAfterMs - FAST.heartbeatIntervalMs)
    expect(removedAfter).toBeLessThanOrEqual(FAST.deadAfterMs + 20)
    await clock.advanceUntil(() => nodes.slice(0, 4).every(node => node.member(silent.id) === undefined), 100)
    expect(clock.now() - silencedAt).toBeLessThanOrEqual(FAST.deadAfterMs + 20)
  })

  it('removes a crashed node, whose connections close, well before deadAfterMs', async () => {
    mesh = await startMesh(3)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 3), 1000)
    const crashed = nodes.pop()!
    const events: string[] = []
    nodes[0]!.on('member:suspect', member => { if (member.id === crashed.id) events.push('suspect') })
    nodes[0]!.on('member:leave', (member, reason) => { if (member.id === crashed.id) events.push(`leave ${reason}`) })
    await network.transport(crashed.id)!.stop()
    expect(events).toEqual(['suspect'])
    const removedAfter = await clock.advanceUntil(() => nodes.every(node => node.member(crashed.id) === undefined), 1000, 5)
    expect(removedAfter).toBeLessThanOrEqual(1.5 * FAST.heartbeatIntervalMs + 20)
    expect(removedAfter).toBeLessThan(FAST.deadAfterMs - FAST.heartbeatIntervalMs)
    expect(events).toEqual(['suspect', 'leave dead'])
    await crashed.stop()
  })

  it('keeps a member whose connection closed while it is still heard from', async () => {
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const [watcher, peer] = nodes as [typeof nodes[0], typeof nodes[0]]
    const leaves: string[] = []
    watcher.on('member:leave', member => { leaves.push(member.name) })
    // The link closed, but gossip still carries the peer's heartbeats (a pruned connection, say).
    network.disconnect(watcher.id, peer.id)
    expect(watcher.member(peer.id)?.liveness).toBe('suspect')
    await clock.advanceUntil(() => watcher.member(peer.id)?.liveness === 'alive', FAST.heartbeatIntervalMs + 10)
    await clock.advance(FAST.deadAfterMs * 2)
    expect(leaves).toEqual([])
  })

  it('replaces the record of a restarted node with its new incarnation', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const crashed = nodes.pop()!
    // A crash: the transport goes away without the node announcing anything.
    await network.transport(crashed.id)!.stop()
    const restarted = await startNode(network, clock, 'n5', {}, 2)
    nodes.push(restarted)
    expect(restarted.id).toBe(crashed.id)
    await clock.advanceUntil(() => nodes.every(node => node.member(restarted.id)?.incarnation === 2), 1000)
    // The newcomer learns the others from their next heartbeat.
    await clock.advanceUntil(() => restarted.members().length === 5, FAST.heartbeatIntervalMs + 10)
    for (const node of nodes) expect(namesSeenBy(node)).toEqual(ALL)
    await crashed.stop()
  })

  it('splits the views in a partition and merges them when it heals', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const left = nodes.slice(0, 2)
    const right = nodes.slice(2)
    network.partition(left.map(node => node.id), right.map(node => node.id))
    await clock.advanceUntil(() => left.every(node => node.members().length === 2) && right.every(node => node.members().length === 3), 2000)
    for (const node of left) expect(namesSeenBy(node)).toEqual(['n1', 'n2'])
    for (const node of right) expect(namesSeenBy(node)).toEqual(['n3', 'n4', 'n5'])
    network.heal()
    const merged = await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 2000)
    expect(merged).toBeLessThanOrEqual(FAST.heartbeatIntervalMs + 10)
  })

  it('does not blame peers for a pause of its own', async () => {
    mesh = await startMesh(2)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]]
    let falseSuspicions = 0
    n1.on('member:suspect', () => { falseSuspicions++ })
    // Jump the clock as a SIGSTOP/SIGCONT would: no timer ran in between on either node.
    clock.jump(5 * FAST.deadAfterMs)
    await clock.advance(FAST.heartbeatIntervalMs * 2)
    expect(n1.member(n2.id)).toBeDefined()
    expect(falseSuspicions).toBe(0)
  })
})
