import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ServiceUnavailableError, TransportStartError } from '@meshbalancer/core'
import { firstDeliveryCredit } from './first-delivery.js'
import { directTopicPeers } from './flood-peers.js'
import { DEFAULT_FORWARD_HOLD_MS, ForwardHold } from './forward-hold.js'
import { Penalties } from './penalties.js'
import { PeerDialer } from './peer-dialer.js'
import { PeerKeys } from './peer-keys.js'
import { serveRpcStream } from './rpc-callee.js'
import { RpcCaller } from './rpc-caller.js'
import { PeerBudgets, RPC_STREAM_OPEN_TIMEOUT_MS, rpcLimits } from './rpc-limits.js'
import type { CalleeCounters } from './rpc-callee.js'
import type { RpcLimits } from './rpc-limits.js'
import type { GossipSub, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PeerId, PrivateKey, Stream } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Logger, PeerListener, RequestHandler, RequestOptions, TopicHandler, Transport, ValidationResult } from '@meshbalancer/core'

/** The libp2p services a meshbalancer node runs (a type alias: libp2p's service map needs an index signature). */
export type NodeServices = {
  pubsub: GossipSub
  identify: Identify
  ping: Ping
}

/**
 * The part of a libp2p node the transport uses: a whole node from `createLibp2p`, or the meshbalancer service's
 * view of one, built from its components. Naming it lets the compiler check that the service supplies all of it.
 */
export type TransportHost = Pick<Libp2p, 'peerId' | 'peerStore' | 'getMultiaddrs' | 'addEventListener' | 'removeEventListener' |
'start' | 'stop' | 'handle' | 'unhandle' | 'dial' | 'dialProtocol' | 'getConnections' | 'getPeers'> & {
  readonly services: Pick<NodeServices, 'pubsub' | 'ping'>
}

/**
 * gossipsub's verdict for each of the core's but `accept` (see {@link ForwardHold}). `deliver-only` is delivered
 * by the validator itself and then ignored: gossipsub forwards nothing it ignores, nor offers it in IHAVE, and
 * ignoring costs the sender no score. Nor does it earn the sender any, so the transport credits the first delivery
 * itself (see `subscribe`).
 */
const VERDICTS: Record<Exclude<ValidationResult, 'accept'>, TopicValidatorResult> = {
  'deliver-only': TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore
}

/** A ping of one peer in flight, and how many callers wait for it. */
interface SharedPing {
  readonly promise: Promise<number>
  readonly controller: AbortController
  waiters: number
}

export interface Libp2pTransportInit {
  join: string[]
  joinRetryIntervalMs: number
  targetPeers: number
  logger: Logger
  /** The node's identity key (the one its peer id is made from), with which it signs its member records. */
  privateKey: PrivateKey
  /** Bounds on what one peer can make this node hold as a callee. @default DEFAULT_RPC_LIMITS */
  rpcLimits?: Partial<RpcLimits>
  /**
   * How long an accepted message waits before gossipsub forwards it (see {@link ForwardHold}), an integer from 0
   * (forwarded at once) to 1000. @default DEFAULT_FORWARD_HOLD_MS
   */
  forwardHoldMs?: number
}

/**
 * The core's `Transport` over a libp2p node: gossipsub for topics (signed messages, validated before they are
 * forwarded), RPC multiplexed over one long-lived stream per peer and protocol (PROTOCOL.md §6; the failure
 * detector's probes ride it too), libp2p ping for the dialer's checks of lost members and of revived records, and a
 * dialer that joins through the given addresses and then connects to members learned from gossip.
 */
export class Libp2pTransport implements Transport {
  readonly id: string
  private readonly dialer: PeerDialer
  private readonly listeners = new Map<string, Array<() => void>>()
  private started = false
  /** Open RPC streams to peers, by peer and protocol; and those being opened. */
  private readonly callers = new Map<string, RpcCaller>()
  private readonly opening = new Map<string, Promise<RpcCaller>>()
  /** RPC streams this node serves, by protocol, reset when the protocol is no longer handled. */
  private readonly served = new Map<string, Set<Stream>>()
  private readonly budgets: PeerBudgets
  private readonly privateKey: PrivateKey
  private readonly keys = new PeerKeys()
  private readonly penalties: Penalties
  private readonly forwardHold: ForwardHold
  private readonly creditFirstDelivery: (from: string, topic: string) => void
  /** Pings in flight, one per peer, shared by their callers. */
  private readonly pings = new Map<string, SharedPing>()
  /** What this node refused or dropped as a callee. */
  readonly rpcCounters: CalleeCounters = { overloaded: 0, protocolErrors: 0, paused: 0 }

