import { afterEach, describe, expect, it } from '@jest/globals'
import { defaults, jsonCodec, RemoteError, RequestTimeoutError, silentLogger } from '../src/index.js'
import { rpcProtocol } from '../src/protocol.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import { RpcClient } from '../src/rpc/client.js'
import { RpcServer } from '../src/rpc/server.js'
import { startNode } from './fixtures.js'
import type { Clock, Cluster } from '../src/index.js'
import type { MemoryTransport } from '../src/testing/index.js'

/** The caller's timers fire this much late, as on a busy event loop: the callee's deadline passes first. */
const LATE_MS = 1000

function lateTimers (clock: Clock): Clock {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms + LATE_MS),
    clearTimeout: handle => { clock.clearTimeout(handle) }
  }
}

describe('a handler that outlives its deadline, over the in-memory transport', () => {
  let clock: ManualClock
  let callee: Cluster
  let caller: MemoryTransport
  let client: RpcClient

  afterEach(async () => {
    await callee.stop()
    await caller.stop()
  })

  async function setup (): Promise<void> {
    clock = new ManualClock(1_000_000)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    callee = await startNode(network, clock, 'callee')
    caller = network.createTransport('caller')
    await caller.start()
    const server = new RpcServer({ codec: jsonCodec, clock, logger: silentLogger, onCallStart: () => false, onCallEnd: () => {}, onServed: () => {} })
    client = new RpcClient({ transport: caller, protocol: rpcProtocol(defaults.DEFAULT_CLUSTER_NAME), codec: jsonCodec, clock: lateTimers(clock), localId: caller.id, server })
  }

  /** Calls `method` with a 300 ms timeout and runs virtual time until the call settles. */
  async function failure (method: string): Promise<unknown> {
    let outcome: { error: unknown } | undefined
    client.send(callee.id, method, null, { group: 'api', timeoutMs: 300, cast: false }).then(
      () => { outcome = { error: undefined } },
      (error: unknown) => { outcome = { error } })
    await clock.advanceUntil(() => outcome !== undefined, 5000, 5)
    return outcome?.error
  }

  it('reaches the caller as REQUEST_TIMEOUT when it throws because its signal aborted at the deadline', async () => {
    await setup()
    callee.handle('slow', async (_args, { signal }) => {
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }) })
      throw signal.reason
    })
    const error = await failure('slow')
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 300 })
    expect((error as Error).message).toMatch(/deadline of 300 ms/)
  })

  it('reaches the caller as REQUEST_TIMEOUT when it ignores its signal and throws after the deadline', async () => {
    await setup()
    callee.handle('stubborn', async () => {
      await new Promise<void>(resolve => { clock.setTimeout(resolve, 500) })
      throw new Error('finally failed')
    })
    const error = await failure('stubborn')
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 300 })
  })

  it('reaches the caller as REQUEST_TIMEOUT when it stops at its deadline and returns what it has', async () => {
    await setup()
    callee.handle('partial', async (_args, { signal }) => {
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }) })
      return 'partial result'
    })
    const error = await failure('partial')
    expect(error).toBeInstanceOf(RequestTimeoutError)
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT', timeoutMs: 300 })
    expect((error as Error).message).toMatch(/deadline of 300 ms/)
  })

  it('still reaches the caller as REMOTE_ERROR when it throws before the deadline', async () => {
    await setup()
    callee.handle('quick', async () => {
      await new Promise<void>(resolve => { clock.setTimeout(resolve, 100) })
      throw new Error('failed in time')
    })
    const error = await failure('quick')
    expect(error).toBeInstanceOf(RemoteError)
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', message: 'failed in time' })
  })
})
