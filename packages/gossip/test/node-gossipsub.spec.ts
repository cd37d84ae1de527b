import { describe, expect, it } from '@jest/globals'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { InvalidOptionError } from '@meshbalancer/core'
import { resolveNodeInit } from '../src/node/init.js'
import { fastMessageId } from '../src/node/fast-message-id.js'
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
    // IHAVE at one heartbeat; messages kept for IWANT at gossipsub's five.
    expect(opts.mcacheGossip).toBe(1)
    expect(opts.mcacheLength).toBe(5)
    expect(opts.maxInboundDataLength).toBe(1024 * 1024)
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

describe('the fast message id', () => {
  const message = { topic: '/meshbalancer/default/state/2', from: new Uint8Array([1, 2, 3]), seqno: new Uint8Array([0, 0, 0, 1]), data: new Uint8Array([9, 9]), signature: new Uint8Array(64).fill(7) }

  it('is what gossipsub dedupes by before it verifies signatures', async () => {
    const opts = await gossipsubOf()
    expect(opts.fastMsgIdFn).toBe(fastMessageId)
  })

  it('is the same for the same bytes', () => {
    expect(fastMessageId({ ...message })).toBe(fastMessageId(message))
  })

  it.each([
    ['data', { data: new Uint8Array([9, 8]) }],
    ['signature', { signature: new Uint8Array(64).fill(6) }],
    ['seqno', { seqno: new Uint8Array([0, 0, 0, 2]) }],
    ['topic', { topic: '/meshbalancer/default/claims/1' }],
    ['key', { key: new Uint8Array([1]) }],
    // The same bytes split differently between two fields.
    ['field boundaries', { from: new Uint8Array([1, 2]), seqno: new Uint8Array([3, 0, 0, 0, 1]) }]
  ])('differs when the %s differs', (_field, change) => {
    expect(fastMessageId({ ...message, ...change })).not.toBe(fastMessageId(message))
  })
})
