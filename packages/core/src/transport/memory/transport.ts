import { RequestAbortedError, ServiceUnavailableError } from '../../errors.js'
import type { MemoryNetwork } from './network.js'
import type { PeerListener, RequestHandler, RequestOptions, TopicHandler, TopicMessage, Transport } from '../transport.js'

/** A request in flight; failing it settles the requester and aborts the handler, like a reset stream. */
interface ActiveCall {
  readonly from: string
  readonly to: string
  fail(error: Error): void
}

/**
 * A {@link Transport} on a {@link MemoryNetwork}. Messages and requests are delivered on the network's clock after
 * the link delay; a partition or a stopped peer makes a peer unreachable, and stopping either end of a request in
 * flight fails it with `SERVICE_UNAVAILABLE`.
 */
export class MemoryTransport implements Transport {
  started = false
  private readonly topics = new Map<string, TopicHandler>()
  private readonly protocols = new Map<string, RequestHandler>()
  private readonly calls = new Set<ActiveCall>()
  private readonly peerListeners: PeerListener[] = []

  constructor (readonly id: string, private readonly network: MemoryNetwork) {}

  addresses (): string[] {
    return [`/memory/${this.id}`]
  }

  async start (): Promise<void> {
    this.started = true
  }

  /** Stops; peers see their connections to it close, as with a process that exits or crashes. */
  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    for (const call of [...this.calls]) call.fail(new ServiceUnavailableError(`connection to ${this.id} closed`))
    for (const peer of this.network.startedTransports()) peer.peerDisconnected(this.id)
  }

  /** Adds a listener; every listener added hears every event. */
  watchPeers (listener: PeerListener): void {
    this.peerListeners.push(listener)
  }

  /** Every started peer this one is not partitioned from: the network behaves as a full mesh of connections. */
  connectedPeers (): string[] {
    if (!this.started) return []
    return this.network.startedTransports()
      .filter(peer => peer.id !== this.id && this.network.isReachable(this.id, peer.id))
      .map(peer => peer.id)
  }

  /** Nothing to do: the memory network reaches every started peer without dialling. */
  forgetPeer (_peer: string, _reason: 'left' | 'dead'): void {}

  /** @internal The connection to `peer` closed: fails the calls between the two and tells the listeners. */
  closeConnection (peer: string): void {
    for (const call of [...this.calls]) {
      if (call.from === peer || call.to === peer) call.fail(new ServiceUnavailableError(`connection between ${this.id} and ${peer} closed`))
    }
    this.peerDisconnected(peer)
  }

  private peerDisconnected (peer: string): void {
    for (const listener of this.peerListeners) listener.disconnected(peer)
  }

  subscribe (topic: string, handler: TopicHandler): void {
    this.topics.set(topic, handler)
    for (const peer of this.network.subscribers(topic, this.id)) {
      if (!this.network.isReachable(this.id, peer.id)) continue
      peer.topics.get(topic)?.peerSubscribed?.(this.id)
      handler.peerSubscribed?.(peer.id)
    }
  }

  unsubscribe (topic: string): void {
    this.topics.delete(topic)
  }

  /** @internal */
  isSubscribed (topic: string): boolean {
    return this.started && this.topics.has(topic)
  }

  async publish (topic: string, data: Uint8Array): Promise<void> {
    if (!this.started) throw new ServiceUnavailableError(`transport ${this.id} is stopped`)
    // Every subscriber hears the publisher directly: there is no forwarding member in a full mesh.
    const message: TopicMessage = { from: this.id, data, via: this.id }
    for (const subscriber of this.network.subscribers(topic, this.id)) {
      if (!this.network.isReachable(this.id, subscriber.id) || this.network.drops()) continue
      this.network.clock.setTimeout(() => { subscriber.receive(topic, message) }, this.network.delayBetween(this.id, subscriber.id))
    }
  }

  /** @internal */
  receive (topic: string, message: TopicMessage): void {
    const handler = this.topics.get(topic)
    // A partition that formed while the message was on the wire loses it; a sender that stopped since does not.
    if (handler === undefined || !this.started || this.network.isPartitioned(message.from, this.id)) return
    if (handler.validate(message) === 'accept') handler.deliver(message)
  }

  handleRequests (protocol: string, handler: RequestHandler): void {
    this.protocols.set(protocol, handler)
  }

  unhandleRequests (protocol: string): void {
    this.protocols.delete(protocol)
  }

  async request (peer: string, protocol: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array | undefined> {
    const { signal, expectResponse } = options
    signal.throwIfAborted()
    const target = this.network.transport(peer)
    if (target === undefined || !this.network.isReachable(this.id, peer)) {
      throw new ServiceUnavailableError(`peer ${peer} is unreachable`)
    }
    return await new Promise((resolve, reject) => {
      const remote = new AbortController()
      let settled = false
      // The handler learns only that the caller is gone, as over a real stream; the caller's reason stays its own.
      const abortHandler = (why: string): void => { remote.abort(new RequestAbortedError(`${this.id} ${why}`)) }
      const call: ActiveCall = {
        from: this.id,
        to: peer,
        fail: (error) => { finish(() => { abortHandler('lost the connection'); reject(error) }) }
      }
      const onAbort = (): void => { finish(() => { abortHandler('aborted the request'); reject(signal.reason) }) }
      const finish = (settle: () => void): void => {
        if (settled) return
        settled = true
        signal.removeEventListener('abort', onAbort)
        this.calls.delete(call)
        target.calls.delete(call)
        settle()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.calls.add(call)
      target.calls.add(call)

      this.network.clock.setTimeout(() => {
        if (settled) return
        const handler = target.protocols.get(protocol)
        if (!this.network.isReachable(this.id, peer) || handler === undefined) {
          call.fail(new ServiceUnavailableError(`peer ${peer} does not serve ${protocol}`))
          return
        }
        const served = handler(data, { from: this.id, signal: remote.signal })
        if (!expectResponse) {
          finish(() => { resolve(undefined) })
          served.catch(() => {})
          return
        }
        served.then(response => {
          if (response === undefined) {
            // As a stream closed without a response frame would be.
            call.fail(new ServiceUnavailableError(`${peer} closed the stream without responding on ${protocol}`))
            return
          }
          this.network.clock.setTimeout(() => {
            // A response lost in a partition is never delivered: the requester's timeout settles the call.
            if (this.network.isReachable(peer, this.id)) finish(() => { resolve(response) })
          }, this.network.delayBetween(peer, this.id))
        }, (err: Error) => {
          call.fail(new ServiceUnavailableError(`stream to ${peer} failed: ${err.message}`))
        })
      }, this.network.delayBetween(this.id, peer))
    })
  }

  async ping (peer: string, options: { signal: AbortSignal }): Promise<number> {
    if (!this.network.isReachable(this.id, peer)) throw new ServiceUnavailableError(`peer ${peer} is unreachable`)
    const roundTrip = this.network.delayBetween(this.id, peer) + this.network.delayBetween(peer, this.id)
    const started = this.network.clock.now()
    await new Promise<void>((resolve, reject) => {
      const timer = this.network.clock.setTimeout(resolve, roundTrip)
      options.signal.addEventListener('abort', () => {
        this.network.clock.clearTimeout(timer)
        reject(options.signal.reason)
      }, { once: true })
    })
    if (!this.network.isReachable(this.id, peer)) throw new ServiceUnavailableError(`peer ${peer} is unreachable`)
    return this.network.clock.now() - started
  }
}
