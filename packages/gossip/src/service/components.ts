import type { GossipSub } from '@libp2p/gossipsub'
import type { ComponentLogger, Libp2pEvents, Metrics, PeerId, PeerStore, PrivateKey, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Ping } from '@libp2p/ping'

/**
 * What the meshbalancer service uses of the libp2p node it runs in. gossipsub and ping are found as the services
 * named `pubsub` and `ping`, the names js-libp2p's documentation gives them.
 */
export interface MeshbalancerComponents {
  peerId: PeerId
  /** The node's identity key: the service signs its member records with it. */
  privateKey: PrivateKey
  events: TypedEventTarget<Libp2pEvents>
  addressManager: AddressManager
  connectionManager: ConnectionManager
  registrar: Registrar
  peerStore: PeerStore
  logger: ComponentLogger
  /** libp2p's metrics, when the node has them (its `metrics` option): the service registers its gauges there. */
  metrics?: Metrics
  pubsub: GossipSub
  ping: Ping
}
