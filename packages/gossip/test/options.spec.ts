import { describe, expect, it } from '@jest/globals'
import { InvalidOptionError } from '@meshbalancer/core'
import { createNode, meshbalancer } from '../src/index.js'
import type { GossipNodeInit, MeshbalancerInit } from '../src/index.js'

async function optionNamedBy (init: Partial<GossipNodeInit> & Record<string, unknown>): Promise<string> {
  try {
    const node = await createNode({ name: 'n1', ...init } as GossipNodeInit)
    await node.stop()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    return (err as InvalidOptionError).option
  }
  throw new Error('expected an InvalidOptionError')
}

describe('node options', () => {
  it.each([
    [{ listen: ['not-a-multiaddr'] }, 'listen[0]'],
    [{ join: [42 as unknown as string] }, 'join[0]'],
    [{ joinRetryIntervalMs: 0 }, 'joinRetryIntervalMs'],
    [{ targetPeers: 0 }, 'targetPeers'],
    [{ targetPeers: 10, maxConnections: 5 }, 'targetPeers'],
    [{ clusterKey: 'secret' as unknown as Uint8Array }, 'clusterKey'],
    [{ clusterKey: new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nabc') }, 'clusterKey'],
    [{ keyFile: '' }, 'keyFile'],
    [{ name: '' }, 'name'],
    [{ probeIntervalMs: 1000, probeTimeoutMs: 1001 }, 'probeTimeoutMs'],
    // Removed options are named with their replacement, not as unknown ones.
    [{ suspectAfterMs: 900 }, 'suspectAfterMs'],
    [{ heartbeatIntervalMs: 1000 }, 'heartbeatIntervalMs'],
    [{ latencyProbeIntervalMs: 0 }, 'latencyProbeIntervalMs'],
    [{ swarmKey: 'x' }, 'node.swarmKey'],
    // A prom-client registry was once taken here; libp2p's metrics option is now handed through as it is.
    [{ metrics: { metrics: async () => '' } as unknown as NonNullable<GossipNodeInit['metrics']> }, 'metrics'],
    [{ incarnation: 7 }, 'node.incarnation']
  ])('rejects %j naming %s', async (init, option) => {
    expect(await optionNamedBy(init)).toBe(option)
  })
})

describe('service options', () => {
  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'n1', join: ['nowhere'] }, 'join[0]'],
    [{ name: 'n1', joinRetryIntervalMs: 1.5 }, 'joinRetryIntervalMs'],
    [{ name: 'n1', targetPeers: -1 }, 'targetPeers'],
    [{ name: 'n1', forwardHoldMs: -1 }, 'forwardHoldMs'],
    [{ name: 'n1', forwardHoldMs: 2.5 }, 'forwardHoldMs'],
    [{ name: 'n1', forwardHoldMs: 1001 }, 'forwardHoldMs'],
    [{ name: 'n1', cluster: 'two words' }, 'cluster'],
    [{ name: 'n1', probeIntervalMs: 1000, probeTimeoutMs: 1001 }, 'probeTimeoutMs'],
    [{ name: 'n1', deadAfterMs: 3000 }, 'deadAfterMs'],
    [{ name: 'n1', heartbeatIntervalMs: 250 }, 'heartbeatIntervalMs'],
    [{ name: 'n1', indirectProbes: -1 }, 'indirectProbes'],
    [{ name: 'n1', weight: -1 }, 'weight'],
    [{ name: 'n1', maxBroadcastsPerSecond: 0 }, 'maxBroadcastsPerSecond'],
    // Options of createNode's libp2p node are the application's own libp2p options here.
    [{ name: 'n1', listen: ['/ip4/127.0.0.1/tcp/0'] }, 'meshbalancer.listen'],
    [{ name: 'n1', metrics: {} }, 'meshbalancer.metrics']
  ])('meshbalancer(%j) throws at once, naming %s', (init, option) => {
    let thrown: unknown
    try {
      meshbalancer(init as MeshbalancerInit)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError)
    expect((thrown as InvalidOptionError).option).toBe(option)
  })

  it('returns a service factory for good options, without building anything', () => {
    expect(typeof meshbalancer({ name: 'n1', join: ['/ip4/127.0.0.1/tcp/4001'], targetPeers: 4 })).toBe('function')
    expect(typeof meshbalancer({ name: 'n1', maxBroadcastsPerSecond: 500 })).toBe('function')
  })
})
