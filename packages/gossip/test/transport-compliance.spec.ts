import { generateKeyPair } from '@libp2p/crypto/keys'
import { silentLogger } from '@meshbalancer/core'
import { describeTransportCompliance, until } from '@meshbalancer/core/testing'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'

const NETWORK = { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 }

// Real libp2p nodes over TCP on 127.0.0.1, dialled into a full mesh: no join addresses, so that the dialler never
// reconnects a link a test has cut.
describeTransportCompliance('Libp2pTransport', {
  async createPeers (count) {
    const transports: Libp2pTransport[] = []
    const nodes = new Map<Libp2pTransport, Awaited<ReturnType<typeof createMeshLibp2p>>>()
    for (let i = 0; i < count; i++) {
      const privateKey = await generateKeyPair('Ed25519')
      const libp2p = await createMeshLibp2p(NETWORK, privateKey, 'compliance')
      const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey })
      await transport.start()
      transports.push(transport)
      nodes.set(transport, libp2p)
    }
    for (const [i, a] of transports.entries()) {
      for (const b of transports.slice(i + 1)) await a.libp2p.dial(b.libp2p.getMultiaddrs())
    }
    await until(() => transports.every(t => t.connectedPeers().length === count - 1), 'a full mesh of connections', 10_000)
    return {
      transports,
      disconnect: async (a, b) => { await nodes.get(a as Libp2pTransport)!.hangUp((b as Libp2pTransport).libp2p.peerId) },
      close: async () => { await Promise.all(transports.map(async transport => { await transport.stop() })) }
    }
  }
})
