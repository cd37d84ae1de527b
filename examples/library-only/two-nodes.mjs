// Two meshbalancer nodes over real libp2p (TCP on 127.0.0.1), using only the library packages: one built by the
// createNode preset, one composed as a libp2p service in an application's own libp2p node. They form a cluster,
// and one calls the other. Prints one JSON line with the answer and exits 0, or exits 1.
import { clusterGossipsubInit, createNode, meshbalancer } from '@meshbalancer/gossip'
import { powerOfTwo } from '@meshbalancer/algorithms'
import { silentLogger } from '@meshbalancer/core'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'

const seed = await createNode({ name: 'seed', logger: silentLogger })
seed.handle('hello', ({ from }) => ({ greeting: `hello ${from}`, node: seed.name }))
seed.loadBalancer({ name: 'greeter', algorithm: powerOfTwo() })

const libp2p = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub(clusterGossipsubInit()),
    mesh: meshbalancer({ name: 'app', join: seed.self().addresses, logger: silentLogger })
  }
})
const greeters = libp2p.services.mesh.loadBalancer({ name: 'greeter', algorithm: powerOfTwo(), nodeMatch: [] })

try {
  await greeters.ready({ timeoutMs: 15_000 })
  const answer = await greeters.call('hello', { from: 'app' }, { timeoutMs: 5000 })
  console.log(JSON.stringify({ members: libp2p.services.mesh.members().length, answer }))
} catch (err) {
  console.error(err)
  process.exitCode = 1
} finally {
  await libp2p.stop()
  await seed.stop()
}
