import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { silentLogger } from '@meshbalancer/core'
import { rpcProtocol } from '@meshbalancer/core/protocol'
import { createNode } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
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

  it('survives any bytes on its RPC protocol, and still answers a proper call', async () => {
    const chunks = fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A length prefix promising far more than the 4 MiB a frame may hold.
      fc.constant(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])),
      // A proper prefix before garbage that is not a request.
      fc.uint8Array({ minLength: 1, maxLength: 100 }).map(body => Uint8Array.from([body.length, ...body]))
    ), { minLength: 1, maxLength: 4 })
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
