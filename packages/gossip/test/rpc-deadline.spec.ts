import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { createCluster, defaults, jsonCodec, RemoteError, RequestTimeoutError, silentLogger, systemClock } from '@meshbalancer/core'
import { rpcProtocol } from '@meshbalancer/core/protocol'
import { RpcClient } from '../../core/src/rpc/client.js'
import { RpcServer } from '../../core/src/rpc/server.js'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'
import type { Clock, Cluster } from '@meshbalancer/core'

const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }
/** The caller's timers fire this much late, as on a busy event loop: the callee's deadline passes first. */
const LATE_MS = 3000

const lateTimers: Clock = {
  now: () => systemClock.now(),
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms + LATE_MS),
  clearTimeout: handle => { systemClock.clearTimeout(handle) }
}

async function transport (): Promise<Libp2pTransport> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createMeshLibp2p(NETWORK, privateKey, defaults.DEFAULT_CLUSTER_NAME)
  return new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey })
}

// Over real libp2p streams on 127.0.0.1: the callee's answer after its deadline travels as REQUEST_TIMEOUT.
describe('a handler that outlives its deadline, over libp2p', () => {
  let callee: Cluster
  let caller: Libp2pTransport
  let client: RpcClient

  afterEach(async () => {
    await callee.stop()
    await caller.stop()
  })

  async function setup (): Promise<void> {
    const calleeTransport = await transport()
    callee = await createCluster({ name: 'callee', transport: calleeTransport, logger: silentLogger })
    caller = await transport()
    await caller.start()
    await caller.libp2p.dial(calleeTransport.libp2p.getMultiaddrs())
    const server = new RpcServer({ codec: jsonCodec, clock: systemClock, logger: silentLogger, onCallStart: () => false, onCallEnd: () => {}, onServed: () => {} })
    client = new RpcClient({ transport: caller, protocol: rpcProtocol(defaults.DEFAULT_CLUSTER_NAME), codec: jsonCodec, clock: lateTimers, localId: caller.id, server })
  }

  it('reaches the caller as REQUEST_TIMEOUT when it throws because its signal aborted at the deadline', async () => {
    await setup()
    callee.handle('slow', async (_args, { signal }) => {
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }) })
      throw signal.reason
    })
    const started = Date.now()
    const error = await client.send(callee.id, 'slow', null, { group: 'api', timeoutMs: 300, cast: false }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 300 })
    expect((error as Error).message).toMatch(/deadline of 300 ms/)
    // The callee's answer, not the caller's own (late) timer.
    expect(Date.now() - started).toBeLessThan(LATE_MS)
  })

  it('still reaches the caller as REMOTE_ERROR when it throws before the deadline', async () => {
    await setup()
    callee.handle('quick', async () => { throw new Error('failed in time') })
    const error = await client.send(callee.id, 'quick', null, { group: 'api', timeoutMs: 2000, cast: false }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', message: 'failed in time' })
  })
})
