import { afterEach, describe, expect, it } from '@jest/globals'
import { decodeProbeRequest, decodeProbeResponse, encodeProbeRequest, probeProtocol } from '../src/protocol.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import { FAST, startNode } from './fixtures.js'
import type { Cluster } from '../src/index.js'
import type { MemoryTransport } from '../src/testing/index.js'

/** What went out of one transport: its pings, and its requests on the probe protocol by kind. */
interface Sent {
  pings: string[]
  direct: string[]
  indirect: string[]
}

/** A transport whose pings fail, so that a probe that still uses them cannot succeed, and which records its sends. */
function watched (network: MemoryNetwork, id: string, sent: Sent): MemoryTransport {
  const transport = network.createTransport(id)
  const request = transport.request.bind(transport)
  transport.ping = async (peer) => {
    sent.pings.push(peer)
    throw new Error('ping is not the probe path')
  }
  transport.request = async (peer, protocol, data, options) => {
    if (protocol === probeProtocol('default')) {
      const decoded = decodeProbeRequest(data)
      if (decoded.ok) (decoded.value.target === undefined ? sent.direct : sent.indirect).push(peer)
    }
    return await request(peer, protocol, data, options)
  }
  return transport
}

describe('direct probes on the in-memory transport', () => {
  const nodes: Cluster[] = []

  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop()
  })

  async function start (count: number, network: MemoryNetwork, clock: ManualClock): Promise<Sent[]> {
    const sent: Sent[] = []
    for (let i = 1; i <= count; i++) {
      const mine: Sent = { pings: [], direct: [], indirect: [] }
      sent.push(mine)
      nodes.push(await startNode(network, clock, `n${i}`, { transport: watched(network, `id-n${i}`, mine) }))
    }
    await clock.advanceUntil(() => nodes.every(node => node.members().length === count), 1000)
    return sent
  }

  it('sends a probe request naming no target, never a ping, which the callee acks at once; its round trip is the latency', async () => {
    const clock = new ManualClock(1_000_000)
    const network = new MemoryNetwork({ clock, delayMs: 3 })
    const sent = await start(2, network, clock)
    const [n1, n2] = nodes as [Cluster, Cluster]
    await clock.advance(20 * FAST.probeIntervalMs)
    for (const [index, node] of nodes.entries()) {
      const other = nodes[1 - index]!
      expect(sent[index]!.pings).toEqual([])
      expect(sent[index]!.direct.length).toBeGreaterThanOrEqual(15)
      expect(new Set(sent[index]!.direct)).toEqual(new Set([other.id]))
      expect(node.stats().probesFailed).toBe(0)
      expect(other.stats().directProbesServed).toBeGreaterThanOrEqual(15)
      // Two one-way delays of 3 ms: the callee answered without waiting on anything.
      expect(node.member(other.id)?.latencyMs).toBe(6)
    }
    expect(n1.member(n2.id)?.liveness).toBe('alive')
  })

  it('has a helper probe the target with a direct probe of its own, not a ping', async () => {
    const clock = new ManualClock(1_000_000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    const sent = await start(3, network, clock)
    const [a, b, helper] = nodes as [Cluster, Cluster, Cluster]
    // The link between a and b is too slow for a probe: only the helper's probes of b answer a's.
    network.setDelay((from, to) => (from === a.id && to === b.id) || (from === b.id && to === a.id) ? 5000 : 1)
    const suspicions: string[] = []
    for (const node of nodes) node.on('member:suspect', member => { suspicions.push(`${node.name}: ${member.name}`) })
    const failedBefore = a.stats().probesFailed
    await clock.advance(30 * FAST.probeIntervalMs)
    // Every ping fails: the helper's acks, which keep b alive at a, can only come from direct probes.
    expect(sent.flatMap(s => s.pings)).toEqual([])
    expect(sent[0]!.indirect).toContain(helper.id)
    expect(helper.stats().indirectProbesServed).toBeGreaterThan(0)
    expect(a.stats().probesFailed).toBe(failedBefore)
    expect(suspicions).toEqual([])
  })

  it('answers a direct probe from any peer, a stranger too, and still refuses and counts malformed requests', async () => {
    const clock = new ManualClock(1_000_000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    await start(1, network, clock)
    const [n1] = nodes as [Cluster]
    const stranger = network.createTransport('stranger')
    await stranger.start()
    const ask = async (data: Uint8Array): Promise<boolean | undefined> => {
      const asked = stranger.request(n1.id, probeProtocol('default'), data, { signal: AbortSignal.timeout(60_000), expectResponse: true })
      const settled = asked.then(response => response === undefined ? undefined : decodeProbeResponse(response), () => undefined)
      await clock.advance(5)
      return await settled
    }
    expect(await ask(encodeProbeRequest({}))).toBe(true)
    expect(await ask(new Uint8Array([0xff, 0x01]))).toBeUndefined()
    expect(await ask(encodeProbeRequest({ target: 'has space', timeoutMs: 50 }))).toBeUndefined()
    expect(await ask(encodeProbeRequest({ target: 'nobody', timeoutMs: 50 }))).toBeUndefined()
    expect(n1.stats()).toMatchObject({ directProbesServed: 1, indirectProbesServed: 0 })
    expect(n1.stats().probeRequestsRejected).toMatchObject({ malformed: 2, 'unknown-requester': 1 })
  })
})
