import { resolveMeshbalancerInit } from './init.js'
import { MeshbalancerService } from './service.js'
import type { MeshbalancerComponents } from './components.js'
import type { MeshbalancerInit } from './init.js'
import type { Cluster } from '@meshbalancer/core'

/**
 * A libp2p service that makes the node a member of a meshbalancer cluster. `libp2p.services.<name>` is the node's
 * `Cluster`: it joins when libp2p starts and leaves gracefully when libp2p stops (or at `cluster.stop()`).
 *
 * It needs gossipsub as the service named `pubsub` and `@libp2p/ping` as `ping`; gossipsub needs identify. Its
 * logger and metrics are libp2p's, unless `init.logger` is given. Options are checked here, before libp2p is
 * created: a bad one throws an `InvalidOptionError` naming it.
 *
 * @example
 * ```ts
 * const libp2p = await createLibp2p({
 *   transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
 *   services: { identify: identify(), ping: ping(), pubsub: gossipsub(), mesh: meshbalancer({ name: 'api-1' }) }
 * })
 * libp2p.services.mesh.handle('echo', args => args)
 * ```
 */
export function meshbalancer (init: MeshbalancerInit): (components: MeshbalancerComponents) => Cluster {
  const resolved = resolveMeshbalancerInit(init)
  return components => new MeshbalancerService(components, resolved)
}
