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
    [{ probeIntervalMs: 5 }, 'probeIntervalMs'],
    [{ probeIntervalMs: 500, probeTimeoutMs: 501 }, 'probeTimeoutMs'],
    [{ probeTimeoutMs: 0 }, 'probeTimeoutMs'],
    [{ indirectProbes: 17 }, 'indirectProbes'],
    [{ indirectProbes: 1.5 }, 'indirectProbes'],
    [{ suspicionMultiplier: 0 }, 'suspicionMultiplier'],
    [{ suspicionMaxMultiplier: 0.5 }, 'suspicionMaxMultiplier'],
    [{ suspicionMaxMultiplier: Number.NaN }, 'suspicionMaxMultiplier'],
    [{ minPublishIntervalMs: -1 }, 'minPublishIntervalMs'],
    [{ refreshIntervalMs: 1000, minPublishIntervalMs: 1001 }, 'minPublishIntervalMs'],
    [{ weight: -1 }, 'weight'],
    [{ weight: 0.5 }, 'weight'],
    [{ maxBroadcastsPerSecond: 0 }, 'maxBroadcastsPerSecond'],
    [{ maxBroadcastsPerSecond: Number.NaN }, 'maxBroadcastsPerSecond'],
    [{ tags: { 'bad key': 'x' } }, 'tags.bad key'],
    [{ tags: { zone: 3 as unknown as string } }, 'tags.zone'],
    [{ latencySmoothing: 0 }, 'latencySmoothing'],
    [{ incarnation: 0 }, 'incarnation'],
    [{ heartbeat: 100 }, 'cluster.heartbeat'],
    [{ refreshIntervalMs: 50 }, 'refreshIntervalMs'],
    [{ refreshIntervalMs: 1.5e3 + 0.5 }, 'refreshIntervalMs'],
    [{ pushPullIntervalMs: 10 }, 'pushPullIntervalMs'],
    [{ pushPullIntervalMs: -1 }, 'pushPullIntervalMs'],
    [{ loadChangeMin: -1 }, 'loadChangeMin'],
    [{ loadChangeRatio: Number.NaN }, 'loadChangeRatio'],
    [{ lagChangeMinMs: -5 }, 'lagChangeMinMs'],
    [{ lagChangeRatio: 'half' as unknown as number }, 'lagChangeRatio'],
    [{ loadRecordsPerSecond: 0 }, 'loadRecordsPerSecond'],
    [{ loadRecordsPerSecond: Number.POSITIVE_INFINITY }, 'loadRecordsPerSecond'],
    [{ transport: {} as never }, 'transport']
  ])('rejects %j naming %s', (init, option) => {
    expect(optionNamedBy(init)).toBe(option)
  })

  it.each([
    ['heartbeatIntervalMs', /refreshIntervalMs and probeIntervalMs/],
    ['suspectAfterMs', /probeIntervalMs and probeTimeoutMs/],
    ['deadAfterMs', /suspicionMultiplier and suspicionMaxMultiplier/],
    ['latencyProbeIntervalMs', /probeIntervalMs/]
  ])('rejects the removed option %s, naming its replacement', (option, replacement) => {
    const network = new MemoryNetwork()
    const create = (): unknown => new Cluster({ name: 'n1', transport: network.createTransport(), [option]: 1000 } as never)
    expect(create).toThrow(InvalidOptionError)
    expect(create).toThrow(new RegExp(`"${option}": removed`))
    expect(create).toThrow(replacement)
  })

  it('accepts the defaults', () => {
    const network = new MemoryNetwork()
    expect(() => new Cluster({ name: 'n1', transport: network.createTransport() })).not.toThrow()
  })

  it('derives a valid rate limit from any valid minPublishIntervalMs', () => {
    const network = new MemoryNetwork()
    // 2.5 records per interval would be 0.25 a second, below the least maxRecordsPerSecond takes.
    expect(() => new Cluster({ name: 'n1', transport: network.createTransport(), minPublishIntervalMs: 10_000 })).not.toThrow()
  })

  it('rejects bad network options by name', () => {
    expect(() => new MemoryNetwork({ loss: 2 })).toThrow(/"memoryNetwork.loss"/)
    expect(() => new MemoryNetwork({ delay: 1 } as never)).toThrow(/"memoryNetwork.delay"/)
  })
})
