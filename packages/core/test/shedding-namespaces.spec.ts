import { afterEach, describe, expect, it } from '@jest/globals'
import { first } from './algorithms.js'
import { startMesh } from './fixtures.js'
import type { Cluster, ShedRound } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

describe('shedding namespaces, apart from balancer groups', () => {
  let mesh: TestMesh

  afterEach(async () => {
    for (const node of mesh.nodes) await node.stop()
  })

  it('announces a shedder count in the record without making the node selectable in a group of that name', async () => {
    mesh = await startMesh(3)
    const [shedding, serving, caller] = mesh.nodes as [Cluster, Cluster, Cluster]
    shedding.shedder({ namespace: 'ws', roundDurationSeconds: 3600, implementation: { count: () => 40, killProcesses: async () => 0 } }).announce(40)
    serving.loadBalancer({ name: 'ws', algorithm: first() })
    const balancer = caller.loadBalancer({ name: 'ws', algorithm: first(), nodeMatch: [] })
    await mesh.clock.advanceUntil(() => caller.member(shedding.id)?.shedding.get('ws') === 40 && balancer.getMembers().length === 1, 1000)
    expect(balancer.getMembers().map(member => member.name)).toEqual([serving.name])
    expect(caller.member(shedding.id)?.groups.has('ws')).toBe(false)
    expect(caller.member(serving.id)?.shedding.has('ws')).toBe(false)
  })

  it('compares counts only with members that shed in the namespace, not with a balancer group of its name', async () => {
    mesh = await startMesh(3)
    const [heavy, light, bystander] = mesh.nodes as [Cluster, Cluster, Cluster]
    bystander.loadBalancer({ name: 'ws', algorithm: first() })
    bystander.setLoad('ws', 0)
    light.shedder({ namespace: 'ws', roundDurationSeconds: 3600, implementation: { count: () => 100, killProcesses: async () => 0 } }).announce(100)
    const rounds: ShedRound[] = []
    heavy.shedder({ namespace: 'ws', roundDurationSeconds: 1, implementation: { count: () => 900, killProcesses: async n => n } }).on('round', round => { rounds.push(round) })
    await mesh.clock.advanceUntil(() => rounds.some(round => round.decision !== undefined), 5000, 50)
    const decided = rounds.find(round => round.decision !== undefined)!
    expect(decided.members.map(member => member.name).sort()).toEqual([heavy.name, light.name])
    expect(decided.members.find(member => member.name === light.name)?.count).toBe(100)
  })

  it('takes the namespace out of the record when the shedder stops, so that peers no longer count the node', async () => {
    mesh = await startMesh(2)
    const [node, peer] = mesh.nodes as [Cluster, Cluster]
    const shedder = node.shedder({ namespace: 'ws', roundDurationSeconds: 3600, implementation: { count: () => 25, killProcesses: async () => 0 } })
    shedder.announce(25)
    await mesh.clock.advanceUntil(() => peer.member(node.id)?.shedding.get('ws') === 25, 1000)
    shedder.stop()
    expect(node.self().shedding.has('ws')).toBe(false)
    await mesh.clock.advanceUntil(() => peer.member(node.id)?.shedding.has('ws') === false, 1000)
    expect(peer.member(node.id)?.shedding.size).toBe(0)
    shedder.announce(30)
    expect(node.self().shedding.size).toBe(0)
  })

  it('does not bring a stopped namespace back from a round that was counting when it stopped', async () => {
    mesh = await startMesh(2)
    const [node] = mesh.nodes as [Cluster, Cluster]
    let counted = (_count: number): void => {}
    const shedder = node.shedder({
      namespace: 'ws',
      implementation: { count: async () => await new Promise<number>(resolve => { counted = resolve }), killProcesses: async () => 0 }
    })
    const round = shedder.round()
    shedder.stop()
    counted(10)
    await round
    expect(node.self().shedding.has('ws')).toBe(false)
  })
})
