import { describe, expect, it } from '@jest/globals'
import { roundRobin } from '@meshbalancer/algorithms'
import { InvalidOptionError } from '@meshbalancer/core'
import { defaults, listen, ready, resolveBalancerOptions } from '../src/index.js'
import { asPrimaryMessage, asWorkerMessage } from '../src/protocol.js'
import { createServer } from 'node:net'

describe('resolveBalancerOptions', () => {
  it('applies the documented defaults, leastLatency among them', () => {
    const resolved = resolveBalancerOptions()
    expect(resolved.algorithm.name).toBe('leastLatency')
    expect(resolved.pingIntervalMs).toBe(defaults.DEFAULT_PING_INTERVAL_MS)
    expect(resolved.pingIntervalMs).toBe(250)
    expect(resolved.latencyDecayMs).toBe(5000)
    expect(resolved.readyTimeoutMs).toBe(30_000)
    expect(resolved.disconnectTimeoutMs).toBe(30_000)
    expect(resolved.shedTimeoutMs).toBe(5000)
    expect(resolveBalancerOptions({ algorithm: roundRobin() }).algorithm.name).toBe('roundRobin')
  })

  it.each([
    [{ pingIntervalMs: 0 }, 'createBalancer.pingIntervalMs'],
    [{ pingIntervalMs: 1.5 }, 'createBalancer.pingIntervalMs'],
    [{ latencyDecayMs: -1 }, 'createBalancer.latencyDecayMs'],
    [{ readyTimeoutMs: Number.NaN }, 'createBalancer.readyTimeoutMs'],
    [{ disconnectTimeoutMs: '5' }, 'createBalancer.disconnectTimeoutMs'],
    [{ shedTimeoutMs: 0 }, 'createBalancer.shedTimeoutMs'],
    [{ algorithm: {} }, 'createBalancer.algorithm'],
    [{ pingIntervalMS: 100 }, 'createBalancer.pingIntervalMS']
  ])('rejects %p naming %s', (options, option) => {
    let error: unknown
    try {
      resolveBalancerOptions(options as never)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).option).toBe(option)
  })
})

describe('worker side outside a worker', () => {
  it('listen() and ready() throw a ClusterRoleError in the primary', () => {
    expect(() => listen(createServer())).toThrow(expect.objectContaining({ code: 'CLUSTER_ROLE' }))
    expect(() => { ready() }).toThrow(expect.objectContaining({ code: 'CLUSTER_ROLE' }))
  })
})

describe('IPC messages', () => {
  it('reads our messages and the seed-style ready, and ignores the application\'s own', () => {
    expect(asWorkerMessage({ cmd: 'ready' })).toEqual({ cmd: 'ready' })
    expect(asWorkerMessage({ meshbalancer: 'pong', seq: 3, lagMs: 1.5 })).toEqual({ meshbalancer: 'pong', seq: 3, lagMs: 1.5 })
    expect(asWorkerMessage({ hello: 'app' })).toBeUndefined()
    expect(asWorkerMessage('ready')).toBeUndefined()
    expect(asPrimaryMessage({ meshbalancer: 'ping', seq: 1 })).toEqual({ meshbalancer: 'ping', seq: 1 })
  })

  it('refuses messages whose numbers would corrupt a latency or a count', () => {
    expect(asWorkerMessage({ meshbalancer: 'pong', seq: 3, lagMs: Number.NaN })).toBeUndefined()
    expect(asWorkerMessage({ meshbalancer: 'pong', seq: -1, lagMs: 1 })).toBeUndefined()
    expect(asWorkerMessage({ meshbalancer: 'shed:done', seq: 1, closed: 1.5 })).toBeUndefined()
    expect(asWorkerMessage({ meshbalancer: 'bogus' })).toBeUndefined()
    expect(asPrimaryMessage({ meshbalancer: 'shed', seq: 1, count: -2 })).toBeUndefined()
  })
})
