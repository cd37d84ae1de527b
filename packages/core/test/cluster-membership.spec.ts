import { afterEach, describe, expect, it } from '@jest/globals'
import { defaults } from '../src/index.js'
import { FAST, FAST_SUSPICION, namesSeenBy, startMesh, startNode } from './fixtures.js'
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
    await clock.advance(2) // one link delay, far below a probe interval
    for (const node of nodes) expect(namesSeenBy(node)).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(reasons).toEqual(['left', 'left', 'left', 'left'])
  })

  it('suspects a node cut off without a closed connection within two probe passes, and removes it when confirmed', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const silent = nodes[4]!
    const others = nodes.slice(0, 4)
    const watcher = nodes[0]!
    network.partition([silent.id], others.map(node => node.id))
    // The schedule is a shuffled round robin over the 4 others: a member's turns are at most 2 × 4 intervals apart,
    // and the first prober's claim reaches the others one link delay later.
    const suspectAfter = await clock.advanceUntil(() => watcher.member(silent.id)?.liveness === 'suspect', 2000, 1)
    expect(suspectAfter).toBeLessThanOrEqual(2 * 4 * FAST.probeIntervalMs + 10)
    const removedAfter = await clock.advanceUntil(() => watcher.member(silent.id) === undefined, 2000, 1)
    // Every other member's own probe fails too and it claims as well: K + 1 = 4 claimants, the shortest timeout.
    expect(removedAfter).toBeGreaterThanOrEqual(FAST_SUSPICION.minMs - 10)
    expect(removedAfter).toBeLessThanOrEqual(FAST_SUSPICION.minMs + 20)
    await clock.advanceUntil(() => others.every(node => node.member(silent.id) === undefined), 100, 1)
    for (const node of others) expect(node.stats().claimsPublished + node.stats().claimsAccepted).toBeGreaterThan(0)
  })

  it('removes a crashed node, whose connections close, within the shortest suspicion of its crash', async () => {
    mesh = await startMesh(5)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 5), 1000)
    const crashed = nodes.pop()!
    const events: string[] = []
    nodes[0]!.on('member:suspect', member => { if (member.id === crashed.id) events.push('suspect') })
    nodes[0]!.on('member:leave', (member, reason) => { if (member.id === crashed.id) events.push(`leave ${reason}`) })
    await network.transport(crashed.id)!.stop()
    // The closed connections are crash hints: every member probes it at once, and the ping is refused.
    const suspectedAfter = await clock.advanceUntil(() => nodes.every(node => node.member(crashed.id)?.liveness === 'suspect'), 100, 1)
    expect(suspectedAfter).toBeLessThanOrEqual(10)
    const removedAfter = await clock.advanceUntil(() => nodes.every(node => node.member(crashed.id) === undefined), 1000, 1)
    expect(removedAfter + suspectedAfter).toBeLessThanOrEqual(FAST_SUSPICION.minMs + 20)
    expect(events).toEqual(['suspect', 'leave dead'])
    await crashed.stop()
  })

  it('keeps a member whose connection closed while it still answers, without suspecting it', async () => {
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const [watcher, peer] = nodes as [typeof nodes[0], typeof nodes[0]]
    const events: string[] = []
    watcher.on('member:suspect', member => { events.push(`suspect ${member.name}`) })
    watcher.on('member:leave', member => { events.push(`leave ${member.name}`) })
    // The link closed, but the next ping opens a new connection (a pruned connection, say).
    network.disconnect(watcher.id, peer.id)
    await clock.advance(FAST_SUSPICION.maxMs * 2)
    expect(events).toEqual([])
    expect(watcher.member(peer.id)?.liveness).toBe('alive')
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
    // The newcomer learns the others at once, from a push-pull exchange with the members it hears subscribe (its
    // own at once, theirs within NEWCOMER_EXCHANGE_DELAY_MS), each a round trip of 2 ms here.
    await clock.advanceUntil(() => restarted.members().length === 5, defaults.NEWCOMER_EXCHANGE_DELAY_MS + 10)
    for (const node of nodes) expect(namesSeenBy(node)).toEqual(ALL)
    await crashed.stop()
  })

  it('splits the views in a partition and merges them when it heals', async () => {
    // Each half removes the other by its probes; no refresh is needed for that, nor for the merge.
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
    // Healed peers hear each other subscribe and exchange their states within NEWCOMER_EXCHANGE_DELAY_MS; a record
    // delivered by its origin in that exchange brings a member declared dead back at once.
    expect(merged).toBeLessThanOrEqual(defaults.NEWCOMER_EXCHANGE_DELAY_MS + 10)
  })

  it('does not blame peers for a pause of its own', async () => {
    mesh = await startMesh(2)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === 2), 1000)
    const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]]
    let falseSuspicions = 0
    n1.on('member:suspect', () => { falseSuspicions++ })
    n2.on('member:suspect', () => { falseSuspicions++ })
    // Jump the clock as a SIGSTOP/SIGCONT would: no timer ran in between on either node, and all fire late.
    clock.jump(5 * FAST_SUSPICION.maxMs)
    await clock.advance(FAST_SUSPICION.maxMs * 2)
    expect(n1.member(n2.id)?.liveness).toBe('alive')
    expect(n2.member(n1.id)?.liveness).toBe('alive')
    expect(falseSuspicions).toBe(0)
  })
})
