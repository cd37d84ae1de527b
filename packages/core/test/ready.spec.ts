import { afterEach, describe, expect, it } from '@jest/globals'
import { InvalidOptionError, NotReadyError } from '../src/index.js'
import { first } from './algorithms.js'
import { startMesh, startNode } from './fixtures.js'
import type { Member } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

describe('balancer.ready()', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) await node.stop()
    mesh = undefined
  })

  /** Runs virtual time until `promise` settles, and returns how it settled and when. */
  async function settle<T> (promise: Promise<T>, maxMs = 60_000): Promise<{ value?: T, error?: unknown, after: number }> {
    const { clock } = mesh!
    const start = clock.now()
    let outcome: { value?: T, error?: unknown } | undefined
    promise.then(value => { outcome = { value } }, (error: unknown) => { outcome = { error } })
    await clock.advanceUntil(() => outcome !== undefined, maxMs, 5)
    return { ...outcome, after: clock.now() - start }
  }

  it('resolves once the group has the members asked for, as they join', async () => {
    mesh = await startMesh(1)
    const { clock, network, nodes } = mesh
    const api = nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2', 'n3'] })
    let members: readonly Member[] | undefined
    void api.ready({ min: 2 }).then(found => { members = found })
    for (const name of ['n2', 'n3']) {
      const node = await startNode(network, clock, name)
      nodes.push(node)
      node.loadBalancer({ name: 'api', algorithm: first() })
    }
    await clock.advanceUntil(() => members !== undefined, 5000)
    expect(members!.map(member => member.name).sort()).toEqual(['n2', 'n3'])
    expect(api.getMembers()).toHaveLength(2)
  })

  it('resolves at once when the group already has them', async () => {
    mesh = await startMesh(2)
    const { clock, nodes } = mesh
    nodes[1]!.loadBalancer({ name: 'api', algorithm: first() })
    const api = nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2'] })
    await clock.advanceUntil(() => api.getMembers().length === 1, 5000)
    // No virtual time passes here: the promise settles on its own, or the test times out.
    const members = await api.ready()
    expect(members.map(member => member.name)).toEqual(['n2'])
  })

  it('rejects with NotReadyError at its timeout, saying how many members there were', async () => {
    mesh = await startMesh(2)
    const { nodes } = mesh
    nodes[1]!.loadBalancer({ name: 'api', algorithm: first() })
    const api = nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2', 'n3'] })
    const { error, after } = await settle(api.ready({ min: 2, timeoutMs: 2000 }))
    expect(error).toBeInstanceOf(NotReadyError)
    expect(error).toMatchObject({ code: 'NOT_READY', min: 2, available: 1 })
    expect(after).toBeGreaterThanOrEqual(2000)
    expect(after).toBeLessThan(2020)
  })

  it('rejects with NotReadyError when aborted, the reason as its cause', async () => {
    mesh = await startMesh(1)
    const api = mesh.nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2'] })
    const controller = new AbortController()
    const waiting = settle(api.ready({ signal: controller.signal }))
    await mesh.clock.advance(100)
    const reason = new Error('shutting down')
    controller.abort(reason)
    const { error, after } = await waiting
    expect(error).toBeInstanceOf(NotReadyError)
    expect((error as NotReadyError).cause).toBe(reason)
    expect(after).toBeLessThan(200)
    // An already aborted signal rejects at once.
    const { error: again } = await settle(api.ready({ signal: controller.signal }))
    expect(again).toBeInstanceOf(NotReadyError)
  })

  it('rejects when the balancer closes while it waits', async () => {
    mesh = await startMesh(1)
    const api = mesh.nodes[0]!.loadBalancer({ name: 'api', algorithm: first(), nodeMatch: ['n2'] })
    const waiting = settle(api.ready())
    await mesh.clock.advance(100)
    api.close()
    const { error, after } = await waiting
    expect(error).toBeInstanceOf(NotReadyError)
    expect(after).toBeLessThan(200)
    await expect(api.ready()).rejects.toThrow(/closed/)
  })

  it('refuses bad options, naming them', async () => {
    mesh = await startMesh(1)
    const api = mesh.nodes[0]!.loadBalancer({ name: 'api', algorithm: first() })
    await expect(api.ready({ min: 0 })).rejects.toThrow(InvalidOptionError)
    await expect(api.ready({ min: 0 })).rejects.toThrow(/"min"/)
    await expect(api.ready({ timeoutMs: -1 })).rejects.toThrow(/"timeoutMs"/)
    await expect(api.ready({ signal: 'soon' as unknown as AbortSignal })).rejects.toThrow(/"signal"/)
    await expect(api.ready({ minimum: 1 } as never)).rejects.toThrow(/minimum/)
  })
})
