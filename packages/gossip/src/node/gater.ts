import type { ConnectionGater, PeerId } from '@libp2p/interface'

/**
 * A libp2p connection gater that refuses connections, both ways, with peers whose id is not in `allowPeers`:
 * checked once the encryption handshake has proved who the remote is, and before dialling a known peer. Give it
 * the same list as the cluster's `allowPeers`, which refuses records from other origins.
 *
 * @example
 * ```ts
 * createLibp2p({ connectionGater: allowPeersGater(ids), services: { mesh: meshbalancer({ name, allowPeers: ids }) } })
 * ```
 */
export function allowPeersGater (allowPeers: readonly string[]): ConnectionGater {
  const allowed = new Set(allowPeers)
  const denied = (peer: PeerId): boolean => !allowed.has(peer.toString())
  return {
    denyDialPeer: denied,
    denyInboundEncryptedConnection: denied,
    denyOutboundEncryptedConnection: denied
  }
}
