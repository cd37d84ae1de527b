import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from '@jest/globals'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { createCluster, silentLogger } from '@meshbalancer/core'
import { broadcastTopic, claimsTopic, encodeClaim, memberRecord, signRecord, stateTopic } from '@meshbalancer/core/protocol'
import { ManualClock, MemoryNetwork } from '@meshbalancer/core/testing'
import { instrumentCluster, metricsHandler, UNKNOWN_METHOD } from '../src/index.js'
import type { AddressInfo } from 'node:net'
import type { Cluster, Member, SelectionAlgorithm } from '@meshbalancer/core'
import type { MetricFamily } from 'parse-prometheus-text-format'

const first: SelectionAlgorithm = { name: 'first', chooseFromNodes: nodes => nodes.find(node => !node.local) ?? nodes[0] as Member }
const FAST = { probeIntervalMs: 100, probeTimeoutMs: 50, minPublishIntervalMs: 10, logger: silentLogger }

describe('cluster metrics', () => {
  const nodes: Cluster[] = []
  afterEach(async () => { for (const node of nodes.splice(0)) await node.stop() })

  it('exposes members, records, picks, calls and shedding as Prometheus text that parses', async () => {
    const clock = new ManualClock(1000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    for (const name of ['a', 'b']) nodes.push(await createCluster({ name, transport: network.createTransport(`id-${name}`), clock, incarnation: 1, ...FAST }))
    const [a, b] = nodes as [Cluster, Cluster]
    const { registry } = instrumentCluster(a)
    b.handle('echo', (x: unknown) => x)
    b.handle('fail', () => { throw new Error('no') })
    b.loadBalancer({ name: 'api', algorithm: first })
    const api = a.loadBalancer({ name: 'api', algorithm: first, nodeMatch: [] })
    await clock.advanceUntil(() => api.getMembers().length === 1, 1000)
    const settle = async (call: Promise<unknown>): Promise<void> => {
      let done = false
      void call.then(() => { done = true }, () => { done = true })
      await clock.advanceUntil(() => done, 1000, 1)
    }
    for (let i = 0; i < 3; i++) await settle(api.call('echo', i))
    await settle(api.call('fail'))
    await settle(api.call('missing'))
    // A forged record: its sender claims b's identity.
    const liar = network.createTransport('liar')
    await liar.start()
    await liar.publish(stateTopic('default'), await signRecord(memberRecord({ origin: b.id, name: 'b', incarnation: 9, sequence: 1, status: 'left' }), async payload => await liar.sign(payload)))
    // Broadcasts: one published here, two received from b, one refused (the liar is no member).
    a.subscribe('chat', () => {})
    await clock.advance(2)
    await a.publish('chat', 'from a')
    for (const text of ['one', 'two']) await b.publish('chat', text)
    await liar.publish(broadcastTopic('default', 'chat'), new Uint8Array([1, 2, 3]))
    // A claim that b failed, from the liar, which no member knows.
    await liar.publish(claimsTopic('default'), encodeClaim({ claimant: liar.id, subject: b.id, incarnation: 1, sequence: 1 }))
    // b sheds in the namespace too, with rounds too far apart to run in this test.
    b.shedder({ namespace: 'ws', roundDurationSeconds: 3600, implementation: { count: () => 100, killProcesses: async () => 0 } }).announce(100)
    a.shedder({ namespace: 'ws', roundDurationSeconds: 1, implementation: { count: () => 500, killProcesses: async n => n } }).announce(500)
    // Past the settling of the view (a and b exchanged their states when they met) and a whole shedding round of 1 s.
    await clock.advance(1400)

    const families = parsePrometheusTextFormat(await registry.metrics())
    const family = (name: string): MetricFamily => {
      const found = families.find(f => f.name === name)
      if (found === undefined) throw new Error(`no metric ${name}`)
      return found
    }
    const value = (name: string, labels: Record<string, string> = {}): number =>
      Number(family(name).metrics.find(m => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? Number.NaN)

    expect(value('meshbalancer_members', { status: 'active', liveness: 'alive' })).toBe(2)
    expect(value('meshbalancer_records_published_total')).toBeGreaterThan(0)
    expect(value('meshbalancer_records_accepted_total')).toBeGreaterThan(0)
    expect(value('meshbalancer_records_rejected_total', { reason: 'origin-mismatch' })).toBe(1)
    // a and b exchanged their states when they met.
    expect(value('meshbalancer_sync_exchanges_total', { outcome: 'completed' }) + value('meshbalancer_sync_exchanges_total', { outcome: 'served' })).toBeGreaterThan(0)
    expect(value('meshbalancer_sync_rejected_total', { reason: 'bad-signature' })).toBe(0)
    expect(value('meshbalancer_probes_sent_total')).toBeGreaterThan(0)
    expect(value('meshbalancer_probes_failed_total')).toBe(0)
    expect(value('meshbalancer_claims_rejected_total', { reason: 'unknown-claimant' })).toBe(1)
    expect(value('meshbalancer_claims_accepted_total')).toBe(0)
    expect(value('meshbalancer_local_health')).toBe(0)
    expect(value('meshbalancer_broadcasts_published_total')).toBe(1)
    expect(value('meshbalancer_broadcasts_delivered_total')).toBe(2)
    expect(value('meshbalancer_broadcasts_rejected_total', { reason: 'not-member' })).toBe(1)
    expect(value('meshbalancer_picks_total', { balancer: 'api', algorithm: 'first' })).toBe(5)
    expect(value('meshbalancer_rpc_calls_total', { method: 'echo', outcome: 'ok' })).toBe(3)
    expect(value('meshbalancer_rpc_calls_total', { method: 'fail', outcome: 'REMOTE_ERROR' })).toBe(1)
    expect(value('meshbalancer_rpc_calls_total', { method: 'missing', outcome: 'BAD_REQUEST' })).toBe(1)
    expect(family('meshbalancer_rpc_call_duration_seconds').type).toBe('HISTOGRAM')
    expect(value('meshbalancer_shed_rounds_total', { namespace: 'ws', result: 'shed' })).toBeGreaterThanOrEqual(1)
    expect(value('meshbalancer_shed_connections_total', { namespace: 'ws' })).toBeGreaterThan(0)
    expect(value('meshbalancer_shed_count', { namespace: 'ws' })).toBe(500)
  })

  it('labels served calls of unknown methods alike, however many names callers send', async () => {
    const clock = new ManualClock(1000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    for (const name of ['a', 'b']) nodes.push(await createCluster({ name, transport: network.createTransport(`id-${name}`), clock, incarnation: 1, ...FAST }))
    const [a, b] = nodes as [Cluster, Cluster]
    const { registry } = instrumentCluster(b)
    b.handle('echo', (x: unknown) => x)
    b.loadBalancer({ name: 'api', algorithm: first })
    const api = a.loadBalancer({ name: 'api', algorithm: first, nodeMatch: [] })
    await clock.advanceUntil(() => api.getMembers().length === 1, 1000)
    const calls = [api.call('echo', 1), ...Array.from({ length: 50 }, (_, i) => api.call(`no-such-method-${i}`))]
    let done = false
    void Promise.allSettled(calls).then(() => { done = true })
    await clock.advanceUntil(() => done, 1000, 1)

    const served = parsePrometheusTextFormat(await registry.metrics()).find(f => f.name === 'meshbalancer_rpc_served_total')
    const labels = served?.metrics.map(m => `${m.labels?.method ?? ''}/${m.labels?.outcome ?? ''}`).sort()
    expect(labels).toEqual(['echo/ok', `${UNKNOWN_METHOD}/BAD_REQUEST`])
    expect(Number(served?.metrics.find(m => m.labels?.method === UNKNOWN_METHOD)?.value)).toBe(50)
  })

  it('serves them at /metrics with the Prometheus content type', async () => {
    const network = new MemoryNetwork()
    nodes.push(await createCluster({ name: 'a', transport: network.createTransport(), ...FAST }))
    const { registry } = instrumentCluster(nodes[0]!)
    const server = createServer(metricsHandler(registry))
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const families = parsePrometheusTextFormat(await response.text())
      expect(families.map(f => f.name)).toContain('meshbalancer_members')
    } finally {
      server.close()
    }
  })
})
