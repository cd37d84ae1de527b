import { afterEach, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { ReconnectingClient, startWebsocketService } from '../src/index.js'
import type { WebsocketService } from '../src/index.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
async function until (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await sleep(25)
  }
}

describe('the WebSocket service', () => {
  const services: WebsocketService[] = []
  const clients: ReconnectingClient[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.stop()
    for (const service of services.splice(0)) await service.stop()
  })

  async function start (name: string, join: readonly string[] = []): Promise<WebsocketService> {
    const service = await startWebsocketService({
      name,
      join,
      logger: silentLogger,
      drainWithinMs: 1000,
      shed: { roundDurationSeconds: 0.5, allowedAverageDeviationPercent: 2, minShedCount: 5 }
    })
    services.push(service)
    return service
  }

  const hints: string[] = []
  function connect (count: number, pick: () => string | undefined): void {
    for (let i = 0; i < count; i++) {
      const client = new ReconnectingClient({ pick, jitterMs: 100, resolveHint: hint => { hints.push(hint); return hint } })
      clients.push(client)
      client.start()
    }
  }

  it('sheds its excess with the reconnect code, and the clients follow the hint to the emptier server', async () => {
    const a = await start('a')
    connect(200, () => a.url)
    // Alone, a sheds nothing: all 200 arrive before there is anywhere to shed to (on a busy machine, connecting
    // them can outlast a round, and a would shed while they arrive).
    await until(() => a.count() === 200, 10_000, '200 clients on a')
    const b = await start('b', a.node.self().addresses)
    await until(() => a.count() === 100 && b.count() === 100, 15_000, 'an even split')
    const stats = clients.map(client => client.stats)
    expect(stats.reduce((sum, s) => sum + s.plannedCloses, 0)).toBe(100)
    expect(stats.reduce((sum, s) => sum + s.unexpectedCloses + s.errors, 0)).toBe(0)
    // A client knows where it landed from the greeting, which may still be on its way when b counts the socket.
    await until(() => clients.filter(client => client.server === b.url).length >= 100, 5000, 'the moved clients greeted by b')
    expect(clients.filter(client => client.server === b.url)).toHaveLength(100)
    // Each hint names b beside its address, for a front door to route on.
    expect(new Set(hints.splice(0))).toEqual(new Set([`${b.url}/?node=b`]))
  })

  it('answers its health check with 200, and 503 while it drains on the way out', async () => {
    const a = await start('a')
    const b = await start('b', a.node.self().addresses)
    let aInRotation = true
    // Like DNS with health checks: a leaves the rotation before it stops.
    connect(60, () => aInRotation ? a.url : b.url)
    await until(() => a.count() + b.count() === 60, 10_000, 'all connected')
    const health = async (service: WebsocketService): Promise<number> => (await fetch(service.url.replace('ws:', 'http:') + '/health')).status
    expect(await health(a)).toBe(200)
    aInRotation = false
    const stopping = a.stop()
    await until(() => a.node.self().status === 'draining', 2000, 'draining')
    expect(await health(a)).toBe(503)
    await stopping
    services.splice(services.indexOf(a), 1)
    await until(() => b.count() === 60, 10_000, 'every client on b')
    expect(clients.reduce((sum, client) => sum + client.stats.unexpectedCloses + client.stats.errors, 0)).toBe(0)
    // The drain handed everyone over with a hint: no client was left to find its own way.
    expect(clients.every(client => client.stats.plannedCloses === 1)).toBe(true)
  })

  it('sends a client that arrives while it drains on at once, and refuses connections once it stops', async () => {
    const a = await start('a')
    // Like a front door whose health check has not yet seen the drain: every client still goes to a.
    let target = a.url
    // All 40 land on a before b starts. With b there, a's shedding (a round every 0.5 s) could send some of them to
    // b before the last had connected, and a would never hold 40.
    connect(40, () => target)
    await until(() => a.count() === 40, 10_000, '40 clients on a')
    const b = await start('b', a.node.self().addresses)
    // b as a shedder of the same namespace, the target of a's drain.
    await until(() => a.node.member(b.node.id)?.shedding.size === 1, 10_000, 'a seeing b shed')
    const stopping = a.stop()
    await until(() => a.node.self().status === 'draining', 2000, 'draining')
    const late = new ReconnectingClient({ pick: () => target, jitterMs: 50 })
    clients.push(late)
    late.start()
    await until(() => late.stats.plannedCloses >= 1, 5000, 'the late client sent on')
    target = b.url
    await stopping
    services.splice(services.indexOf(a), 1)
    await until(() => b.count() === 41, 10_000, 'every client on b')
    // No client was taken in and then cut off; the only errors are refused connections to the stopped server.
    expect(clients.reduce((sum, client) => sum + client.stats.unexpectedCloses, 0)).toBe(0)
    const problems = clients.flatMap(client => Object.keys(client.stats.problems))
    expect(problems.every(problem => problem.includes('ECONNREFUSED'))).toBe(true)
  })
})
