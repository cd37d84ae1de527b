import { afterEach, describe, expect, it } from '@jest/globals'
import {
  BadRequestError, createCluster, InvalidOptionError, RemoteError, RequestTimeoutError, ServiceUnavailableError, silentLogger
} from '../src/index.js'
import { named } from './algorithms.js'
import { FAST, settleOn, startMesh } from './fixtures.js'
import type { CallRecord, Cluster, ClusterInit, HandlerContext } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

describe('calls to a named member on the in-memory transport', () => {
  let mesh: TestMesh
  let caller: Cluster
  let n2: Cluster
  let n3: Cluster

  afterEach(async () => {
    for (const node of mesh.nodes) await node.stop()
  })

  /** Three nodes that answer `whoami` with their own name and what they were told about the call. */
  async function setup (count = 3): Promise<void> {
    mesh = await startMesh(count)
    ;[caller, n2, n3] = mesh.nodes as [Cluster, Cluster, Cluster]
    for (const node of mesh.nodes) serveWhoami(node)
    await converge()
  }

  function serveWhoami (node: Cluster): void {
    node.handle('whoami', (_args, context: HandlerContext) => ({ name: node.name, id: node.id, from: context.from, group: context.group }))
  }

  async function converge (): Promise<void> {
    const size = mesh.nodes.length
    await mesh.clock.advanceUntil(() => mesh.nodes.every(node => node.members().filter(m => m.liveness === 'alive').length === size), 2000)
  }

  /** A node with a transport id of its own, so that two nodes may share a name. */
  async function addNode (name: string, id: string, init: Partial<ClusterInit> = {}): Promise<Cluster> {
    const node = await createCluster({
      name, transport: mesh.network.createTransport(id), clock: mesh.clock, logger: silentLogger, incarnation: 1, ...FAST, ...init
    })
    mesh.nodes.push(node)
    serveWhoami(node)
    return node
  }

  /** Runs the virtual clock while a call is pending, and returns how it settled. */
  const settle = async <T>(call: Promise<T>, maxMs?: number): ReturnType<typeof settleOn<T>> => await settleOn(mesh.clock, call, maxMs)

  it('reaches the member named by its id, and no other', async () => {
    await setup()
    const { value, error } = await settle(caller.call(n3.id, 'whoami'))
    expect(error).toBeUndefined()
    expect(value).toEqual({ name: 'n3', id: n3.id, from: caller.id, group: '' })
  })

  it('reaches the member named by its name', async () => {
    await setup()
    for (const node of [n2, n3]) {
      const { value } = await settle(caller.call(node.name, 'whoami'))
      expect(value).toMatchObject({ name: node.name, id: node.id })
    }
  })

  it('takes an entry from members() or from a balancer, by its id', async () => {
    await setup()
    const entry = caller.members().find(member => member.name === 'n2')!
    expect((await settle(caller.call(entry, 'whoami'))).value).toMatchObject({ id: n2.id })
    n3.loadBalancer({ name: 'api', algorithm: named('n3') })
    const api = caller.loadBalancer({ name: 'api', algorithm: named('n3'), nodeMatch: [] })
    await mesh.clock.advanceUntil(() => api.getMembers().length === 1, 1000)
    const picked = api.selectNode()
    api.releaseNode(picked)
    expect((await settle(caller.call(picked, 'whoami'))).value).toMatchObject({ id: n3.id })
  })

  it('serves a call to this node, by name, in-process', async () => {
    await setup()
    expect((await settle(caller.call('n1', 'whoami'))).value).toEqual({ name: 'n1', id: caller.id, from: caller.id, group: '' })
  })

  it('prefers the id when a string is one member\'s id and another\'s name', async () => {
    await setup(2)
    const impostor = await addNode(n2.id, 'id-impostor')
    await converge()
    expect((await settle(caller.call(n2.id, 'whoami'))).value).toMatchObject({ id: n2.id, name: 'n2' })
    expect(impostor.name).toBe(n2.id)
  })

  it('fails an unknown name or id with SERVICE_UNAVAILABLE, sending nothing', async () => {
    await setup()
    const records: CallRecord[] = []
    caller.on('rpc:call', record => { records.push(record) })
    for (const target of ['nobody', 'id-nobody', { id: 'id-nobody' }]) {
      const { error } = await settle(caller.call(target, 'whoami'))
      expect(error).toBeInstanceOf(ServiceUnavailableError)
      expect((error as Error).message).toMatch(/nobody/)
    }
    expect(records).toEqual([])
  })

  it('fails a suspect member with SERVICE_UNAVAILABLE at once', async () => {
    await setup()
    mesh.network.partition([caller.id], [n2.id, n3.id])
    await mesh.clock.advanceUntil(() => caller.member(n3.id)?.liveness === 'suspect', 2000, 5)
    for (const target of ['n3', n3.id]) {
      const { error, after } = await settle(caller.call(target, 'whoami'))
      expect(error).toBeInstanceOf(ServiceUnavailableError)
      expect((error as Error).message).toMatch(/is suspect/)
      expect(after).toBeLessThanOrEqual(5)
    }
  })

  it('fails a member that left with SERVICE_UNAVAILABLE, also through its old entry', async () => {
    await setup()
    const entry = caller.member(n3.id)!
    await n3.stop()
    await mesh.clock.advanceUntil(() => caller.member(n3.id) === undefined, 1000)
    for (const target of ['n3', n3.id, entry]) {
      const { error } = await settle(caller.call(target, 'whoami'))
      expect(error).toBeInstanceOf(ServiceUnavailableError)
    }
  })

  it('fails a member that is alive in the view but cannot be reached with SERVICE_UNAVAILABLE', async () => {
    await setup()
    mesh.network.partition([caller.id], [n2.id, n3.id])
    expect(caller.member(n2.id)?.liveness).toBe('alive')
    const { error } = await settle(caller.call('n2', 'whoami'))
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect((error as Error).message).toMatch(/unreachable/)
  })

  it('refuses to choose between two alive members of one name, naming both ids', async () => {
    await setup(2)
    const twin = await addNode('n2', 'id-n2-twin')
    await converge()
    const { error } = await settle(caller.call('n2', 'whoami'))
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect((error as Error).message).toContain('2 members are named "n2"')
    expect((error as Error).message).toContain(n2.id)
    expect((error as Error).message).toContain(twin.id)
    // Each is still reachable by id.
    expect((await settle(caller.call(twin.id, 'whoami'))).value).toMatchObject({ id: twin.id })
  })

  it('calls the alive one of two members of one name (a restart with a new peer id)', async () => {
    await setup(2)
    // The old n2 is out of reach of everyone, the restarted one included. Were it reachable from the restarted
    // node, that node would relay the caller's claim about it and its refutation (or answer an indirect probe of
    // it), and the old n2 would be alive again: two alive members of one name, the case of the test above.
    mesh.network.partition([n2.id], [caller.id, 'id-n2-restarted'])
    await mesh.clock.advanceUntil(() => caller.member(n2.id)?.liveness === 'suspect', 2000, 5)
    const restarted = await addNode('n2', 'id-n2-restarted')
    await mesh.clock.advanceUntil(() => caller.member(restarted.id)?.liveness === 'alive', 2000, 5)
    expect(caller.member(n2.id)?.liveness).toBe('suspect')
    expect((await settle(caller.call('n2', 'whoami'))).value).toMatchObject({ id: restarted.id })
  })

  it('calls a member that is joining or draining, which no balancer selects', async () => {
    await setup(2)
    const late = await addNode('late', 'id-late', { ready: false })
    await converge()
    expect(caller.member(late.id)?.status).toBe('joining')
    expect((await settle(caller.call('late', 'whoami'))).value).toMatchObject({ id: late.id })
    void n2.drain()
    await mesh.clock.advanceUntil(() => caller.member(n2.id)?.status === 'draining', 1000)
    expect((await settle(caller.call('n2', 'whoami'))).value).toMatchObject({ id: n2.id })
  })

  it('times out with REQUEST_TIMEOUT', async () => {
    await setup()
    n2.handle('hang', async (_args, { signal }) => { await new Promise(resolve => { signal.addEventListener('abort', resolve) }) })
    const { error, after } = await settle(caller.call('n2', 'hang', undefined, { timeoutMs: 200 }))
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 200 })
    expect(after).toBeGreaterThanOrEqual(200)
    expect(after).toBeLessThanOrEqual(215)
  })

  it('answers BAD_REQUEST for an unknown method, an invalid method name and arguments that cannot be encoded', async () => {
    await setup()
    const served: string[] = []
    n2.on('rpc:serve', record => { served.push(record.method) })
    const unknown = await settle(caller.call('n2', 'missing'))
    expect(unknown.error).toBeInstanceOf(BadRequestError)
    expect((unknown.error as Error).message).toMatch(/unknown method "missing"/)
    for (const method of ['', 'm'.repeat(257)]) {
      const { error } = await settle(caller.call('n2', method))
      expect(error).toBeInstanceOf(BadRequestError)
      expect((error as Error).message).toMatch(/method name/)
    }
    expect((await settle(caller.call('n2', 'whoami', { big: 10n }))).error).toBeInstanceOf(BadRequestError)
    expect(served).toEqual(['missing'])
  })

  it("turns a handler's throw into a RemoteError", async () => {
    await setup()
    n2.handle('explode', () => { throw new TypeError('wires crossed') })
    const { error } = await settle(caller.call('n2', 'explode'))
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ remoteName: 'TypeError', peer: n2.id })
  })

  it("rejects with the signal's reason when the caller aborts", async () => {
    await setup()
    n2.handle('hang', async (_args, { signal }) => { await new Promise(resolve => { signal.addEventListener('abort', resolve) }) })
    const controller = new AbortController()
    const call = settle(caller.call('n2', 'hang', undefined, { signal: controller.signal }))
    await mesh.clock.advance(20)
    const reason = new Error('no longer needed')
    controller.abort(reason)
    expect((await call).error).toBe(reason)
  })

  it('validates options and the member, naming what is wrong', async () => {
    await setup()
    const cases: Array<[Promise<unknown>, string]> = [
      [caller.call('n2', 'whoami', undefined, { timeoutMs: 0 }), 'timeoutMs'],
      [caller.call('n2', 'whoami', undefined, { timeoutMs: 1.5 }), 'timeoutMs'],
      [caller.call('n2', 'whoami', undefined, { signal: 'soon' as unknown as AbortSignal }), 'signal'],
      [caller.call('n2', 'whoami', undefined, { timeout: 100 } as never), 'call.timeout'],
      [caller.cast('n2', 'whoami', undefined, { key: 'k' } as never), 'cast.key'],
      [caller.call('', 'whoami'), 'member'],
      [caller.call(42 as never, 'whoami'), 'member'],
      [caller.call({ name: 'n2' } as never, 'whoami'), 'member']
    ]
    for (const [call, option] of cases) {
      const { error } = await settle(call)
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as InvalidOptionError).option).toBe(option)
    }
  })

  it('casts to a member by name without waiting, and fails an unknown one', async () => {
    await setup()
    const told: string[] = []
    n3.handle('note', (args: string, context) => { told.push(`${args} from ${context.from}`) })
    const { error } = await settle(caller.cast('n3', 'note', 'hello'))
    expect(error).toBeUndefined()
    await mesh.clock.advanceUntil(() => told.length === 1, 1000)
    expect(told).toEqual([`hello from ${caller.id}`])
    expect((await settle(caller.cast('nobody', 'note', 'hello'))).error).toBeInstanceOf(ServiceUnavailableError)
  })

  it('reports each call as rpc:call with the empty balancer name', async () => {
    await setup()
    const records: CallRecord[] = []
    caller.on('rpc:call', record => { records.push(record) })
    await settle(caller.call('n2', 'whoami'))
    await settle(caller.call('n2', 'missing'))
    await settle(caller.cast(n3.id, 'whoami'))
    expect(records.map(({ balancer, method, peer, cast, outcome }) => ({ balancer, method, peer, cast, outcome }))).toEqual([
      { balancer: '', method: 'whoami', peer: n2.id, cast: false, outcome: 'ok' },
      { balancer: '', method: 'missing', peer: n2.id, cast: false, outcome: 'BAD_REQUEST' },
      { balancer: '', method: 'whoami', peer: n3.id, cast: true, outcome: 'ok' }
    ])
  })
})

describe("a balancer's calls take the same path", () => {
  let mesh: TestMesh

  afterEach(async () => {
    for (const node of mesh.nodes) await node.stop()
  })

  it('validates the signal and the method name as a call to a named member does', async () => {
    mesh = await startMesh(2)
    const [caller, callee] = mesh.nodes as [Cluster, Cluster]
    callee.loadBalancer({ name: 'api', algorithm: named('n2') })
    const api = caller.loadBalancer({ name: 'api', algorithm: named('n2'), nodeMatch: [] })
    await mesh.clock.advanceUntil(() => api.getMembers().length === 1, 1000)
    const served: string[] = []
    callee.on('rpc:serve', record => { served.push(record.method) })
    await expect(api.call('echo', undefined, { signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'signal' })
    await expect(api.call('')).rejects.toBeInstanceOf(BadRequestError)
    expect(api.picks).toBe(1) // the bad signal cost no pick; the bad method did
    expect(served).toEqual([])
  })
})
