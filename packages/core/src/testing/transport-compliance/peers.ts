import { bytes, text } from './harness.js'
import type { SuiteContext } from './context.js'
import type { OptionalTransportFeature } from './harness.js'
import type { JestApi } from './jest-api.js'
import type { Transport } from '../../transport/transport.js'

/** Listens with a fresh listener and returns the peers it heard disconnect, in order. */
function listen (transport: Transport): string[] {
  const heard: string[] = []
  transport.watchPeers?.({ disconnected: peer => { heard.push(peer) } })
  return heard
}

/** Checks that `client` still reaches `server`, on a fresh protocol. */
async function stillServes (expect: JestApi['expect'], client: Transport, server: Transport): Promise<void> {
  const protocol = `/meshbalancer-compliance/alive-${process.pid}-${Math.random().toString(36).slice(2)}/1.0.0`
  server.handleRequests(protocol, async () => bytes('alive'))
  const response = await client.request(server.id, protocol, bytes('?'), { signal: AbortSignal.timeout(30_000), expectResponse: true })
  server.unhandleRequests(protocol)
  expect(text(response)).toBe('alive')
}

/** Identity, lifecycle and connectivity: ids, addresses, start and stop, peer events, connections, forgetting. */
export function peerTests (context: SuiteContext): void {
  const { expect, it } = context.jest
  const optional = (feature: OptionalTransportFeature): typeof it.skip => context.has(feature) ? it : it.skip

  it('has a distinct, non-empty id and at least one address', async () => {
    const { transports } = await context.peers(3)
    const ids = transports.map(transport => transport.id)
    expect(new Set(ids).size).toBe(3)
    for (const transport of transports) {
      expect(typeof transport.id).toBe('string')
      expect(transport.id.length).toBeGreaterThan(0)
      const addresses = transport.addresses()
      expect(addresses.length).toBeGreaterThan(0)
      for (const address of addresses) expect(typeof address === 'string' && address.length > 0).toBe(true)
    }
  })

  it('treats a second start and a second stop as no-ops', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    await a.start()
    await stillServes(expect, a, b)
    await stillServes(expect, b, a)
    await b.stop()
    await expect(b.stop()).resolves.toBeUndefined()
  })

  optional('watchPeers')('calls every listener when a connection closes, on both ends', async () => {
    const { transports, disconnect } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    const first = listen(a)
    const second = listen(a)
    const onB = listen(b)
    await disconnect(a, b)
    await context.until(() => first.includes(b.id) && second.includes(b.id), 'both listeners heard the disconnection')
    await context.until(() => onB.includes(a.id), 'the other end heard the disconnection')
  })

  optional('watchPeers')('tells the remaining peers when a peer stops', async () => {
    const { transports } = await context.peers(3)
    const [a, b, c] = transports as [Transport, Transport, Transport]
    const onA = listen(a)
    const onB = listen(b)
    await c.stop()
    await context.until(() => onA.includes(c.id) && onB.includes(c.id), 'both peers heard the stopped one go')
    expect(onA).not.toContain(b.id)
    expect(onB).not.toContain(a.id)
  })

  optional('connectedPeers')('lists the peers it is connected to, never itself, and drops one that stopped', async () => {
    const { transports } = await context.peers(3)
    const [a, b, c] = transports as [Transport, Transport, Transport]
    const connected = (transport: Transport): string[] => [...(transport.connectedPeers?.() ?? [])].sort()
    await context.until(() => transports.every(t => connected(t).length === 2), 'every peer lists the two others')
    expect(connected(a)).toEqual([b.id, c.id].sort())
    expect(connected(a)).not.toContain(a.id)
    await c.stop()
    await context.until(() => !connected(a).includes(c.id) && !connected(b).includes(c.id), 'the stopped peer is no longer listed')
    expect(connected(a)).toEqual([b.id])
  })

  optional('ping')('measures a round trip to a peer, and fails with SERVICE_UNAVAILABLE once the peer stopped', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    const rtt = await a.ping!(b.id, { signal: AbortSignal.timeout(30_000) })
    expect(typeof rtt === 'number' && rtt >= 0 && Number.isFinite(rtt)).toBe(true)
    await b.stop()
    await expect(a.ping!(b.id, { signal: AbortSignal.timeout(30_000) })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
  })

  optional('ping')('rejects a ping with the signal\'s reason when it is aborted', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    const controller = new AbortController()
    const reason = new Error('probe timed out')
    controller.abort(reason)
    await expect(a.ping!(b.id, { signal: controller.signal })).rejects.toBe(reason)
  })

  optional('penalize')('accepts a penalty for any peer, and a penalised peer still serves requests', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    expect(() => { a.penalize?.(b.id, 'false-claims') }).not.toThrow()
    expect(() => { a.penalize?.('no-such-peer', 'false-claims') }).not.toThrow()
    await stillServes(expect, a, b)
  })

  optional('forgetPeer')('keeps a peer that is still there reachable after forgetting it, and accepts any id', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [Transport, Transport]
    a.forgetPeer?.(b.id, 'dead')
    await stillServes(expect, a, b)
    a.forgetPeer?.(b.id, 'left')
    await stillServes(expect, a, b)
    expect(() => { a.forgetPeer?.('no-such-peer', 'dead') }).not.toThrow()
    expect(() => { a.forgetPeer?.('no-such-peer', 'left') }).not.toThrow()
  })
}
