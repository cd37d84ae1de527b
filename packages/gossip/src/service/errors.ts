/**
 * The libp2p node lacks a service the meshbalancer service needs under its expected name (gossipsub as `pubsub`,
 * ping as `ping`). libp2p checks capabilities when the node is created; the names are checked when it starts.
 */
export class MissingServiceError extends Error {
  readonly code = 'MISSING_SERVICE'
  override readonly name = 'MissingServiceError'
}

/**
 * A cluster node that left does not join again: its record says `left`, and peers keep that for a while. Starting
 * its libp2p node again (or the service) throws this; create a new node to rejoin, as a restarted process does.
 */
export class ClusterLeftError extends Error {
  readonly code = 'CLUSTER_LEFT'
  override readonly name = 'ClusterLeftError'
}
