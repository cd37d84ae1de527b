import { describe, expect, it } from '@jest/globals'
import { createShedKnobs, decideShed, InvalidOptionError, InvalidValueError, jsonCodec, MeshbalancerError } from '../src/index.js'
import { ConditionTimeoutError, describeTransportCompliance, ManualClock, MemoryNetwork, TestEnvironmentError } from '../src/testing/index.js'
import { startMesh } from './fixtures.js'
import type { Cluster, ShedRound } from '../src/index.js'

/** The error `fn` throws (or rejects with). */
async function thrown (fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('errors thrown outside RPC are meshbalancer errors with a stable code', () => {
  it('the JSON codec refuses values without a JSON form, and bytes that are not JSON, with INVALID_VALUE', async () => {
    for (const value of [10n, () => 1, Symbol('s'), (() => { const cycle: Record<string, unknown> = {}; cycle.self = cycle; return cycle })()]) {
      const error = await thrown(() => jsonCodec.encode(value))
      expect(error).toBeInstanceOf(InvalidValueError)
      expect(error).toMatchObject({ code: 'INVALID_VALUE' })
    }
    for (const bytes of [new Uint8Array([0x7b]), new Uint8Array([0xff, 0xfe])]) {
      expect(await thrown(() => jsonCodec.decode(bytes))).toBeInstanceOf(InvalidValueError)
    }
  })

  it('decideShed names `self` when the snapshot lacks the deciding node', async () => {
    const error = await thrown(() => decideShed({ self: 'n9', members: [{ id: 'n1', name: 'n1', count: 5, draining: false, clientAddress: '' }] }, createShedKnobs()))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'self' })
  })

  it('a memory network refuses a second started transport with the same id, naming `id`', async () => {
    const network = new MemoryNetwork()
    await network.createTransport('twin').start()
    const error = await thrown(() => network.createTransport('twin'))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ option: 'id' })
  })

  it('ManualClock.advanceUntil gives up with CONDITION_TIMEOUT', async () => {
    const error = await thrown(async () => await new ManualClock().advanceUntil(() => false, 100))
    expect(error).toBeInstanceOf(ConditionTimeoutError)
    expect(error).toBeInstanceOf(MeshbalancerError)
    expect(error).toMatchObject({ code: 'CONDITION_TIMEOUT', timeoutMs: 100 })
  })

  it('describeTransportCompliance outside jest (no describe global) throws TEST_ENVIRONMENT', () => {
    const globals = globalThis as { describe?: unknown }
    const saved = globals.describe
    delete globals.describe
    try {
      expect(() => { describeTransportCompliance('nowhere', { createPeers: async () => { throw new Error('never called') } }) }).toThrow(TestEnvironmentError)
    } finally {
      globals.describe = saved
    }
  })

  it('a shed implementation whose count() returns something other than a count skips the round, saying what it returned', async () => {
    const mesh = await startMesh(2)
    const [node, other] = mesh.nodes as [Cluster, Cluster]
    other.setLoad('ws', 0)
    const rounds: ShedRound[] = []
    node.on('shed:round', round => { rounds.push(round) })
    node.shedder({ namespace: 'ws', roundDurationSeconds: 0.5, implementation: { count: () => -1, killProcesses: async () => 0 } })
    await mesh.clock.advanceUntil(() => rounds.length >= 1, 10_000, 50)
    expect(rounds[0]).toMatchObject({ skipped: 'count-failed' })
    expect(rounds[0]?.error).toMatch(/count\(\) returned -1/)
    for (const cluster of mesh.nodes) await cluster.stop()
  })
})