  constructor (readonly libp2p: TransportHost, init: Libp2pTransportInit) {
    this.id = libp2p.peerId.toString()
    this.budgets = new PeerBudgets(rpcLimits(init.rpcLimits))
    this.privateKey = init.privateKey
    this.penalties = new Penalties(libp2p.services.pubsub)
    this.forwardHold = new ForwardHold(libp2p.services.pubsub, init.forwardHoldMs ?? DEFAULT_FORWARD_HOLD_MS, init.logger)
    this.creditFirstDelivery = firstDeliveryCredit(libp2p.services.pubsub, init.logger)
    this.dialer = new PeerDialer(libp2p, {
      ...init,
      // Through the shared pings: the dialler's check of a lost member must not collide with another ping of it.
      ping: async (id, signal) => await this.ping(id.toString(), { signal })
    })
  }

  /** Listen addresses as announced, without the `/p2p/<id>` suffix (the id travels with the record). */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(address => address.decapsulateCode(421).toString())
  }

  /** Starts libp2p and the dialer; a no-op when started. Rejects with `TransportStartError` when libp2p cannot start. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    try {
      await this.libp2p.start()
    } catch (err) {
      this.started = false
      this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
      // Whatever did start (a listener on another address, services) is stopped again.
      try { await this.libp2p.stop() } catch {}
      throw new TransportStartError(`libp2p did not start: ${messageOf(err)}`, { cause: err })
    }
    this.dialer.start()
  }

  /** Stops the dialer and libp2p; a no-op when stopped. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
    this.dialer.stop()
    this.forwardHold.releaseAll()
    for (const caller of [...this.callers.values()]) caller.close(`${this.id} stopped`)
    await this.libp2p.stop()
  }

  /** Peers found by discovery (mDNS) are dialled like members learned from gossip. */
  private readonly onDiscovery = (event: CustomEvent<{ id: PeerId }>): void => { this.dialer.consider(event.detail.id) }

  subscribe (topic: string, handler: TopicHandler): void {
    const pubsub = this.libp2p.services.pubsub
    pubsub.topicValidators.set(topic, (source, message) => {
      // StrictSign already refuses unsigned messages; this keeps the origin check meaningful if that ever changes.
      if (message.type !== 'signed') return TopicValidatorResult.Reject
      const received = { from: message.from.toString(), data: message.data, via: source.toString() }
      const verdict = handler.validate(received)
      // Delivered here, its signature already checked, rather than on gossipsub's event: gossipsub emits none for what
      // it ignores, and an accepted message would reach the node only after its forwarding hold.
      if (verdict === 'accept' || verdict === 'deliver-only') handler.deliver(received)
      if (verdict === 'accept') return this.forwardHold.accept(topic, message, received.via)
      // A valid message its origin was first to deliver, as an accepted one would be: the same first-delivery
      // standing (docs/PROTOCOL.md, 2.2), which offsets a later rejection. Without it, a member whose records all
      // reach every member directly (an idle member's refreshes, where every pair is connected) would have none,
      // and one rejected record would graylist it.
      if (verdict === 'deliver-only' && received.via === received.from) this.creditFirstDelivery(received.via, topic)
      return VERDICTS[verdict]
    })
    const onSubscriptionChange = (event: CustomEvent<SubscriptionChangeData>): void => {
      const { peerId, subscriptions } = event.detail
      if (subscriptions.some(s => s.topic === topic && s.subscribe)) handler.peerSubscribed?.(peerId.toString())
    }
    pubsub.addEventListener('subscription-change', onSubscriptionChange)
    this.listeners.set(topic, [
      () => { pubsub.removeEventListener('subscription-change', onSubscriptionChange) }
    ])
    pubsub.subscribe(topic)
    // Peers that subscribed before this one did are announced too, as they would be had they subscribed after.
    for (const peer of pubsub.getSubscribers(topic)) handler.peerSubscribed?.(peer.toString())
  }

  unsubscribe (topic: string): void {
    const pubsub = this.libp2p.services.pubsub
    for (const remove of this.listeners.get(topic) ?? []) remove()
    this.listeners.delete(topic)
    pubsub.topicValidators.delete(topic)
    pubsub.unsubscribe(topic)
  }

  async publish (topic: string, data: Uint8Array): Promise<void> {
    try {
      await this.libp2p.services.pubsub.publish(topic, data)
    } catch (err) {
      throw new ServiceUnavailableError(`cannot publish on ${topic}: ${messageOf(err)}`)
    }
  }

  /** Accepted messages whose forwarding is still held (see {@link ForwardHold}); for tests and diagnostics. */
  get forwardsHeld (): number {
    return this.forwardHold.pending
  }

  /** The peers a publish goes to directly: with flood publishing, every subscriber above the publish threshold (or direct) with an open stream. */
  topicPeers (topic: string): string[] {
    return directTopicPeers(this.libp2p.services.pubsub, topic)
  }

  handleRequests (protocol: string, handler: RequestHandler): void {
    const streams = new Set<Stream>()
    this.served.set(protocol, streams)
    const { maxStreamsPerConnection } = this.budgets.limits
    void this.libp2p.handle(protocol, (stream, connection) => {
      streams.add(stream)
      stream.addEventListener('close', () => { streams.delete(stream) }, { once: true })
      serveRpcStream(stream, connection, handler, this.budgets, this.rpcCounters)
    }, {
      maxInboundStreams: maxStreamsPerConnection,
      maxOutboundStreams: maxStreamsPerConnection
    })
  }

  unhandleRequests (protocol: string): void {
    void this.libp2p.unhandle(protocol)
    // Streams already open would go on serving: their callers learn at once, and the next call finds no protocol.
    for (const stream of this.served.get(protocol) ?? []) stream.abort(new ServiceUnavailableError(`${protocol} is no longer served`))
    this.served.delete(protocol)
  }

  request (peer: string, protocol: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array | undefined> {
    // Not async: the stream is usually open, and the call then goes straight onto it.
    if (options.signal.aborted) return Promise.reject(options.signal.reason)
    const key = `${peer} ${protocol}`
    const caller = this.callers.get(key)
    if (caller !== undefined && caller.usable) return caller.request(data, options.expectResponse, options.signal)
    return untilAborted(this.openCaller(key, peer, protocol), options.signal)
      .then(async opened => await opened.request(data, options.expectResponse, options.signal))
  }

  async prepare (peer: string, protocol: string, options: { signal: AbortSignal }): Promise<void> {
    if (options.signal.aborted) throw options.signal.reason
    const key = `${peer} ${protocol}`
    if (this.callers.get(key)?.usable === true) return
    await untilAborted(this.openCaller(key, peer, protocol), options.signal)
  }

  /** Opens the RPC stream to `peer` for `protocol`, once for all the calls that wait for it. */
  private async openCaller (key: string, peer: string, protocol: string): Promise<RpcCaller> {
    let opening = this.opening.get(key)
    if (opening === undefined) {
      opening = (async () => {
        const id = toPeerId(peer)
        let stream: Stream
        try {
          // Not the first call's signal: the stream outlives it, and the other calls waiting for it.
          stream = await this.libp2p.dialProtocol(id, protocol, { signal: AbortSignal.timeout(RPC_STREAM_OPEN_TIMEOUT_MS) })
        } catch (err) {
          throw new ServiceUnavailableError((err as Error | undefined)?.name === 'UnsupportedProtocolError'
            ? `${peer} does not speak ${protocol} (a node of another protocol version?)`
            : `cannot open an RPC stream to ${peer}: ${messageOf(err)}`)
        }
        const caller = new RpcCaller(stream, peer, closed => { if (this.callers.get(key) === closed) this.callers.delete(key) })
        this.callers.set(key, caller)
        return caller
      })()
      this.opening.set(key, opening)
      opening.then(() => { this.opening.delete(key) }, () => { this.opening.delete(key) })
    }
    return await opening
  }

  /** Signs with the node's identity key (Ed25519 or secp256k1; an RSA identity signs too, but nothing can verify it). */
  async sign (payload: Uint8Array): Promise<Uint8Array> {
    return await this.privateKey.sign(payload)
  }

  /** Checks with the key inlined in `peer`'s id, parsed once per peer and kept in a bounded cache. */
  async verify (peer: string, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return await this.keys.verify(peer, payload, signature)
  }

  /**
   * One round trip to `peer` over libp2p ping, dialling it if needed. Concurrent pings of one peer (the dialer's check
   * of a lost member and a revival check of its record, say) share one ping stream: libp2p's ping keeps at most one
   * outbound stream per peer, so a second would fail for no fault of the peer. The shared ping is aborted once every
   * caller has given up.
   */
  async ping (peer: string, options: { signal: AbortSignal }): Promise<number> {
    const { signal } = options
    signal.throwIfAborted()
    let shared = this.pings.get(peer)
    if (shared === undefined) {
      const controller = new AbortController()
      // Timed here in fractions of a millisecond: libp2p's own figure is whole milliseconds, 0 on a LAN.
      const started = performance.now()
      const promise = this.libp2p.services.ping.ping(toPeerId(peer), { signal: controller.signal }).then(() => performance.now() - started)
      const created: SharedPing = { promise, controller, waiters: 0 }
      shared = created
      this.pings.set(peer, created)
      promise.catch(() => {}).finally(() => { if (this.pings.get(peer) === created) this.pings.delete(peer) })
    }
    const current = shared
    current.waiters++
    let onAbort: (() => void) | undefined
    try {
      return await Promise.race([current.promise, new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })])
    } catch (err) {
      if (signal.aborted) throw signal.reason
      if (err instanceof ServiceUnavailableError) throw err
      throw new ServiceUnavailableError(`${peer} did not answer a ping: ${messageOf(err)}`)
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
      if (--current.waiters === 0) {
        current.controller.abort()
        if (this.pings.get(peer) === current) this.pings.delete(peer)
      }
    }
  }

  /** Adds a listener; every listener added hears every event. */
  watchPeers (listener: PeerListener): void {
    this.libp2p.addEventListener('peer:disconnect', event => { listener.disconnected(event.detail.toString()) })
  }

  /**
   * A ping of every connected peer: a peer answers once it has read what was sent to it before the ping, which this
   * node's sockets had handed to the kernel already (gossipsub writes at once). The ping's stream rides the same
   * connection and its ordered byte stream, or, when the pair holds two connections, one whose bytes came later
   * than the record's to a peer that reads every readable socket when it polls. Without this wait, a leaving node
   * closed its connections tens of milliseconds after its `left` record; a peer whose event loop was busy
   * meanwhile then met a reset socket (the leaving side had unread data) before reading the record, and saw the
   * departure only when its failure detector suspected the node.
   */
  async confirmDelivery (options: { signal: AbortSignal }): Promise<void> {
    await Promise.all(this.connectedPeers().map(async peer => { await this.ping(peer, options).catch(() => {}) }))
  }

  connectedPeers (): string[] {
    return this.libp2p.getPeers().map(peer => peer.toString())
  }

  forgetPeer (peer: string, reason: 'left' | 'dead'): void {
    if (reason === 'dead') this.dialer.lose(peer)
    else this.dialer.forget(peer)
    // Its last addresses, from the peer store, are dialled now and then in case it restarts there, perhaps as
    // another peer id.
    let id: PeerId
    try { id = peerIdFromString(peer) } catch { return }
    this.libp2p.peerStore.get(id)
      .then(stored => { this.dialer.remember(peer, stored.addresses.map(address => address.multiaddr)) })
      .catch(() => {})
  }

  /** Lowers the peer's gossipsub score for a while (see `FALSE_CLAIMS_PENALTY`). */
  penalize (peer: string, _reason: 'false-claims'): void {
    this.penalties.add(peer)
  }

  addPeerAddresses (peer: string, addresses: readonly string[]): void {
    const id = toPeerId(peer)
    const multiaddrs = addresses.flatMap(address => {
      try { return [multiaddr(address)] } catch { return [] }
    })
    this.libp2p.peerStore.merge(id, { multiaddrs })
      .then(() => { this.dialer.consider(id) })
      .catch(() => {})
  }
}

function toPeerId (peer: string): PeerId {
  try {
    return peerIdFromString(peer)
  } catch {
    throw new ServiceUnavailableError(`"${peer}" is not a peer id`)
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts, whichever comes first. */
async function untilAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

function messageOf (err: unknown): string {
  return (err as Error | undefined)?.message ?? String(err)
}
