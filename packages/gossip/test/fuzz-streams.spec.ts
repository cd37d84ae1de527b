import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { silentLogger } from '@meshbalancer/core'
import { rpcProtocol } from '@meshbalancer/core/protocol'
import { createNode } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import { encodeFrame, FrameType } from '../src/transport/rpc-frames.js'
import { RpcRequest } from '../../core/src/pb/frames.js'
import type { Cluster } from '@meshbalancer/core'

/** Streams per property: a few hundred in the test run, more with `pnpm fuzz` (FUZZ_RUNS / 100). */
const RUNS = Math.max(200, Math.floor(Number(process.env.FUZZ_RUNS ?? 2000) / 100))

describe('fuzz: RPC streams of a real node', () => {
  let target: Cluster
  let sender: Awaited<ReturnType<typeof createMeshLibp2p>>
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled)
    target = await createNode({ name: 'target', logger: silentLogger })
    target.handle('echo', (args: unknown) => args)
    sender = await createMeshLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }, await generateKeyPair('Ed25519'), 'default')
    await sender.start()
    await sender.dial(multiaddr(`${target.self().addresses[0]!}/p2p/${target.id}`))
  })

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await sender?.stop()
    await target?.stop()
  })

  it('survives any bytes and any frames on its RPC protocol, and still answers a proper call', async () => {
    const id = fc.integer({ min: 0, max: 0xffff_ffff })
    const request = fc.record({
      version: fc.constantFrom(1, 1, 2),
      method: fc.constantFrom('echo', 'echo', '', 'nope'),
      group: fc.string({ maxLength: 4 }),
      args: fc.oneof(fc.constant(new TextEncoder().encode('"x"')), fc.uint8Array({ maxLength: 16 })),
      cast: fc.boolean(),
      timeoutMs: fc.nat()
    }).map(fields => RpcRequest.encode(fields as RpcRequest))
    const chunks = fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A length prefix promising far more than the 4 MiB a frame may hold.
      fc.constant(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])),
      // Frames of the protocol: requests well formed or not, casts, cancels of any id, and types nobody sends.
      fc.tuple(fc.constantFrom(FrameType.REQUEST, FrameType.CAST), id, fc.oneof(request, fc.uint8Array({ maxLength: 32 }))).map(([type, n, payload]) => encodeFrame(type, n, payload)),
      id.map(n => encodeFrame(FrameType.CANCEL, n)),
      fc.tuple(fc.integer({ min: 0, max: 255 }), id, fc.uint8Array({ maxLength: 16 })).map(([type, n, payload]) => encodeFrame(type, n, payload))
    ), { minLength: 1, maxLength: 6 })
    await fc.assert(fc.asyncProperty(chunks, fc.boolean(), async (parts, abort) => {
      const stream = await sender.dialProtocol(peerIdFromString(target.id), rpcProtocol('default'))
      try {
        for (const part of parts) stream.send(part)
        if (abort) stream.abort(new Error('gone'))
        else await stream.close({ signal: AbortSignal.timeout(2000) })
      } catch {
        // The node may reset a stream it cannot make sense of: that is the expected answer.
      }
    }), { numRuns: RUNS })

    const balancer = target.loadBalancer({ name: 'self', algorithm: { name: 'first', chooseFromNodes: nodes => nodes[0]! } })
    expect(await balancer.call('echo', { still: 'here' })).toEqual({ still: 'here' })
    expect(unhandled).toEqual([])
  })
})
