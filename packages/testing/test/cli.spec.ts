import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { NodeProcess } from '../src/node-process.js'
import { freePort } from '../src/ports.js'

describe('the meshbalancer command', () => {
  const nodes: NodeProcess[] = []
  let caller: NodeProcess
  let metricsPort: number

  beforeAll(async () => {
    metricsPort = await freePort()
    const seed = await new NodeProcess('callee-a', ['--demo-methods', '--group', 'api', '--metrics-port', String(metricsPort)]).ready()
    nodes.push(seed, await new NodeProcess('callee-b', ['--demo-methods', '--group', 'api', '--join', seed.address]).ready())
    caller = await new NodeProcess('caller', ['--algorithm', 'roundRobin', '--join', seed.address]).ready()
    nodes.push(caller)
    await caller.until(() => ['callee-a', 'callee-b'].every(name => caller.sees(name)?.groups.api !== undefined), 20_000, 'both callees in group api')
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async node => { await node.terminate() }))
  })

  it('calls through the algorithm --algorithm names', async () => {
    const served: string[] = []
    for (let i = 0; i < 6; i++) {
      const result = await caller.ask('call api echo {}', 'call:result')
      served.push((result.result as { node: string }).node)
    }
    // Round robin alternates between the two callees; power of two choices (the default) would not be bound to.
    expect(new Set(served)).toEqual(new Set(['callee-a', 'callee-b']))
    for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1])
  })

  it('calls and casts to a member named by id or name with --to', async () => {
    const callee = nodes[1]!
    const byName = await caller.ask('call --to callee-b echo {"n":1}', 'call:result')
    expect(byName).toMatchObject({ to: 'callee-b', result: { args: { n: 1 }, node: 'callee-b' } })
    const byId = await caller.ask(`call --to ${callee.id} echo {"n":2}`, 'call:result')
    expect(byId).toMatchObject({ result: { args: { n: 2 }, node: 'callee-b' } })
    const unknown = await caller.ask('call --to nobody echo {}', 'call:error')
    expect(unknown).toMatchObject({ to: 'nobody', code: 'SERVICE_UNAVAILABLE' })
    expect(await caller.ask('cast --to callee-a echo {}', 'cast:sent')).toMatchObject({ to: 'callee-a', method: 'echo' })
    expect(await caller.ask('cast --to nobody echo {}', 'cast:error')).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
  })

  it('serves the cluster\'s metrics and libp2p\'s from one registry with --metrics-port', async () => {
    await nodes[0]!.until(() => nodes[0]!.sees('caller') !== undefined, 20_000, 'the caller seen')
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    // @meshbalancer/metrics, wired by the command.
    expect(text).toMatch(/^meshbalancer_members\{status="active",liveness="alive"\} 3$/m)
    // The service's gauges, registered with libp2p's metrics, and libp2p's own.
    expect(text).toMatch(/^libp2p_meshbalancer_members\{status="active"\} 3$/m)
    expect(text).toMatch(/^libp2p_meshbalancer_records_total\{outcome="accepted"\} [1-9]\d*$/m)
    expect(text).toMatch(/^libp2p_connection_manager_connections\{/m)
  })

  it('exports the service\'s record totals as they are, however often they are scraped', async () => {
    const accepted = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      return Number(/^libp2p_meshbalancer_records_total\{outcome="accepted"\} (\d+)$/m.exec(text)?.[1])
    }
    const recordsAccepted = async (): Promise<number> => (await nodes[0]!.ask('stats', 'stats')).recordsAccepted as number
    // With nothing accepted before the first scrape, a sum of totals would equal the total: wait for one.
    const deadline = Date.now() + 20_000
    while (await recordsAccepted() === 0) {
      if (Date.now() > deadline) throw new Error('no record accepted within 20 s')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await accepted()
    const before = await recordsAccepted()
    const scraped = await accepted()
    const after = await recordsAccepted()
    // Between the node's own totals read before and after the scrape, not their sum over the scrapes so far.
    expect(before).toBeGreaterThan(0)
    expect(scraped).toBeGreaterThanOrEqual(before)
    expect(scraped).toBeLessThanOrEqual(after)
  })
})
