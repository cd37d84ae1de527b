import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { powerOfTwo } from '@meshbalancer/algorithms'
import { BadRequestError, MeshbalancerError, RemoteError, RequestTimeoutError, ServiceUnavailableError, silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { NodeProcess } from '../src/node-process.js'
import type { Cluster, LoadBalancer } from '@meshbalancer/core'

// The caller is a libp2p node in this test process; the callees are separate `meshbalancer node` processes.
describe('rpc across processes', () => {
  let callees: NodeProcess[] = []
  let caller: Cluster
  let api: LoadBalancer

  beforeAll(async () => {
    const seed = await new NodeProcess('callee-1', ['--demo-methods', '--group', 'api']).ready()
    const second = await new NodeProcess('callee-2', ['--demo-methods', '--group', 'api', '--join', seed.address]).ready()
    callees = [seed, second]
    caller = await createNode({ name: 'caller', join: [seed.address], logger: silentLogger })
    api = caller.loadBalancer({ name: 'api', algorithm: powerOfTwo(), nodeMatch: [] })
    const deadline = Date.now() + 20_000
    while (api.getMembers().length < 2) {
      if (Date.now() > deadline) throw new Error('the callees did not join group api within 20 s')
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  })

  afterAll(async () => {
    await caller?.stop()
    await Promise.all(callees.map(async callee => { await callee.kill() }))
  })

  it("returns the handler's result", async () => {
    const result = await api.call<{ args: unknown, node: string }>('echo', { n: 7, text: 'héllo' })
    expect(result.args).toEqual({ n: 7, text: 'héllo' })
    expect(['callee-1', 'callee-2']).toContain(result.node)
  })

  it('answers an unknown method with BAD_REQUEST', async () => {
    await expect(api.call('no-such-method')).rejects.toBeInstanceOf(BadRequestError)
  })

  it("turns a handler's throw into a typed remote error", async () => {
    const error = await api.call('fail', { message: 'disk full' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', remoteName: 'Error', message: 'disk full' })
  })

  it('times out a call that outlasts its timeout', async () => {
    const started = Date.now()
    await expect(api.call('sleep', { ms: 5000 }, { timeoutMs: 300 })).rejects.toBeInstanceOf(RequestTimeoutError)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('settles all of 10,000 calls made in a loop, each with a result or a typed error', async () => {
    const outcomes = { ok: 0, remote: 0, other: [] as unknown[] }
    const inFlight = new Set<Promise<void>>()
    for (let i = 0; i < 10_000; i++) {
      const call = api.call(i % 10 === 0 ? 'fail' : 'echo', i, { timeoutMs: 10_000 }).then(
        () => { outcomes.ok++ },
        (err: unknown) => { if (err instanceof RemoteError) outcomes.remote++; else outcomes.other.push(err) }
      )
      const tracked = call.finally(() => { inFlight.delete(tracked) })
      inFlight.add(tracked)
      if (inFlight.size >= 64) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    expect(outcomes.other).toEqual([])
    expect(outcomes).toMatchObject({ ok: 9000, remote: 1000 })
  })

  it('calls the member named by its id or its name, and that member answers', async () => {
    for (const callee of callees) {
      for (const target of [callee.id, callee.name]) {
        const result = await caller.call<{ args: unknown, node: string }>(target, 'echo', { to: target })
        expect(result).toEqual({ args: { to: target }, node: callee.name })
      }
    }
    const entry = caller.members().find(member => member.name === 'callee-2')!
    expect(await caller.call(entry, 'echo', 1)).toEqual({ args: 1, node: 'callee-2' })
  })

  it('fails a call or cast to an unknown name or id with SERVICE_UNAVAILABLE', async () => {
    const unknownId = '12D3KooWNobodyNobodyNobodyNobodyNobodyNobodyNobody'
    for (const target of ['nobody', unknownId]) {
      await expect(caller.call(target, 'echo', {})).rejects.toBeInstanceOf(ServiceUnavailableError)
      await expect(caller.cast(target, 'echo', {})).rejects.toBeInstanceOf(ServiceUnavailableError)
    }
    await expect(caller.cast('callee-1', 'echo', {})).resolves.toBeUndefined()
  })

  it('times out a call to a named member with REQUEST_TIMEOUT, and answers its unknown method with BAD_REQUEST', async () => {
    await expect(caller.call('callee-1', 'sleep', { ms: 5000 }, { timeoutMs: 300 })).rejects.toBeInstanceOf(RequestTimeoutError)
    await expect(caller.call('callee-1', 'no-such-method')).rejects.toBeInstanceOf(BadRequestError)
  })

  it('fails a call whose callee is killed mid-call with SERVICE_UNAVAILABLE or REQUEST_TIMEOUT, within the timeout', async () => {
    const victim = callees[1]!
    const toVictim = caller.loadBalancer({ name: 'api', algorithm: { name: 'victim', chooseFromNodes: nodes => nodes.find(node => node.id === victim.id) ?? nodes[0]! }, nodeMatch: [] })
    const started = Date.now()
    const pending = toVictim.call('sleep', { ms: 30_000 }, { timeoutMs: 5000 }).catch((err: unknown) => err)
    await new Promise(resolve => setTimeout(resolve, 300))
    victim.signal('SIGKILL')
    const error = await pending
    expect(error).toBeInstanceOf(MeshbalancerError)
    expect([ServiceUnavailableError, RequestTimeoutError].some(type => error instanceof type)).toBe(true)
    expect(Date.now() - started).toBeLessThanOrEqual(5000 + 500)
  })

  it('lets a CLI node call a group and print the result', async () => {
    const cliCaller = await new NodeProcess('cli-caller', ['--join', callees[0]!.address]).ready()
    try {
      await cliCaller.until(() => cliCaller.sees('callee-1')?.groups.api !== undefined, 20_000, 'callee-1 in group api')
      cliCaller.send('call api echo {"from":"cli"}')
      const printed = await cliCaller.next(event => event.event === 'call:result' || event.event === 'call:error', 15_000)
      expect(printed).toMatchObject({ event: 'call:result', result: { args: { from: 'cli' }, node: 'callee-1' } })
    } finally {
      await cliCaller.kill()
    }
  })
})
