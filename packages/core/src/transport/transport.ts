/**
 * What the cluster needs from a network: topic publish/subscribe with validation before forwarding, and
 * request/response between peers. `@meshbalancer/gossip` implements it over libp2p; {@link MemoryNetwork} in memory.
 *
 * Every transport carries the same bytes (records and RPC frames are encoded by core), so a cluster behaves the
 * same over either. `describeTransportCompliance` in `@meshbalancer/core/testing` checks an implementation
 * against this contract.
 */

/** A message received on a topic. `from` is the peer that originated (and, over libp2p, signed) it. */
export interface TopicMessage {
  readonly from: string
  readonly data: Uint8Array
  /**
   * The peer that handed this copy over: `from` itself, or a member forwarding it. Both transports set it; a
   * transport that cannot tell leaves it out, and readers then take `from`.
   */
  readonly via?: string
}

/**
 * The verdict of a topic validator. `accept` delivers and forwards; `deliver-only` delivers without forwarding
 * (the message's origin already sent it to everyone who should have it); `reject` drops the message and penalises
 * the peer that sent it; `ignore` drops it without penalty (for example a duplicate).
 */
export type ValidationResult = 'accept' | 'deliver-only' | 'reject' | 'ignore'

/** Receives the messages of one topic. */
export interface TopicHandler {
  /** Runs before a message is delivered or forwarded; must not throw. */
  validate(message: TopicMessage): ValidationResult
  /** Runs for every message accepted (`accept` or `deliver-only`). */
  deliver(message: TopicMessage): void
  /**
   * Runs for every other peer subscribed to the topic: those already subscribed when this handler is registered,
   * and those that subscribe later, so that the subscriber can announce itself to the newcomer, or exchange states with
   * it, without waiting for a refresh. Optional for transports that cannot tell.
   */
  peerSubscribed?(peer: string): void
}

/** Context of an incoming request. */
export interface RequestContext {
  /** The requesting peer. */
  readonly from: string
  /** Aborts, with a `RequestAbortedError`, when the requester aborts, goes away or resets the stream. */
  readonly signal: AbortSignal
}

/**
 * Serves one request. Resolves with the response bytes, or with `undefined` when the request expects no response.
 * A transport treats a rejection, or `undefined` for a request that expects a response, as a failed stream (the
 * requester sees `SERVICE_UNAVAILABLE`).
 */
export type RequestHandler = (request: Uint8Array, context: RequestContext) => Promise<Uint8Array | undefined>

export interface RequestOptions {
  /** Aborting rejects the request with the signal's reason and resets the stream. */
  readonly signal: AbortSignal
  /** False for one-way sends: the promise resolves once the request is written. */
  readonly expectResponse: boolean
}

/** Hears about connectivity the transport observes. */
export interface PeerListener {
  /** The last connection to `peer` closed (it may have crashed, or only the link may have gone). */
  disconnected(peer: string): void
}

/** A peer-to-peer network as the cluster uses it. */
export interface Transport {
  /** This peer's id, stable for its identity. */
  readonly id: string
  /** Addresses at which peers can reach this one (announced in its member record). */
  addresses(): string[]
  /** Starts; a no-op when started. */
  start(): Promise<void>
  /** Stops; a no-op when stopped. Requests in flight fail, and peers see their connections to this one close. */
  stop(): Promise<void>
  /** Delivers the topic's messages from every other peer to `handler`, never this peer's own. */
  subscribe(topic: string, handler: TopicHandler): void
  unsubscribe(topic: string): void
  /** Publishes to every subscriber of `topic`; must not reject when nobody is subscribed yet. */
  publish(topic: string, data: Uint8Array): Promise<void>
  /**
   * The peers that a publish on `topic` made now sends to directly, without a forwarding peer in between: over
   * gossipsub with flood publishing, every subscribed peer that is a direct peer or scores at least the publish
   * threshold, and to which a stream is open. Optional:
   * without it, the cluster never asks its receivers to skip forwarding (`deliver-only`).
   */
  topicPeers?(topic: string): string[]
  handleRequests(protocol: string, handler: RequestHandler): void
  unhandleRequests(protocol: string): void
  /**
   * Sends a request to `peer`. Rejects with `ServiceUnavailableError` when the peer cannot be reached, does not
   * serve `protocol`, or the stream fails (the handler rejected, say), and with the signal's reason when aborted.
   */
  request(peer: string, protocol: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array | undefined>
  /**
   * Sets up what requests of `protocol` to `peer` ride, when it is not set up yet (over libp2p: a dial if there is
   * no connection, and the long-lived stream of the protocol), and resolves at once when it is. Rejects as
   * `request` does when that fails, and with the signal's reason when aborted. The failure detector calls it
   * before it times a probe, so that a probe's timeout measures the peer's answer and not a negotiation of a new
   * stream, which takes extra round trips through a peer that is merely busy. Optional: a transport with nothing to
   * set up leaves it out.
   */
  prepare?(peer: string, protocol: string, options: { signal: AbortSignal }): Promise<void>
  /**
   * Signs `payload` with this peer's identity key, as {@link Transport.verify} on any peer checks it. Over libp2p
   * that is the node's private key (Ed25519 or secp256k1); it signs member records, which members relay to each
   * other in push-pull and which must stay verifiable as their origin's.
   */
  sign(payload: Uint8Array): Promise<Uint8Array>
  /**
   * True when `signature` over `payload` was made by `peer`'s identity key. False for any other signature and for
   * a peer whose key this transport cannot know (over libp2p, a peer id that does not inline its public key: only
   * Ed25519 and secp256k1 ids do). Never rejects. Implementations keep the verifying keys of recent peers, bounded,
   * so that a check costs no key parsing.
   */
  verify(peer: string, payload: Uint8Array, signature: Uint8Array): Promise<boolean>
  /**
   * Resolves once every peer connected now has read what this peer published before the call, or once the signal
   * aborts (peers that did not confirm in time are not waited for); never rejects. The cluster calls it after its
   * `left` record, before it stops the transport: a transport whose closing connections may lose what a busy peer
   * has not read yet (a TCP reset does) implements it. Optional: without it, publishing is taken as delivery.
   */
  confirmDelivery?(options: { signal: AbortSignal }): Promise<void>
  /** Measures one round trip to `peer` in milliseconds. Optional: without it, latency stays unknown. */
  ping?(peer: string, options: { signal: AbortSignal }): Promise<number>
  /** Tells the transport where a member can be reached, so that it can dial members it met through gossip. */
  addPeerAddresses?(peer: string, addresses: readonly string[]): void
  /**
   * Tells the transport that a member is gone: it `left` (stop trying to reach it), or it was declared `dead`
   * (its connections may be stale: check them, and try it again now and then, as it may be on the far side of a
   * partition).
   */
  forgetPeer?(peer: string, reason: 'left' | 'dead'): void
  /**
   * Adds a listener of connectivity changes; every listener added hears every event. Optional: without it,
   * silence alone reveals crashes.
   */
  watchPeers?(listener: PeerListener): void
  /** The peers this one has an open connection to. Optional. */
  connectedPeers?(): string[]
  /**
   * Tells the transport that `peer` misbehaved at the cluster's level (it made false claims about other members),
   * so that it scores the peer down: over gossipsub, the peer's application-specific score. Optional.
   */
  penalize?(peer: string, reason: 'false-claims'): void
}
