import { afterEach, describe, expect, it } from '@jest/globals'
import { BadRequestError, RemoteError, RequestTimeoutError, ServiceUnavailableError } from '../src/index.js'
import { named } from './algorithms.js'
import { settleOn, startMesh } from './fixtures.js'
import type { Cluster, LoadBalancer } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

describe('rpc through a balancer on the in-memory transport', () => {
  let mesh: TestMesh
  let caller: Cluster
  let callee: Cluster
  let toCallee: LoadBalancer

  afterEach(async () => {
    for (const node of mesh.nodes) await node.stop()
  })

  async function setup (): Promise<void> {
    mesh = await startMesh(2)
    ;[caller, callee] = mesh.nodes as [Cluster, Cluster]
    callee.loadBalancer({ name: 'api', algorithm: named('n2') })
    toCallee = caller.loadBalancer({ name: 'api', algorithm: named('n2'), nodeMatch: ['n2'] })
    await mesh.clock.advanceUntil(() => toCallee.getMembers().length === 1, 1000)
  }

  /** Runs the virtual clock while a call is pending, and returns how it settled. */
  const settle = async <T>(call: Promise<T>, maxMs?: number): ReturnType<typeof settleOn<T>> => await settleOn(mesh.clock, call, maxMs)

  it("returns the handler's result", async () => {
    await setup()
    callee.handle('sum', ({ a, b }: { a: number, b: number }, context) => ({ sum: a + b, from: context.from }))
    const { value, error } = await settle(toCallee.call('sum', { a: 2, b: 3 }))
    expect(error).toBeUndefined()
    expect(value).toEqual({ sum: 5, from: caller.id })
  })

  it('serves a call to this node in-process with the same semantics', async () => {
    await setup()
    caller.handle('whoami', (_args, context) => context.from)
    const self = caller.loadBalancer({ name: 'self', algorithm: named('n1'), nodeMatch: ['n1'] })
    const { value, error } = await settle(self.call('whoami'))
    expect(error).toBeUndefined()
    expect(value).toBe(caller.id)
  })

  it('answers an unknown method with BAD_REQUEST', async () => {
    await setup()
    const { error } = await settle(toCallee.call('missing'))
    expect(error).toBeInstanceOf(BadRequestError)
    expect((error as BadRequestError).message).toMatch(/unknown method "missing"/)
  })

  it("turns a handler's throw into a typed remote error", async () => {
    await setup()
    callee.handle('explode', () => { throw new TypeError('wires crossed') })
    const { error } = await settle(toCallee.call('explode'))
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', remoteName: 'TypeError', message: 'wires crossed', peer: callee.id })
  })

  it('lets a handler reject its arguments with BAD_REQUEST', async () => {
    await setup()
    callee.handle('strict', (args: unknown) => {
      if (typeof args !== 'number') throw new BadRequestError('expected a number')
      return args
    })
    const { error } = await settle(toCallee.call('strict', 'seven'))
    expect(error).toBeInstanceOf(BadRequestError)
  })

  it('rejects arguments the codec cannot encode with BAD_REQUEST, before sending', async () => {
    await setup()
    const { error } = await settle(toCallee.call('sum', { big: 10n }))
    expect(error).toBeInstanceOf(BadRequestError)
  })

  it('times out a slow call at its timeout and aborts the handler', async () => {
    await setup()
    let handlerAborted = false
    callee.handle('slow', async (_args, { signal }) => {
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { handlerAborted = true; resolve() }) })
    })
    const { error, after } = await settle(toCallee.call('slow', null, { timeoutMs: 300 }))
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(after).toBeGreaterThanOrEqual(300)
    expect(after).toBeLessThan(320)
    await mesh.clock.advance(10)
    expect(handlerAborted).toBe(true)
  })

  it('times out at its timeout also when the transport does not watch the signal', async () => {
    await setup()
    callee.handle('slow', async () => { await new Promise<void>(resolve => { mesh.clock.setTimeout(resolve, 5000) }); return 'late' })
    // A transport step that ignores the abort (a dial, a stream negotiation) must not hold the call.
    const transport = mesh.network.transport(caller.id)!
    const request = transport.request.bind(transport)
    transport.request = async (peer, protocol, data, options) => await request(peer, protocol, data, { ...options, signal: new AbortController().signal })
    const { error, after } = await settle(toCallee.call('slow', null, { timeoutMs: 300 }))
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(after).toBeLessThan(320)
  })

  it('fails a call with SERVICE_UNAVAILABLE when the callee goes away mid-call', async () => {
    await setup()
    callee.handle('hang', async () => await new Promise(() => {}))
    const pending = settle(toCallee.call('hang', null, { timeoutMs: 5000 }))
    await mesh.clock.advance(10)
    await mesh.network.transport(callee.id)!.stop()
    const { error, after } = await pending
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect(after).toBeLessThan(5000)
  })

  it('settles with REQUEST_TIMEOUT when a partition swallows the response', async () => {
    await setup()
    callee.handle('late', async () => {
      mesh.network.partition([caller.id], [callee.id])
      return 'lost'
    })
    const { error } = await settle(toCallee.call('late', null, { timeoutMs: 400 }))
    expect(error).toBeInstanceOf(RequestTimeoutError)
  })

  it('fails calls in flight with SERVICE_UNAVAILABLE when the caller stops', async () => {
    await setup()
    callee.handle('hang', async () => await new Promise(() => {}))
    const pending = settle(toCallee.call('hang', null, { timeoutMs: 5000 }))
    await mesh.clock.advance(10)
    await caller.stop()
    const { error } = await pending
    expect(error).toBeInstanceOf(ServiceUnavailableError)
  })

  it('casts without waiting for the handler', async () => {
    await setup()
    const received: unknown[] = []
    callee.handle('note', (args: unknown) => { received.push(args) })
    const { error } = await settle(toCallee.cast('note', { n: 1 }))
    expect(error).toBeUndefined()
    await mesh.clock.advance(5)
    expect(received).toEqual([{ n: 1 }])
  })

  it('gossips the calls a node is serving as its load in the group', async () => {
    await setup()
    let release = (): void => {}
    callee.handle('hold', async () => { await new Promise<void>(resolve => { release = resolve }) })
    const pending = settle(toCallee.call('hold'))
    await mesh.clock.advanceUntil(() => toCallee.getMembers()[0]?.load === 1, 500)
    release()
    await pending
    await mesh.clock.advanceUntil(() => toCallee.getMembers()[0]?.load === 0, 500)
  })

  it('serves a call without rebuilding its own record or view when the load moves insignificantly: it goes out with the next publish', async () => {
    // Probes far apart, so that nothing but the call could change a view while it runs, and one call below the
    // significance rule (10 calls).
    mesh = await startMesh(2, { probeIntervalMs: 10_000, loadChangeMin: 10 })
    ;[caller, callee] = mesh.nodes as [Cluster, Cluster]
    const own = callee.loadBalancer({ name: 'api', algorithm: named('n2') })
    toCallee = caller.loadBalancer({ name: 'api', algorithm: named('n2'), nodeMatch: ['n2'] })
    await mesh.clock.advanceUntil(() => toCallee.getMembers().length === 1 && own.getMembers().length === 1, 1000)
    const members = callee.members()
    const self = callee.self()
    const groupView = own.getMembers()
    let entered = false
    let release = (): void => {}
    callee.handle('hold', async () => { entered = true; await new Promise<void>(resolve => { release = resolve }) })
    const pending = settle(toCallee.call('hold'))
    await mesh.clock.advanceUntil(() => entered, 500)
    // The member list is cached per table version and the group view refreshes only when it moved: same objects.
    expect(callee.members()).toBe(members)
    expect(callee.self()).toBe(self)
    expect(own.getMembers()).toBe(groupView)
    release()
    expect((await pending).error).toBeUndefined()
    expect(callee.members()).toBe(members)
    expect(own.getMembers()).toBe(groupView)
    expect(callee.self().groups.get('api')).toBe(0)
  })

  it('settles every one of many concurrent calls', async () => {
    await setup()
    callee.handle('echo', (args: unknown) => args)
    callee.handle('fail', () => { throw new Error('no') })
    const calls = Array.from({ length: 500 }, (_, i) => toCallee.call(i % 5 === 0 ? 'fail' : 'echo', i, { timeoutMs: 1000 }))
    const settled = settle(Promise.allSettled(calls))
    const { value } = await settled
    expect(value).toHaveLength(500)
    expect(value!.filter(result => result.status === 'fulfilled')).toHaveLength(400)
    expect(value!.filter(result => result.status === 'rejected').every(r => (r as PromiseRejectedResult).reason instanceof RemoteError)).toBe(true)
  })
})
