import { describe, expect, it } from '@jest/globals'
import { InvalidFrameError, jsonCodec, seededRandom, silentLogger } from '../src/index.js'
import { decodeRequest, decodeResponse, encodeRequest, recordLimits } from '../src/protocol.js'
import { ManualClock } from '../src/testing/index.js'
import { LocalRecord } from '../src/cluster/local-record.js'
import { MAX_METHOD_LENGTH } from '../src/rpc/frames.js'
import { RpcServer } from '../src/rpc/server.js'
import type { RequestContext } from '../src/index.js'
import type { ServeRecord } from '../src/rpc/server.js'

function localRecord (): LocalRecord {
  return new LocalRecord({
    id: 'peer-a',
    options: { name: 'a', incarnation: 1, weight: 1, tags: {}, clientAddress: '' },
    status: 'active',
    addresses: () => []
  })
}

/** A server counting calls in flight into `local`, as the cluster wires it. */
function serverOf (local: LocalRecord, served: ServeRecord[] = []): RpcServer {
  return new RpcServer({
    codec: jsonCodec,
    clock: new ManualClock(0),
    logger: silentLogger,
    onCallStart: group => local.startServing(group),
    onCallEnd: group => { local.endServing(group) },
    onServed: record => { served.push(record) }
  })
}

const context: RequestContext = { from: 'peer-b', signal: new AbortController().signal }
const request = (method: string, group: string): Uint8Array =>
  encodeRequest({ method, group, args: jsonCodec.encode(null), cast: false, timeoutMs: 0 })

describe('load of the calls a node serves', () => {
  it('counts only groups the node serves, however many names callers send', async () => {
    const local = localRecord()
    local.joinGroup('api')
    let release = (): void => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const server = serverOf(local)
    server.handle('hold', async () => { await held })
    const random = seededRandom(7)
    const names = Array.from({ length: 5000 }, () => Math.floor(random() * 2 ** 52).toString(36))
    const pending = [...names, 'api', 'api'].map(async group => await server.serve(request('hold', group), context))
    await Promise.resolve()
    expect([...local.inFlight]).toEqual([['api', 2]])
    expect(local.current().groups).toEqual(new Map([['api', 2]]))
    release()
    const responses = await Promise.all(pending)
    expect(responses.every(bytes => bytes !== undefined && decodeResponse(bytes).ok)).toBe(true)
    expect(local.inFlight.size).toBe(0)
    expect(local.current().groups).toEqual(new Map([['api', 0]]))
  })

  it('stays consistent when the node leaves a group while calls of it are in flight', async () => {
    const local = localRecord()
    local.joinGroup('api')
    expect(local.startServing('api')).toBe(true)
    local.leaveGroup('api')
    expect(local.startServing('api')).toBe(false)
    local.endServing('api')
    expect(local.inFlight.size).toBe(0)
    local.joinGroup('api')
    expect(local.current().groups.get('api')).toBe(0)
  })

  it('rejects a request whose group or method is longer than its bound with BAD_REQUEST', async () => {
    const served: ServeRecord[] = []
    const server = serverOf(localRecord(), served)
    server.handle('echo', args => args)
    const longGroup = 'g'.repeat(recordLimits.MAX_GROUP_NAME_LENGTH + 1)
    const longMethod = 'm'.repeat(MAX_METHOD_LENGTH + 1)
    expect(() => decodeRequest(request('echo', longGroup))).toThrow(InvalidFrameError)
    expect(() => decodeRequest(request(longMethod, 'api'))).toThrow(InvalidFrameError)
    expect(decodeRequest(request('echo', 'g'.repeat(recordLimits.MAX_GROUP_NAME_LENGTH))).group).toHaveLength(recordLimits.MAX_GROUP_NAME_LENGTH)
    for (const bytes of [request('echo', longGroup), request(longMethod, 'api')]) {
      const response = decodeResponse((await server.serve(bytes, context))!)
      expect(response).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    }
    // Refused before dispatch: nothing reaches the served-call listeners (and so no metrics label).
    expect(served).toEqual([])
  })

  it('tells listeners whether the method had a handler', async () => {
    const served: ServeRecord[] = []
    const server = serverOf(localRecord(), served)
    server.handle('echo', args => args)
    await server.serve(request('echo', 'api'), context)
    await server.serve(request('nothing-here', 'api'), context)
    expect(served.map(({ method, handled, outcome }) => ({ method, handled, outcome }))).toEqual([
      { method: 'echo', handled: true, outcome: 'ok' },
      { method: 'nothing-here', handled: false, outcome: 'BAD_REQUEST' }
    ])
  })
})
