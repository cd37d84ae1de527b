import { afterEach, describe, expect, it } from '@jest/globals'
import { leastLoaded, named } from './algorithms.js'
import { startMesh } from './fixtures.js'
import type { CallRecord, Cluster, LoadBalancer, PickExplanation, ServeRecord } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

// What an operator sees of the cluster's decisions: sampled pick explanations and a record of every call.
describe('explanations of picks and records of calls', () => {
  let mesh: TestMesh

  afterEach(async () => {
    for (const node of mesh.nodes) await node.stop()
  })

  async function setup (explainOnePickIn: number): Promise<{ caller: Cluster, callee: Cluster, other: Cluster, api: LoadBalancer }> {
    mesh = await startMesh(3, { explainOnePickIn })
    const [caller, callee, other] = mesh.nodes as [Cluster, Cluster, Cluster]
    callee.loadBalancer({ name: 'api', algorithm: named('n2') })
    other.loadBalancer({ name: 'api', algorithm: named('n3') })
    callee.setLoad('api', 7)
    other.setLoad('api', 3)
    const api = caller.loadBalancer({ name: 'api', algorithm: leastLoaded(), nodeMatch: ['n2', 'n3'] })
    await mesh.clock.advanceUntil(() => api.getMembers().length === 2 && api.getMembers().every(m => m.load > 0), 1000)
    return { caller, callee, other, api }
  }

  it('explains one pick in explainOnePickIn with what the algorithm chose from', async () => {
    const { caller, other, api } = await setup(10)
    const explanations: PickExplanation[] = []
    caller.on('balancer:pick', explanation => { explanations.push(explanation) })
    const chosen = Array.from({ length: 100 }, () => api.selectNode().name)
    expect(explanations).toHaveLength(10)
    for (const [i, explanation] of explanations.entries()) {
      expect(explanation).toMatchObject({ balancer: 'api', key: undefined, truncated: false, chosen: { name: chosen[10 * i + 9] } })
      expect(explanation.candidates.map(c => [c.name, c.load]).sort()).toEqual([['n2', 7], ['n3', 3]])
    }
    expect(explanations[0]!.chosen.name).toBe('n3')

    // A load change is a new snapshot, and the explanations say so.
    const before = explanations.at(-1)!.snapshotVersion
    other.setLoad('api', 9)
    await mesh.clock.advanceUntil(() => api.getMembers().find(m => m.name === 'n3')?.load === 9, 1000)
    for (let i = 0; i < 10; i++) api.selectNode()
    const after = explanations.at(-1)!
    expect(after.snapshotVersion).toBeGreaterThan(before)
    expect(after.chosen.name).toBe('n2')
    expect(after.candidates.find(c => c.name === 'n3')?.load).toBe(9)
  })

  it('explains no pick when explainOnePickIn is 0', async () => {
    const { caller, api } = await setup(0)
    let explained = 0
    caller.on('balancer:pick', () => { explained++ })
    for (let i = 0; i < 1000; i++) api.selectNode()
    expect(explained).toBe(0)
  })

  it('records every call on the caller and every served call on the callee, with its outcome', async () => {
    const { caller, callee, api } = await setup(0)
    callee.handle('echo', (value: unknown) => value)
    callee.handle('fail', () => { throw new Error('no') })
    // Only n2 serves the methods: route every call there.
    callee.setLoad('api', 0)
    await mesh.clock.advanceUntil(() => api.getMembers().find(m => m.name === 'n2')?.load === 0, 1000)
    const calls: CallRecord[] = []
    const served: ServeRecord[] = []
    caller.on('rpc:call', record => { calls.push(record) })
    callee.on('rpc:serve', record => { served.push(record) })
    const settled: unknown[] = []
    for (const method of ['echo', 'fail', 'missing']) api.call(method, 1).then(v => settled.push(v), (e: unknown) => settled.push(e))
    await mesh.clock.advanceUntil(() => settled.length === 3, 5000, 5)
    expect(calls.map(c => [c.method, c.outcome, c.peer, c.cast]).sort()).toEqual([
      ['echo', 'ok', callee.id, false],
      ['fail', 'REMOTE_ERROR', callee.id, false],
      ['missing', 'BAD_REQUEST', callee.id, false]
    ])
    for (const call of calls) expect(call.durationMs).toBeGreaterThan(0)
    expect(served.map(s => [s.method, s.from]).sort()).toEqual([['echo', caller.id], ['fail', caller.id], ['missing', caller.id]])
  })
})
