import { afterEach, describe, expect, it } from '@jest/globals'
import { InvalidOptionError, ServiceUnavailableError } from '../src/index.js'
import { first } from './algorithms.js'
import { startMesh, startNode } from './fixtures.js'
import type { Member, NodeChange, SelectionAlgorithm } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

const names = (members: readonly Member[]): string[] => members.map(member => member.name).sort()

describe('load balancer groups and selection', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) await node.stop()
    mesh = undefined
  })

  async function converged (count: number): Promise<TestMesh> {
    mesh = await startMesh(count)
    const { clock, nodes } = mesh
    await clock.advanceUntil(() => nodes.every(node => node.members().length === count), 1000)
    return mesh
  }

  it('puts into a group only the nodes whose names match its node match list', async () => {
    const { clock, nodes } = await converged(4)
    const balancers = nodes.map(node => node.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n1', /^n[23]$/] }))
    await clock.advance(20)
    for (const balancer of balancers) expect(names(balancer.getMembers())).toEqual(['n1', 'n2', 'n3'])
  })

  it("puts every node into a group with nodeMatch 'all', the default", async () => {
    const { clock, nodes } = await converged(3)
    const balancers = nodes.map(node => node.loadBalancer({ name: 'api', algorithm: first() }))
    await clock.advance(20)
    for (const balancer of balancers) expect(names(balancer.getMembers())).toEqual(['n1', 'n2', 'n3'])
  })

  it('returns no members for an empty group, while selection throws SERVICE_UNAVAILABLE', async () => {
    const { nodes } = await converged(2)
    const client = nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['nobody'] })
    expect(client.getMembers()).toEqual([])
    expect(() => client.selectNode()).toThrow(ServiceUnavailableError)
    expect(() => client.selectNodes(2)).toThrow(ServiceUnavailableError)
    await expect(client.call('anything')).rejects.toBeInstanceOf(ServiceUnavailableError)
  })

  it('leaves the group when the balancer closes', async () => {
    const { clock, nodes } = await converged(2)
    const [n1, n2] = nodes as [typeof nodes[0], typeof nodes[0]]
    const serving = n2.loadBalancer({ name: 'api', algorithm: first() })
    const client = n1.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['nobody'] })
    await clock.advance(20)
    expect(names(client.getMembers())).toEqual(['n2'])
    serving.close()
    await clock.advance(20)
    expect(client.getMembers()).toEqual([])
  })

  it('never selects a draining or suspect member', async () => {
    const { clock, network, nodes } = await converged(3)
    const balancers = nodes.map(node => node.loadBalancer({ name: 'api', algorithm: first() }))
    await clock.advance(20)
    nodes[1]!.drain()
    network.partition([nodes[0]!.id, nodes[1]!.id], [nodes[2]!.id])
    await clock.advanceUntil(() => nodes[0]!.member(nodes[2]!.id)?.liveness === 'suspect', 1000)
    expect(names(balancers[0]!.getMembers())).toEqual(['n1'])
  })

  it('selects min(count, members) distinct members without a replica-aware algorithm', async () => {
    const { clock, nodes } = await converged(3)
    const balancer = nodes.map(node => node.loadBalancer({ name: 'api', algorithm: first() }))[0]!
    await clock.advance(20)
    expect(new Set(balancer.selectNodes(2).map(m => m.id)).size).toBe(2)
    expect(names(balancer.selectNodes(10))).toEqual(['n1', 'n2', 'n3'])
  })

  it('tells the algorithm what joined, left and changed, before the pick that sees it', async () => {
    const { clock, nodes } = await converged(3)
    const changes: NodeChange[] = []
    const spy: SelectionAlgorithm = { name: 'spy', chooseFromNodes: nodes => nodes[0]!, onNodeChange: change => { changes.push(change) } }
    const watched = nodes[0]!.loadBalancer({ name: 'api', algorithm: spy })
    nodes[1]!.loadBalancer({ name: 'api', algorithm: first() })
    await clock.advance(20)
    watched.selectNode()
    expect(names(changes.at(-1)!.joined)).toEqual(['n1', 'n2'])
    nodes[1]!.setLoad('api', 7)
    await clock.advance(20)
    watched.selectNode()
    expect(changes.at(-1)!.updated.map(m => [m.name, m.load])).toEqual([['n2', 7]])
    await nodes[1]!.stop()
    await clock.advance(20)
    const picked = watched.selectNode()
    expect(names(changes.at(-1)!.left)).toEqual(['n2'])
    expect(picked.name).toBe('n1')
    expect(changes.at(-1)!.nodes).toBe(watched.getMembers())
  })

  it('rejects bad options with an error that names them', async () => {
    const { nodes } = await converged(1)
    const node = nodes[0]!
    const option = (fn: () => unknown): string => {
      try { fn() } catch (err) { expect(err).toBeInstanceOf(InvalidOptionError); return (err as InvalidOptionError).option }
      throw new Error('expected an InvalidOptionError')
    }
    expect(option(() => node.loadBalancer({ name: '', algorithm: first() }))).toBe('name')
    expect(option(() => node.loadBalancer({ name: 'api', algorithm: first(), colour: 'red' } as never))).toBe('loadBalancer.colour')
    expect(option(() => node.loadBalancer({ name: 'api', algorithm: {} as never }))).toBe('algorithm')
    expect(option(() => node.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: 'some' as never }))).toBe('nodeMatch')
    expect(option(() => node.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n1', 3] as never }))).toBe('nodeMatch[1]')
    const balancer = node.loadBalancer({ name: 'api', algorithm: first() })
    expect(option(() => balancer.selectNodes(0))).toBe('count')
    expect(option(() => balancer.selectNodes(1.5))).toBe('count')
    expect(option(() => node.setLoad('api', -1))).toBe('load')
    expect(option(() => node.handle('', () => 1))).toBe('method')
  })

  it("shows algorithms each member's gossiped event-loop lag", async () => {
    mesh = await startMesh(1)
    const { clock, network, nodes } = mesh
    nodes.push(await startNode(network, clock, 'n2', { eventLoopLag: () => 42 }))
    nodes[1]!.loadBalancer({ name: 'api', algorithm: first() })
    const api = nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2'] })
    // Gossiped rounded to 10 ms, so that jitter does not publish a record every interval.
    await clock.advanceUntil(() => api.getMembers()[0]?.eventLoopLagMs === 40, 5000)
    expect(api.selectNode().eventLoopLagMs).toBe(40)
  })
})
