import { describe, expect, it } from '@jest/globals'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { InvalidOptionError } from '@meshbalancer/core'
import { resolveNodeInit } from '../src/node/init.js'
import { clusterGossipsubInit, createMeshLibp2p } from '../src/node/libp2p.js'
import type { GossipsubOpts } from '@libp2p/gossipsub'

const network = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }

async function gossipsubOf (overrides?: Partial<GossipsubOpts>): Promise<GossipsubOpts> {
  const node = await createMeshLibp2p({ ...network, gossipsub: overrides }, await generateKeyPair('Ed25519'), 'default')
  // Built, never started: the options are fixed at construction.
  return (node.services.pubsub as unknown as { opts: GossipsubOpts }).opts
}

describe('the node\'s gossipsub', () => {
  it('runs with the cluster\'s settings by default', async () => {
    const opts = await gossipsubOf()
    const cluster = clusterGossipsubInit()
    // gossipsub's own heartbeat, kept (see clusterGossipsubInit).
    expect(opts.heartbeatInterval).toBe(1000)
    expect(opts.D).toBe(4)
    expect(opts.Dlazy).toBe(cluster.Dlazy)
    expect(opts.Dlazy).toBe(4)
    expect(opts.floodPublish).toBe(true)
    expect(opts.globalSignaturePolicy).toBe('StrictSign')
  })

  it('takes gossipsub options over the cluster\'s, and keeps the others', async () => {
    const opts = await gossipsubOf({ heartbeatInterval: 2500, Dlazy: 1 })
    expect(opts.heartbeatInterval).toBe(2500)
    expect(opts.Dlazy).toBe(1)
    expect(opts.D).toBe(4)
    expect(opts.globalSignaturePolicy).toBe('StrictSign')
  })

  it.each([[5], [null], [[1000]]])('rejects gossipsub: %j, naming the option', value => {
    expect(() => resolveNodeInit({ name: 'n1', gossipsub: value as never })).toThrow(InvalidOptionError)
    try {
      resolveNodeInit({ name: 'n1', gossipsub: value as never })
    } catch (err) {
      expect((err as InvalidOptionError).option).toBe('gossipsub')
    }
  })
})
