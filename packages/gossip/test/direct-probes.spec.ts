import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLibp2p } from 'libp2p'
import { silentLogger } from '@meshbalancer/core'
import { probeProtocol } from '@meshbalancer/core/protocol'
import { until } from '@meshbalancer/core/testing'
import { clusterGossipsubInit, meshbalancer } from '../src/index.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Cluster } from '@meshbalancer/core'

const PING = '/ipfs/ping/1.0.0'
const PROBE = probeProtocol('default')
const TIMINGS = { probeIntervalMs: 100, probeTimeoutMs: 50 }

/** A node, the streams it opened (by remote peer and protocol), and a switch that cuts it off as a crash would. */
interface Node {
  libp2p: Libp2p<{ mesh: Cluster }>
  opened: Map<string, string[]>
  crash(): void
}

/** Counts every stream the node opens, on every connection it ever has. */
function countStreams (libp2p: Libp2p, opened: Map<string, string[]>): void {
  const watch = (connection: Connection): void => {
    const newStream = connection.newStream.bind(connection)
    connection.newStream = async (protocols, options) => {
      const stream = await newStream(protocols, options)
      const peer = connection.remotePeer.toString()
      opened.set(peer, [...(opened.get(peer) ?? []), stream.protocol ?? ''])
      return stream
    }
  }
  libp2p.addEventListener('connection:open', event => { watch(event.detail) })
}

async function startNode (name: string, join: string[]): Promise<Node> {
  let dead = false
  const opened = new Map<string, string[]>()
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Once crashed, the node is unreachable and reaches nobody, as a killed process: nothing it says gets out.
    connectionGater: {
      denyDialMultiaddr: () => dead,
      denyInboundConnection: () => dead,
      denyOutboundConnection: () => dead
    },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(clusterGossipsubInit()),
      mesh: meshbalancer({ name, join, logger: silentLogger, ...TIMINGS })
    },
    start: false
  })
  countStreams(libp2p, opened)
  await libp2p.start()
  return {
    libp2p,
    opened,
    crash: () => {
      dead = true
      for (const connection of libp2p.getConnections()) connection.abort(new Error('crashed'))
    }
  }
}

// Three real libp2p nodes over TCP on 127.0.0.1, probing each other every 100 ms.
describe('direct probes over libp2p', () => {
  const nodes: Node[] = []

  beforeAll(async () => {
    nodes.push(await startNode('p1', []))
    const join = nodes[0]!.libp2p.getMultiaddrs().map(address => address.toString())
    nodes.push(await startNode('p2', join), await startNode('p3', join))
    await until(() => nodes.every(node => node.libp2p.services.mesh.members().length === 3), 'three members seeing each other', 15_000)
  })

  afterAll(async () => {
    for (const node of nodes) await node.libp2p.stop()
  })

  it('ride one long-lived probe-protocol stream per peer, and open no libp2p ping stream', async () => {
    const [p1] = nodes as [Node]
    const mesh1 = p1.libp2p.services.mesh
    const before = mesh1.stats().probesSent
    const served = nodes.map(node => node.libp2p.services.mesh.stats().directProbesServed)
    // About 20 probes of each of the two others by each node.
    await until(() => mesh1.stats().probesSent - before >= 40, '40 more probes by p1', 20_000)
    for (const [index, node] of nodes.entries()) {
      const mesh = node.libp2p.services.mesh
      expect(mesh.stats().directProbesServed - served[index]!).toBeGreaterThanOrEqual(20)
      for (const other of nodes.filter(n => n !== node)) {
        const protocols = node.opened.get(other.libp2p.peerId.toString()) ?? []
        expect(protocols.filter(protocol => protocol === PING)).toEqual([])
        expect(protocols.filter(protocol => protocol === PROBE)).toEqual([PROBE])
        // The stream is still the one open, and the round trips it carries give the member's latency.
        const streams = node.libp2p.getConnections(other.libp2p.peerId).flatMap(connection => connection.streams)
        expect(streams.filter(stream => stream.protocol === PROBE && stream.direction === 'outbound').length).toBe(1)
        expect(mesh.member(other.libp2p.peerId.toString())?.latencyMs).toBeGreaterThan(0)
      }
    }
  })

  it('still find a crashed peer out: its connections close and it answers no probe', async () => {
    const [p1, p2, p3] = nodes as [Node, Node, Node]
    const victim = p3.libp2p.peerId.toString()
    const suspected: string[] = []
    const removed: string[] = []
    for (const node of [p1, p2]) {
      node.libp2p.services.mesh.on('member:suspect', member => { if (member.id === victim) suspected.push(node.libp2p.services.mesh.name) })
      node.libp2p.services.mesh.on('member:leave', (member, reason) => { if (member.id === victim) removed.push(`${node.libp2p.services.mesh.name} ${reason}`) })
    }
    p3.crash()
    await until(() => removed.length === 2, 'the crashed node removed by both others', 20_000)
    expect(suspected.sort()).toEqual(['p1', 'p2'])
    expect(removed.sort()).toEqual(['p1 dead', 'p2 dead'])
    for (const node of [p1, p2]) {
      expect((node.opened.get(victim) ?? []).filter(protocol => protocol === PING)).toEqual([])
    }
  })
})
