import { createHmac, timingSafeEqual } from 'node:crypto'
import { RequestAbortedError, ServiceUnavailableError } from '../../errors.js'
import type { MemoryNetwork } from './network.js'
import type { PeerListener, RequestHandler, RequestOptions, TopicHandler, TopicMessage, Transport } from '../transport.js'

/** A request in flight; failing it settles the requester and aborts the handler, like a reset stream. */
interface ActiveCall {
  readonly from: string
  readonly to: string
  fail(error: Error): void
}

/** A peer scored down with {@link Transport.penalize}. */
export interface Penalty {
  readonly peer: string
  readonly reason: string
}

/**
 * A {@link Transport} on a {@link MemoryNetwork}. Messages and requests are delivered on the network's clock after
 * the link delay; a partition or a stopped peer makes a peer unreachable, and stopping either end of a request in
 * flight fails it with `SERVICE_UNAVAILABLE`. A paused peer ({@link MemoryNetwork.pause}) stays connected but
 * handles nothing until it resumes.
 */
export class MemoryTransport implements Transport {
  started = false
  /** Every peer this one was asked to score down, in order. */
  readonly penalties: Penalty[] = []
  private paused = false
  /** What a paused peer has yet to read or send, in order. */
  private readonly held: Array<() => void> = []
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

  /** Records the penalty in {@link MemoryTransport.penalties}; the memory network has no scores to lower. */
  penalize (peer: string, reason: string): void {
    this.penalties.push({ peer, reason })
  }

  /** @internal Pauses or resumes this peer; resuming runs everything held, in order. */
  setPaused (paused: boolean): void {
    this.paused = paused
    while (!this.paused && this.held.length > 0) this.held.shift()?.()
  }

  /** @internal Runs `work` now, or when this peer resumes. */
  run (work: () => void): void {
    if (this.paused) this.held.push(work)
    else work()
  }

  /**
   * @internal The connection to `peer` closed: fails the calls between the two. The network tells the listeners
   * once both ends did, so that a call a listener makes at once (a probe of the peer) goes over the new connection.
   */
  closeConnection (peer: string): void {
    for (const call of [...this.calls]) {
      if (call.from === peer || call.to === peer) call.fail(new ServiceUnavailableError(`connection between ${this.id} and ${peer} closed`))
    }
  }

  /** @internal Tells the listeners that the connection to `peer` closed. */
  peerDisconnected (peer: string): void {
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

  /** @internal `peer` became reachable again: every topic both subscribe to hears it subscribe. */
  peerReachable (peer: string): void {
    const other = this.network.transport(peer)
    if (other === undefined) return
    for (const [topic, handler] of this.topics) if (other.isSubscribed(topic)) handler.peerSubscribed?.(peer)
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
    this.run(() => {
      for (const subscriber of this.network.subscribers(topic, this.id)) {
        if (!this.network.isReachable(this.id, subscriber.id) || this.network.drops(this.id, subscriber.id)) continue
        this.network.clock.setTimeout(() => { subscriber.run(() => { subscriber.receive(topic, message) }) }, this.network.delayBetween(this.id, subscriber.id))
      }
    })
  }

  /** Every reachable subscriber: a publish goes to each of them directly. */
  topicPeers (topic: string): string[] {
    if (!this.started) return []
    return this.network.subscribers(topic, this.id).filter(subscriber => this.network.isReachable(this.id, subscriber.id)).map(subscriber => subscriber.id)
  }

  /** @internal */
  receive (topic: string, message: TopicMessage): void {
    const handler = this.topics.get(topic)
    // A partition that formed while the message was on the wire loses it; a sender that stopped since does not.
    if (handler === undefined || !this.started || this.network.isPartitioned(message.from, this.id)) return
    // Nobody forwards in a full mesh, so `deliver-only` is `accept` here.
    const verdict = handler.validate(message)
    if (verdict === 'accept' || verdict === 'deliver-only') handler.deliver(message)
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
      // A lost request is never served: the requester's signal ends it.
      if (this.network.dropsRequest(this.id, peer)) return

      const arrive = (): void => { target.run(serve) }
      const serve = (): void => {
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
            this.run(() => { if (this.network.isReachable(peer, this.id)) finish(() => { resolve(response) }) })
          }, this.network.delayBetween(peer, this.id))
        }, (err: Error) => {
          call.fail(new ServiceUnavailableError(`stream to ${peer} failed: ${err.message}`))
        })
      }
      this.run(() => { this.network.clock.setTimeout(arrive, this.network.delayBetween(this.id, peer)) })
    })
  }

  /** An HMAC-SHA-256 with this id's secret on the network: verifiable by every transport of the network, forgeable by none. */
  async sign (payload: Uint8Array): Promise<Uint8Array> {
    return createHmac('sha256', this.network.signingKey(this.id, true) as Uint8Array).update(payload).digest()
  }

  async verify (peer: string, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const key = this.network.signingKey(peer)
    if (key === undefined || signature.byteLength !== 32) return false
    return timingSafeEqual(createHmac('sha256', key).update(payload).digest(), signature)
  }

  /**
   * One round trip to `peer` over the link's delays. Rejects with `SERVICE_UNAVAILABLE` at once when the peer is
   * stopped or partitioned away (as a refused connection), and when it becomes so before the answer; a paused peer
   * answers when it resumes, and a lost ping never (the signal ends it).
   */
  async ping (peer: string, options: { signal: AbortSignal }): Promise<number> {
    const { signal } = options
    signal.throwIfAborted()
    const { network } = this
    if (!network.isReachable(this.id, peer)) throw new ServiceUnavailableError(`peer ${peer} is unreachable`)
    const started = network.clock.now()
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const finish = (settle: () => void): void => {
        if (settled) return
        settled = true
        signal.removeEventListener('abort', onAbort)
        settle()
      }
      const onAbort = (): void => { finish(() => { reject(signal.reason) }) }
      const unreachable = (): void => { finish(() => { reject(new ServiceUnavailableError(`peer ${peer} is unreachable`)) }) }
      signal.addEventListener('abort', onAbort, { once: true })
      if (network.dropsRequest(this.id, peer)) return
      const answer = (): void => {
        network.clock.setTimeout(() => {
          this.run(() => { if (network.isReachable(this.id, peer)) finish(resolve); else unreachable() })
        }, network.delayBetween(peer, this.id))
      }
      this.run(() => {
        network.clock.setTimeout(() => {
          const target = network.transport(peer)
          if (target === undefined || !network.isReachable(this.id, peer)) unreachable()
          else target.run(answer)
        }, network.delayBetween(this.id, peer))
      })
    })
    return network.clock.now() - started
  }
}
