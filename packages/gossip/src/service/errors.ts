/**
 * The libp2p node lacks a service the meshbalancer service needs under its expected name (gossipsub as `pubsub`,
 * ping as `ping`). libp2p checks capabilities when the node is created; the names are checked when it starts.
 */
export class MissingServiceError extends Error {
  readonly code = 'MISSING_SERVICE'
  override readonly name = 'MissingServiceError'
}
