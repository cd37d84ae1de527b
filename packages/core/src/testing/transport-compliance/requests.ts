import { isErrorCode, ServiceUnavailableError } from '../../errors.js'
import { bytes, text } from './harness.js'
import type { SuiteContext } from './context.js'
import type { OptionalTransportFeature } from './harness.js'
import type { RequestContext, RequestOptions } from '../../transport/transport.js'

let protocols = 0

/** A protocol name no other test uses. */
function freshProtocol (): string {
  return `/meshbalancer-compliance/rpc-${process.pid}-${++protocols}/1.0.0`
}

/**
 * How soon a requester's abort must reach the handler's signal: a handler that stops then does not work for
 * nobody, and frees what the requester's budget at the handler holds.
 */
export const ABORT_REACHES_HANDLER_MS = 50

/** Options of a request that expects a response and gives up after a generous while. */
function call (signal = AbortSignal.timeout(30_000)): RequestOptions {
  return { signal, expectResponse: true }
}

/** Requests: responses, one-way sends, failures as `SERVICE_UNAVAILABLE`, aborts on both ends. */
export function requestTests (context: SuiteContext): void {
  const { expect, it } = context.jest
  const optional = (feature: OptionalTransportFeature): typeof it.skip => context.has(feature) ? it : it.skip
  it("answers a request with the handler's response, and tells the handler who asked", async () => {
    const { transports } = await context.peers(2)
    const [client, server] = transports as [typeof transports[0], typeof transports[0]]
    const protocol = freshProtocol()
    const seen: string[] = []
    server.handleRequests(protocol, async (request, { from }) => {
      seen.push(from)
      return bytes(`echo ${text(request) ?? ''}`)
    })
    expect(text(await client.request(server.id, protocol, bytes('one'), call()))).toBe('echo one')
    expect(text(await client.request(server.id, protocol, bytes('two'), call()))).toBe('echo two')
    expect(seen).toEqual([client.id, client.id])
  })

  it('serves requests both ways, and on several protocols at once', async () => {
    const { transports } = await context.peers(2)
    const [a, b] = transports as [typeof transports[0], typeof transports[0]]
    const first = freshProtocol()
    const second = freshProtocol()
    for (const transport of [a, b]) {
      transport.handleRequests(first, async () => bytes(`first from ${transport.id}`))
      transport.handleRequests(second, async () => bytes(`second from ${transport.id}`))
    }
    expect(text(await a.request(b.id, first, bytes(''), call()))).toBe(`first from ${b.id}`)
    expect(text(await b.request(a.id, second, bytes(''), call()))).toBe(`second from ${a.id}`)
  })

  it('resolves a one-way request with undefined, and the handler receives it', async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    const received: string[] = []
    transports[1]!.handleRequests(protocol, async (request) => {
      received.push(text(request) ?? '')
      return undefined
    })
    const sent = await transports[0]!.request(transports[1]!.id, protocol, bytes('note'), { signal: AbortSignal.timeout(30_000), expectResponse: false })
    expect(sent).toBeUndefined()
    await context.until(() => received.length === 1, 'the one-way request handled')
    expect(received).toEqual(['note'])
  })

  it('rejects with SERVICE_UNAVAILABLE for a protocol the peer does not serve, or no longer serves', async () => {
    const { transports } = await context.peers(2)
    const [client, server] = transports as [typeof transports[0], typeof transports[0]]
    const protocol = freshProtocol()
    await expect(client.request(server.id, protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
    server.handleRequests(protocol, async () => bytes('served'))
    expect(text(await client.request(server.id, protocol, bytes('?'), call()))).toBe('served')
    server.unhandleRequests(protocol)
    await expect(client.request(server.id, protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
  })

  it('rejects with SERVICE_UNAVAILABLE for a peer that stopped, and for an id nobody has', async () => {
    const { transports } = await context.peers(2)
    const [client, server] = transports as [typeof transports[0], typeof transports[0]]
    const protocol = freshProtocol()
    server.handleRequests(protocol, async () => bytes('served'))
    await server.stop()
    await expect(client.request(server.id, protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
    await expect(client.request('no-such-peer', protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
  })

  it('rejects with SERVICE_UNAVAILABLE when the handler rejects', async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    transports[1]!.handleRequests(protocol, async () => { throw new Error('handler failed') })
    await expect(transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
  })

  it('rejects with SERVICE_UNAVAILABLE when the handler answers nothing to a request that expects a response', async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    transports[1]!.handleRequests(protocol, async () => undefined)
    await expect(transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call())).rejects.toBeInstanceOf(ServiceUnavailableError)
  })

  it("rejects an aborted request with the signal's reason and aborts the handler's signal", async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    const handled: RequestContext[] = []
    transports[1]!.handleRequests(protocol, async (_request, handlerContext) => {
      handled.push(handlerContext)
      return await new Promise(resolve => { handlerContext.signal.addEventListener('abort', () => { resolve(bytes('too late')) }) })
    })
    const controller = new AbortController()
    const reason = new Error('the caller gave up')
    const pending = transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call(controller.signal))
    await context.until(() => handled.length === 1, 'the handler started')
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    const { signal } = handled[0]!
    await context.until(() => signal.aborted, "the handler's signal aborted")
    // The handler learns that the caller went away, not the caller's own reason.
    expect(isErrorCode(signal.reason, 'REQUEST_ABORTED')).toBe(true)
  })

  it(`aborts the handler's signal within ${ABORT_REACHES_HANDLER_MS} ms of the requester's abort`, async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    const started: Array<{ signal: AbortSignal, abortedAt?: number }> = []
    transports[1]!.handleRequests(protocol, async (_request, { signal }) => {
      const entry: { signal: AbortSignal, abortedAt?: number } = { signal }
      started.push(entry)
      signal.addEventListener('abort', () => { entry.abortedAt = performance.now() })
      return await new Promise(resolve => { signal.addEventListener('abort', () => { resolve(bytes('too late')) }) })
    })
    const controller = new AbortController()
    const pending = transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call(controller.signal)).catch((err: unknown) => err)
    await context.until(() => started.length === 1, 'the handler started')
    const abortedAt = performance.now()
    controller.abort(new Error('the caller gave up'))
    await pending
    const entry = started[0]!
    await context.until(() => entry.abortedAt !== undefined, "the handler's signal aborted")
    expect(entry.abortedAt! - abortedAt).toBeLessThan(ABORT_REACHES_HANDLER_MS)
  })

  it("rejects a request whose signal is already aborted with the signal's reason, without running the handler", async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    let handled = 0
    transports[1]!.handleRequests(protocol, async () => { handled++; return bytes('no') })
    const reason = new Error('aborted before sending')
    await expect(transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call(AbortSignal.abort(reason)))).rejects.toBe(reason)
    // A request sent after it is served, so the aborted one would have been handled first.
    expect(text(await transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call()))).toBe('no')
    expect(handled).toBe(1)
  })

  it("aborts the handler's signal when the requester stops", async () => {
    const { transports } = await context.peers(2)
    const protocol = freshProtocol()
    const handled: RequestContext[] = []
    transports[1]!.handleRequests(protocol, async (_request, handlerContext) => {
      handled.push(handlerContext)
      return await new Promise(() => {})
    })
    const pending = transports[0]!.request(transports[1]!.id, protocol, bytes('?'), call()).catch((err: unknown) => err)
    await context.until(() => handled.length === 1, 'the handler started')
    await transports[0]!.stop()
    expect(await pending).toBeInstanceOf(ServiceUnavailableError)
    const { signal } = handled[0]!
    await context.until(() => signal.aborted, "the handler's signal aborted")
    expect(isErrorCode(signal.reason, 'REQUEST_ABORTED')).toBe(true)
  })

  optional('prepare')('prepares what requests of a protocol ride, at once when it is ready, and a request then goes through', async () => {
    const { transports } = await context.peers(2)
    const [client, server] = transports as [typeof transports[0], typeof transports[0]]
    const protocol = freshProtocol()
    server.handleRequests(protocol, async request => bytes(`echo ${text(request) ?? ''}`))
    await client.prepare!(server.id, protocol, { signal: AbortSignal.timeout(30_000) })
    // Prepared already: resolves again without waiting on the peer.
    await client.prepare!(server.id, protocol, { signal: AbortSignal.timeout(30_000) })
    expect(text(await client.request(server.id, protocol, bytes('one'), call()))).toBe('echo one')
  })

  optional('prepare')("rejects a preparation with SERVICE_UNAVAILABLE as a request would, and with the signal's reason when aborted", async () => {
    const { transports } = await context.peers(2)
    const [client, server] = transports as [typeof transports[0], typeof transports[0]]
    const protocol = freshProtocol()
    await expect(client.prepare!(server.id, protocol, { signal: AbortSignal.timeout(30_000) })).rejects.toBeInstanceOf(ServiceUnavailableError)
    await expect(client.prepare!('no-such-peer', protocol, { signal: AbortSignal.timeout(30_000) })).rejects.toBeInstanceOf(ServiceUnavailableError)
    server.handleRequests(protocol, async () => bytes('served'))
    const reason = new Error('gave up before preparing')
    await expect(client.prepare!(server.id, protocol, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })
}
