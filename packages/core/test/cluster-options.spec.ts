import { describe, expect, it } from '@jest/globals'
import { Cluster, InvalidOptionError } from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import type { ClusterInit } from '../src/index.js'

function optionNamedBy (init: Partial<ClusterInit> & Record<string, unknown>): string {
  const network = new MemoryNetwork({ clock: new ManualClock() })
  try {
    // The constructor validates without starting anything.
    void new Cluster({ name: 'n1', transport: network.createTransport(), ...init } as ClusterInit)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    return (err as InvalidOptionError).option
  }
  throw new Error('expected an InvalidOptionError')
}

describe('cluster options', () => {
  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'has space' }, 'name'],
    [{ cluster: 'a/b' }, 'cluster'],
    [{ heartbeatIntervalMs: 0 }, 'heartbeatIntervalMs'],
    [{ heartbeatIntervalMs: 500, suspectAfterMs: 400 }, 'suspectAfterMs'],
    [{ suspectAfterMs: 1500, deadAfterMs: 1500 }, 'deadAfterMs'],
    [{ minPublishIntervalMs: -1 }, 'minPublishIntervalMs'],
    [{ weight: -1 }, 'weight'],
    [{ weight: 0.5 }, 'weight'],
    [{ maxBroadcastsPerSecond: 0 }, 'maxBroadcastsPerSecond'],
    [{ maxBroadcastsPerSecond: Number.NaN }, 'maxBroadcastsPerSecond'],
    [{ tags: { 'bad key': 'x' } }, 'tags.bad key'],
    [{ tags: { zone: 3 as unknown as string } }, 'tags.zone'],
    [{ latencySmoothing: 0 }, 'latencySmoothing'],
    [{ incarnation: 0 }, 'incarnation'],
    [{ heartbeat: 100 }, 'cluster.heartbeat'],
    [{ transport: {} as never }, 'transport']
  ])('rejects %j naming %s', (init, option) => {
    expect(optionNamedBy(init)).toBe(option)
  })

  it('accepts the defaults', () => {
    const network = new MemoryNetwork()
    expect(() => new Cluster({ name: 'n1', transport: network.createTransport() })).not.toThrow()
  })

  it('rejects bad network options by name', () => {
    expect(() => new MemoryNetwork({ loss: 2 })).toThrow(/"memoryNetwork.loss"/)
    expect(() => new MemoryNetwork({ delay: 1 } as never)).toThrow(/"memoryNetwork.delay"/)
  })
})
