import { consoleLogger, defaults } from '@meshbalancer/core'
import { MeshbalancerService } from '../service/service.js'
import { loadIdentity } from './identity.js'
import { resolveNodeInit } from './init.js'
import { createMeshLibp2p } from './libp2p.js'
import type { MeshbalancerComponents } from '../service/components.js'
import type { GossipNodeInit } from './init.js'
import type { Cluster } from '@meshbalancer/core'
import type { Libp2p } from '@libp2p/interface'

/**
 * A preset: creates the recommended libp2p node (TCP, noise, yamux, identify, ping, gossipsub) with the
 * `meshbalancer` service in it, starts it (joining the cluster through `init.join`) and returns the service, the
 * node's started `Cluster`. `cluster.stop()` leaves gracefully and stops libp2p. Warnings go to the console
 * unless `init.logger` is given.
 *
 * @example
 * ```ts
 * const seed = await createNode({ name: 'n1', listen: ['/ip4/127.0.0.1/tcp/5001'] })
 * const node = await createNode({ name: 'n2', join: ['/ip4/127.0.0.1/tcp/5001'], keyFile: './n2.key' })
 * ```
 */
export async function createNode (init: GossipNodeInit): Promise<Cluster> {
  const { network, service } = resolveNodeInit(init)
  const identity = await loadIdentity(network.keyFile)
  const options = {
    transport: service.transport,
    cluster: { ...service.cluster, incarnation: identity.incarnation, logger: service.cluster.logger ?? consoleLogger }
  }
  const libp2p: Libp2p<{ mesh: Cluster }> = await createMeshLibp2p(network, identity.privateKey, service.cluster.cluster ?? defaults.DEFAULT_CLUSTER_NAME, service.cluster.allowPeers, {
    mesh: (components: MeshbalancerComponents) => new MeshbalancerService(components, options, { onStop: async () => { await libp2p.stop() } })
  })
  // libp2p stops every service again when one fails to start, leaving nothing running.
  await libp2p.start()
  return libp2p.services.mesh
}
