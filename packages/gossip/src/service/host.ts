import { MissingServiceError } from './errors.js'
import type { MeshbalancerComponents } from './components.js'
import type { TransportHost } from '../transport/libp2p-transport.js'
import type { PeerId } from '@libp2p/interface'

/**
 * A {@link TransportHost} over `components`. The node is started and stopped by its owner, not by the transport:
 * `start()` does nothing, and `stop()` calls `onStop` (which `createNode` uses to stop the node it made).
 */
export function transportHost (components: MeshbalancerComponents, onStop?: () => Promise<void>): TransportHost {
  const service = <K extends 'pubsub' | 'ping'>(name: K, capability: string): MeshbalancerComponents[K] => {
    try {
      return components[name]
    } catch (err) {
      throw new MissingServiceError(`the meshbalancer service needs ${capability} as the libp2p service named "${name}": ${(err as Error).message}`)
    }
  }
  return {
    peerId: components.peerId,
    peerStore: components.peerStore,
    services: {
      get pubsub () { return service('pubsub', 'gossipsub') },
      get ping () { return service('ping', '@libp2p/ping') }
    },
    getMultiaddrs: () => components.addressManager.getAddresses(),
    addEventListener: components.events.addEventListener.bind(components.events),
    removeEventListener: components.events.removeEventListener.bind(components.events),
    start: async () => {},
    stop: async () => { await onStop?.() },
    handle: async (protocols, handler, options) => {
      for (const protocol of Array.isArray(protocols) ? protocols : [protocols]) {
        await components.registrar.handle(protocol, handler, options)
      }
    },
    unhandle: async (protocols, options) => {
      for (const protocol of Array.isArray(protocols) ? protocols : [protocols]) {
        await components.registrar.unhandle(protocol, options)
      }
    },
    // The priority libp2p gives dials of its user over its own (discovery, autodial).
    dial: async (peer, options = {}) => await components.connectionManager.openConnection(peer, { priority: 75, ...options }),
    dialProtocol: async (peer, protocols, options = {}) => await components.connectionManager.openStream(peer, protocols, options),
    getConnections: peerId => components.connectionManager.getConnections(peerId),
    getPeers: () => {
      const peers = new Map<string, PeerId>()
      for (const { remotePeer } of components.connectionManager.getConnections()) peers.set(remotePeer.toString(), remotePeer)
      return [...peers.values()]
    }
  }
}
