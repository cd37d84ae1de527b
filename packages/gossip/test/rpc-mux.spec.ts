import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { isErrorCode, RequestAbortedError, ServiceUnavailableError, silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { Stream } from '@libp2p/interface'
import type { RequestContext } from '@meshbalancer/core'
import type { RpcLimits } from '../src/index.js'

const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
const PROTOCOL = '/meshbalancer/mux-test/rpc/2.0.0'
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (data: Uint8Array | undefined): string => new TextDecoder().decode(data)
const call = (signal = AbortSignal.timeout(20_000)): { signal: AbortSignal, expectResponse: true } => ({ signal, expectResponse: true })

type Node = Awaited<ReturnType<typeof createMeshLibp2p>>

// Two real libp2p nodes over TCP on 127.0.0.1, calling each other over the multiplexed RPC protocol.
describe('multiplexed RPC over libp2p', () => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => { for (const stop of stops.splice(0).reverse()) await stop() })

  async function pair (limits?: Partial<RpcLimits>): Promise<{ caller: Libp2pTransport, callee: Libp2pTransport, callerNode: Node }> {
    const nodes: Node[] = []
    const transports: Libp2pTransport[] = []
    for (let i = 0; i < 2; i++) {
      const privateKey = await generateKeyPair('Ed25519')
      const node = await createMeshLibp2p(NETWORK, privateKey, 'mux-test')
      const transport = new Libp2pTransport(node, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey, ...(limits === undefined ? {} : { rpcLimits: limits }) })
      await transport.start()
      stops.push(async () => { await transport.stop() })
      nodes.push(node)
      transports.push(transport)
    }
    await nodes[0]!.dial(nodes[1]!.getMultiaddrs())
    return { caller: transports[0]!, callee: transports[1]!, callerNode: nodes[0]! }
  }

  /** The caller's RPC streams to `callee` of the test protocol, over all its connections. */
  function rpcStreams (callerNode: Node, callee: Libp2pTransport): Stream[] {
    return callerNode.getConnections(callee.libp2p.peerId).flatMap(connection => connection.streams.filter(stream => stream.protocol === PROTOCOL))
  }

  it('carries many calls in flight on one stream, each answer matched to its call whatever the order', async () => {
    const { caller, callee, callerNode } = await pair()
    // Later calls are answered sooner: answers come back in the reverse order of the calls.
    callee.handleRequests(PROTOCOL, async (request) => {
      const n = Number(text(request))
      await new Promise(resolve => setTimeout(resolve, 200 - n))
      return bytes(`answer ${n}`)
    })
    const answers = await Promise.all(Array.from({ length: 200 }, async (_, n) => text(await caller.request(callee.id, PROTOCOL, bytes(String(n)), call()))))
    expect(answers).toEqual(Array.from({ length: 200 }, (_, n) => `answer ${n}`))
    expect(rpcStreams(callerNode, callee)).toHaveLength(1)
    // And the stream stays for the next call.
    const [stream] = rpcStreams(callerNode, callee)
    expect(text(await caller.request(callee.id, PROTOCOL, bytes('7'), call()))).toBe('answer 7')
    expect(rpcStreams(callerNode, callee)).toEqual([stream])
  })

  it('writes the calls queued in one tick together, in one send', async () => {
    const { caller, callee, callerNode } = await pair()
    callee.handleRequests(PROTOCOL, async request => request)
    await caller.request(callee.id, PROTOCOL, bytes('open'), call())
    const stream = rpcStreams(callerNode, callee)[0]!
    const sent: number[] = []
    const send = stream.send.bind(stream)
    stream.send = (data) => { sent.push(data.byteLength); return send(data) }
    const answers = await Promise.all(Array.from({ length: 100 }, async (_, n) => text(await caller.request(callee.id, PROTOCOL, bytes(`call ${n}`), call()))))
    expect(answers).toEqual(Array.from({ length: 100 }, (_, n) => `call ${n}`))
    // One batch of 100 frames: each a 1-byte length, a 5-byte header and its payload.
    expect(sent).toEqual([answers.reduce((sum, answer) => sum + 6 + answer.length, 0)])
  })

  it("aborts the handler's signal within 50 ms of the caller's abort, with REQUEST_ABORTED", async () => {
    const { caller, callee } = await pair()
    const handled: Array<{ context: RequestContext, abortedAt?: number }> = []
    callee.handleRequests(PROTOCOL, async (_request, context) => {
      const entry: { context: RequestContext, abortedAt?: number } = { context }
      handled.push(entry)
      return await new Promise(resolve => {
        context.signal.addEventListener('abort', () => { entry.abortedAt = performance.now(); resolve(bytes('late')) })
      })
    })
    const delays: number[] = []
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController()
      const pending = caller.request(callee.id, PROTOCOL, bytes('?'), call(controller.signal))
      await until(() => handled.length === i + 1, 'the handler started', 10_000)
      const reason = new Error('the caller gave up')
      const abortedAt = performance.now()
      controller.abort(reason)
      await expect(pending).rejects.toBe(reason)
      const entry = handled[i]!
      await until(() => entry.abortedAt !== undefined, "the handler's signal aborted", 2000)
      delays.push(entry.abortedAt! - abortedAt)
      expect(entry.context.signal.reason).toBeInstanceOf(RequestAbortedError)
    }
    expect(Math.max(...delays)).toBeLessThan(50)
  })

  it('fails every call pending on a lost connection at once with SERVICE_UNAVAILABLE, and opens a new stream for the next', async () => {
    const { caller, callee, callerNode } = await pair()
    const aborted: AbortSignal[] = []
    callee.handleRequests(PROTOCOL, async (request, { signal }) => {
      if (text(request) === 'quick') return bytes('quick')
      aborted.push(signal)
      return await new Promise(() => {})
    })
    const pending = Array.from({ length: 50 }, async () => await caller.request(callee.id, PROTOCOL, bytes('hold'), call()).catch((err: unknown) => err))
    await until(() => aborted.length === 50, 'every call in its handler', 10_000)
    const before = rpcStreams(callerNode, callee)[0]!
    const lostAt = performance.now()
    await callerNode.hangUp(callee.libp2p.peerId)
    const errors = await Promise.all(pending)
    expect(performance.now() - lostAt).toBeLessThan(1000)
    for (const error of errors) {
      expect(error).toBeInstanceOf(ServiceUnavailableError)
      expect((error as Error).message).toMatch(/lost|closed/)
    }
    await until(() => aborted.every(signal => signal.aborted), "every handler's signal aborted", 10_000)
    expect(aborted.every(signal => isErrorCode(signal.reason, 'REQUEST_ABORTED'))).toBe(true)

    await callerNode.dial(callee.libp2p.getMultiaddrs())
    expect(text(await caller.request(callee.id, PROTOCOL, bytes('quick'), call()))).toBe('quick')
    const after = rpcStreams(callerNode, callee)
    expect(after).toHaveLength(1)
    expect(after[0]).not.toBe(before)
  })

  it('fails pending calls with SERVICE_UNAVAILABLE when the callee resets the stream, and serves the next on a new one', async () => {
    const { caller, callee, callerNode } = await pair()
    let holding = 0
    callee.handleRequests(PROTOCOL, async (request) => {
      if (text(request) === 'quick') return bytes('quick')
      holding++
      return await new Promise(() => {})
    })
    const pending = caller.request(callee.id, PROTOCOL, bytes('hold'), call()).catch((err: unknown) => err)
    await until(() => holding === 1, 'the call in its handler', 10_000)
    const calleeSide = callee.libp2p.getConnections(caller.libp2p.peerId).flatMap(c => c.streams.filter(s => s.protocol === PROTOCOL))
    expect(calleeSide).toHaveLength(1)
    calleeSide[0]!.abort(new Error('reset by the callee'))
    expect(await pending).toBeInstanceOf(ServiceUnavailableError)
    expect(text(await caller.request(callee.id, PROTOCOL, bytes('quick'), call()))).toBe('quick')
    expect(rpcStreams(callerNode, callee).filter(s => s.status === 'open')).toHaveLength(1)
  })

  it('answers calls past the bound of calls in flight per peer with SERVICE_UNAVAILABLE (overloaded)', async () => {
    const { caller, callee } = await pair({ maxCallsPerPeer: 4 })
    const holds: Array<() => void> = []
    callee.handleRequests(PROTOCOL, async (request) => {
      if (text(request) === 'quick') return bytes('quick')
      await new Promise<void>(resolve => { holds.push(resolve) })
      return bytes('released')
    })
    const pending = Array.from({ length: 10 }, async () => await caller.request(callee.id, PROTOCOL, bytes('hold'), call()).then(text, (err: unknown) => err))
    await until(() => holds.length === 4 && callee.rpcCounters.overloaded === 6, 'four calls held, six refused', 10_000)
    const refused = await Promise.all(pending.slice(4))
    for (const error of refused) {
      expect(error).toBeInstanceOf(ServiceUnavailableError)
      expect((error as Error).message).toMatch(/overloaded/)
    }
    for (const release of holds.splice(0)) release()
    expect(await Promise.all(pending.slice(0, 4))).toEqual(['released', 'released', 'released', 'released'])
    // The budget is free again.
    expect(text(await caller.request(callee.id, PROTOCOL, bytes('quick'), call()))).toBe('quick')
  })

  it('fails with SERVICE_UNAVAILABLE naming the protocol when the peer speaks only another version', async () => {
    const { caller, callee } = await pair()
    // A node of the previous protocol version: it serves rpc/1.0.0 only.
    await callee.libp2p.handle('/meshbalancer/mux-test/rpc/1.0.0', (stream) => { stream.abort(new Error('not under test')) })
    const error = await caller.request(callee.id, PROTOCOL, bytes('?'), call()).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect((error as Error).message).toContain(`does not speak ${PROTOCOL}`)
  })
})
