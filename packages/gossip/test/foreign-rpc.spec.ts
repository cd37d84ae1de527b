import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLibp2p } from 'libp2p'
import { BadRequestError, silentLogger } from '@meshbalancer/core'
import { rpcProtocol } from '@meshbalancer/core/protocol'
import { until } from '@meshbalancer/core/testing'
import { createNode } from '../src/index.js'
import { RpcRequest, RpcResponse } from '../../core/src/pb/frames.js'
import { encodeFrame, FrameDecoder, FrameType } from '../src/transport/rpc-frames.js'
import type { Cluster } from '@meshbalancer/core'
import type { Libp2p, Stream } from '@libp2p/interface'

const MAX_FRAME = 4 * 1024 * 1024
const protocol = rpcProtocol('default')
const json = (value: unknown): Uint8Array<ArrayBuffer> => new TextEncoder().encode(JSON.stringify(value))

/** The first frame the remote writes on `stream`. */
async function readFrame (stream: Stream): Promise<{ type: number, id: number, payload: Uint8Array }> {
  const decoder = new FrameDecoder()
  for await (const chunk of stream) {
    let frame: { type: number, id: number, payload: Uint8Array } | undefined
    decoder.push(chunk, (type, id, payload) => { frame ??= { type, id, payload: payload.slice() } })
    if (frame !== undefined) return frame
  }
  throw new Error('the stream ended before a whole frame')
}

/** Everything the remote writes until it closes its side; throws when the stream is reset instead. */
async function readToEnd (stream: Stream): Promise<number> {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.byteLength
  return bytes
}

// A caller built from libp2p's own modules, framing requests itself, against a meshbalancer node over TCP.
describe('RPC from a foreign caller', () => {
  let node: Cluster
  let caller: Libp2p
  const stops: Array<() => Promise<void> | void> = []
  const holds: Array<() => void> = []
  let casts = 0

  beforeAll(async () => {
    node = await createNode({ name: 'callee', logger: silentLogger })
    stops.push(async () => { await node.stop() })
    const api = node.loadBalancer({ name: 'api', algorithm: { name: 'first', chooseFromNodes: nodes => nodes[0]! } })
    stops.push(() => { api.close() })
    node.handle('echo', (args: unknown) => args)
    node.handle('hold', async () => { await new Promise<void>(resolve => { holds.push(resolve) }) })
    node.handle('huge', () => 'x'.repeat(MAX_FRAME))
    node.handle('count', () => { casts++ })
    node.handle('refuse', () => { throw new BadRequestError('no') })
    node.handle('aborted', async (_args: unknown, context) => {
      await new Promise(resolve => setTimeout(resolve, 50))
      return context.signal.aborted
    })
    caller = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()], services: { identify: identify() } })
    stops.push(async () => { await caller.stop() })
    await caller.dial(multiaddr(`${node.self().addresses[0]!}/p2p/${node.id}`))
  })

  afterAll(async () => {
    for (const release of holds.splice(0)) release()
    for (const stop of stops.reverse()) await stop()
  })

  async function open (): Promise<Stream> {
    return await caller.dialProtocol(multiaddr(`${node.self().addresses[0]!}/p2p/${node.id}`), protocol)
  }

  async function call (fields: Partial<RpcRequest>): Promise<RpcResponse> {
    const stream = await open()
    stream.send(encodeFrame(FrameType.REQUEST, 7, RpcRequest.encode({ version: 1, method: 'echo', group: 'api', args: json('hi'), cast: false, timeoutMs: 5000, ...fields })))
    const frame = await readFrame(stream)
    expect({ type: frame.type, id: frame.id }).toEqual({ type: FrameType.RESPONSE, id: 7 })
    await stream.close()
    return RpcResponse.decode(frame.payload)
  }

  it('answers a call with version 1 and the result', async () => {
    const response = await call({})
    expect(response.version).toBe(1)
    expect(new TextDecoder().decode(response.result)).toBe('"hi"')
    expect(response.error).toBeUndefined()
  })

  it('answers BAD_REQUEST to a request of another version, and to a group name over 128 characters', async () => {
    expect((await call({ version: 2 })).error?.code).toBe('BAD_REQUEST')
    expect((await call({ group: 'g'.repeat(129) })).error?.code).toBe('BAD_REQUEST')
    expect((await call({ group: 'g'.repeat(128) })).result).toBeDefined()
    expect((await call({ method: 'refuse' })).error).toMatchObject({ code: 'BAD_REQUEST', message: 'no', name: 'BadRequestError' })
  })

  it('takes a deadline beyond what a timer can hold as the longest it can', async () => {
    const decoded = (response: RpcResponse): unknown => JSON.parse(new TextDecoder().decode(response.result))
    expect(decoded(await call({ method: 'aborted', timeoutMs: 0xffff_ffff }))).toBe(false)
    // A deadline that does pass: the handler's signal aborts, and what it returns after is answered as the timeout.
    expect((await call({ method: 'aborted', timeoutMs: 10 })).error).toMatchObject({ code: 'REQUEST_TIMEOUT', name: 'RequestTimeoutError' })
  })

  it('serves a group it does not serve without counting it as load', async () => {
    const pending = [call({ method: 'hold', group: 'api' }), call({ method: 'hold', group: 'elsewhere' })]
    await until(() => holds.length === 2, 'both calls in the handler', 5000)
    // Calls in flight enter this node's own record with the publish they cause: from 0, one call is a significant change.
    await until(() => node.self().groups.get('api') === 1, 'the call in api counted', 5000)
    expect(Object.fromEntries(node.self().groups)).toEqual({ api: 1 })
    for (const release of holds.splice(0)) release()
    for (const response of await Promise.all(pending)) expect(response.result).toEqual(new Uint8Array(0))
    await until(() => node.self().groups.get('api') === 0, 'the load back to 0', 5000)
    expect([...node.self().groups.keys()]).toEqual(['api'])
  })

  it('ends a cast with the callee closing its side without writing a byte, after running the handler', async () => {
    const stream = await open()
    stream.send(encodeFrame(FrameType.CAST, 0, RpcRequest.encode({ version: 1, method: 'count', group: 'api', args: new Uint8Array(0), cast: true, timeoutMs: 5000 })))
    await stream.close()
    expect(await readToEnd(stream)).toBe(0)
    expect(casts).toBe(1)
  })

  it('answers REMOTE_ERROR when the response would exceed 4 MiB', async () => {
    const response = await call({ method: 'huge' })
    expect(response.error).toMatchObject({ code: 'REMOTE_ERROR', name: 'InvalidFrameError' })
    expect(response.result).toBeUndefined()
  })

  it('resets the stream of a frame over 4 MiB and its header without reading it or answering', async () => {
    const stream = await open()
    const prefix = Uint8Array.from([0x86, 0x80, 0x80, 0x02]) // varint of 4 MiB + 6: a payload of 4 MiB + 1
    stream.send(prefix)
    stream.send(new Uint8Array(1024))
    await expect(readToEnd(stream)).rejects.toThrow()
    expect(stream.status).not.toBe('open')
  })
})
