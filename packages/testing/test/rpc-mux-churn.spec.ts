import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { MeshbalancerError, RequestTimeoutError, silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { NodeProcess } from '../src/index.js'
import type { Cluster, LoadBalancer } from '@meshbalancer/core'

/** Calls made while callees crash and restart. */
const CALLS = Number(process.env.MESHBALANCER_CHURN_CALLS ?? 100_000)
const CONCURRENCY = 64
const CALL_TIMEOUT_MS = 2000

// The caller is a node in this test process, so that every call's outcome and any unhandled rejection is seen here;
// three callees are `meshbalancer node` processes, killed and restarted (with their key files) while calls run.
describe('multiplexed RPC while callees crash and restart', () => {
  let dir: string
  let caller: Cluster
  let api: LoadBalancer
  const callees: NodeProcess[] = []
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  const calleeArgs = (name: string): string[] => ['--join', `${caller.self().addresses[0]!}/p2p/${caller.id}`, '--group', 'api', '--demo-methods', '--key-file', join(dir, `${name}.key`)]

  const members = (): number => api.getMembers().length
  async function until (condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    dir = mkdtempSync(join(tmpdir(), 'meshbalancer-mux-churn-'))
    caller = await createNode({ name: 'caller', logger: silentLogger })
    api = caller.loadBalancer({ name: 'api', algorithm: { name: 'random', chooseFromNodes: nodes => nodes[Math.floor(Math.random() * nodes.length)]! }, nodeMatch: [] })
    for (const name of ['c1', 'c2', 'c3']) callees.push(new NodeProcess(name, calleeArgs(name)))
    await Promise.all(callees.map(async callee => await callee.ready()))
    await until(() => members() === 3, 'three callees in group api')
  })

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await caller?.stop()
    await Promise.all(callees.map(async callee => { await callee.kill() }))
    rmSync(dir, { recursive: true, force: true })
  })

  it(`settles all of ${CALLS.toLocaleString('en')} calls with a result or a typed error while callees are killed and restarted`, async () => {
    const tally = { settled: 0, ok: 0, errors: {} as Record<string, number>, untyped: [] as unknown[] }
    let next = 0
    const calling = Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        next++
        try {
          await api.call('echo', next, { timeoutMs: CALL_TIMEOUT_MS })
          tally.ok++
        } catch (err) {
          if (err instanceof MeshbalancerError) tally.errors[err.code] = (tally.errors[err.code] ?? 0) + 1
          else tally.untyped.push(err)
        }
        tally.settled++
      }
    }))
    let done = false
    void calling.finally(() => { done = true })

    // Kill one callee after another with SIGKILL while the calls run, and bring it back with the same identity.
    let kills = 0
    for (let i = 0; !done; i = (i + 1) % callees.length) {
      await until(() => done || tally.settled > (kills + 1) * CALLS / 8, 'calls going on', 120_000)
      if (done) break
      const victim = callees[i]!
      victim.signal('SIGKILL')
      await victim.exited
      kills++
      const restarted = new NodeProcess(victim.name, calleeArgs(victim.name))
      callees[i] = restarted
      await restarted.ready()
      expect(restarted.id).toBe(victim.id)
    }
    await calling
    process.stdout.write(`  [rpc-mux-churn] ${tally.settled} calls, ${kills} kills: ${tally.ok} ok, ${JSON.stringify(tally.errors)}\n`)
    expect(tally.untyped).toEqual([])
    expect(tally.settled).toBe(CALLS)
    expect(kills).toBeGreaterThanOrEqual(3)
    expect(tally.ok).toBeGreaterThan(CALLS / 2)
    for (const code of Object.keys(tally.errors)) expect(['SERVICE_UNAVAILABLE', 'REQUEST_TIMEOUT']).toContain(code)
    expect(unhandled).toEqual([])
    // The restarted callees serve again.
    await until(() => members() === 3, 'the three callees back in group api')
  }, 300_000)

  it('fails a call whose callee is stopped (SIGSTOP) mid-call with REQUEST_TIMEOUT within the timeout plus 100 ms', async () => {
    const victim = callees[1]!
    await until(() => api.getMembers().some(member => member.id === victim.id), `${victim.name} in group api`)
    const toVictim = caller.loadBalancer({ name: 'api', algorithm: { name: 'victim', chooseFromNodes: nodes => nodes.find(node => node.id === victim.id) ?? nodes[0]! }, nodeMatch: [] })
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now()
        const pending = toVictim.call('sleep', { ms: 10_000 }, { timeoutMs: 500 }).catch((err: unknown) => err)
        await new Promise(resolve => setTimeout(resolve, 100))
        victim.signal('SIGSTOP')
        const error = await pending
        const elapsed = performance.now() - started
        victim.signal('SIGCONT')
        expect(error).toBeInstanceOf(RequestTimeoutError)
        expect(elapsed).toBeLessThanOrEqual(500 + 100)
      }
    } finally {
      victim.signal('SIGCONT')
      toVictim.close()
    }
  })
})
