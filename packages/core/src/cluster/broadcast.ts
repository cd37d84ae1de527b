import { checkTopic, decodeBroadcast, encodeBroadcast } from '../codec/broadcast-codec.js'
import { BROADCAST_ID_BYTES, MAX_BROADCAST_BYTES } from '../codec/limits.js'
import {
  BroadcastRateLimitedError, InvalidTopicError, InvalidValueError, MessageTooLargeError, ServiceUnavailableError
} from '../errors.js'
import { BROADCAST_SEEN_ENTRIES, BROADCAST_SEEN_TTL_MS, broadcastTopic } from './constants.js'
import { TokenBuckets } from './token-buckets.js'
import type { BroadcastEnvelope } from '../codec/broadcast-codec.js'
import type { Clock } from '../clock.js'
import type { BroadcastRejectReason } from '../errors.js'
import type { Logger } from '../logger.js'
import type { TopicMessage, Transport, ValidationResult } from '../transport/transport.js'

/** One application message, as a subscriber receives it. */
export interface BroadcastMessage {
  /** The application topic. */
  readonly topic: string
  /** Peer id of the member that published it (over libp2p: the signer). */
  readonly from: string
  /** That member's name, as its record announces it. */
  readonly fromName: string
  /** The message's id, 32 hex digits: the same (from, id) is delivered at most once. */
  readonly id: string
  readonly data: Uint8Array
}

/** Receives the messages of one topic. Must not throw (a throw is logged and the other handlers still run). */
export type BroadcastHandler = (message: BroadcastMessage) => void

/** Counters of application broadcasts. */
export interface BroadcastStats {
  /** Messages this node published. */
  readonly broadcastsPublished: number
  /** Messages received from other members and delivered to this node's handlers. */
  readonly broadcastsDelivered: number
  /** Messages refused, by reason. */
  readonly broadcastsRejected: Readonly<Record<BroadcastRejectReason, number>>
}

export interface BroadcastsInit {
  id: string
  name: string
  cluster: string
  transport: Transport
  clock: Clock
  logger: Logger
  /** Origins allowed to publish; any member when undefined. */
  allowPeers: ReadonlySet<string> | undefined
  /** Messages one origin may publish per second, sustained. */
  maxPerSecond: number
  /** The name of member `id`, or undefined when it is not in the member table. */
  memberName(id: string): string | undefined
  running(): boolean
  onReject(reason: BroadcastRejectReason, from: string, topic: string): void
}

/**
 * Application publish/subscribe over the cluster's transport (docs/PROTOCOL.md, "Application broadcasts"): one
 * gossip topic per application topic, subscribed while this node has handlers for it. Received messages are
 * validated before the transport forwards them: from members only (and the allow-list), at most
 * `maxPerSecond` per origin, within the size limit, decodable, and each (origin, id) once.
 */
export class Broadcasts {
  private readonly handlers = new Map<string, Set<BroadcastHandler>>()
  private readonly decoded = new WeakMap<Uint8Array, BroadcastEnvelope>()
  /** (origin, id) of delivered messages, oldest first, with when they were seen. */
  private readonly seen = new Map<string, number>()
  private readonly incoming: TokenBuckets
  private readonly outgoing: TokenBuckets
  private attached = false
  private published = 0
  private delivered = 0
  private readonly rejected: Record<BroadcastRejectReason, number> = {
    malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'topic-mismatch': 0, 'not-member': 0, 'not-allowed': 0, 'rate-limited': 0, duplicate: 0
  }

  constructor (private readonly init: BroadcastsInit) {
    // Receivers allow twice the sustained rate in a burst, so that messages bunched up on the way (one slow link,
    // one busy event loop) are not mistaken for a flood; the publisher holds itself to the rate.
    this.incoming = new TokenBuckets(init.clock, init.maxPerSecond, 2 * init.maxPerSecond)
    this.outgoing = new TokenBuckets(init.clock, init.maxPerSecond, init.maxPerSecond)
  }

  /** Adds `handler` for `topic`; the returned function removes it again. Throws `InvalidTopicError`. */
  subscribe (topic: string, handler: BroadcastHandler): () => void {
    assertTopic(topic)
    if (typeof handler !== 'function') throw new InvalidValueError('a broadcast handler must be a function')
    let handlers = this.handlers.get(topic)
    if (handlers === undefined) {
      handlers = new Set()
      this.handlers.set(topic, handlers)
      if (this.attached) this.attachTopic(topic)
    }
    // Each subscription is its own entry, so that subscribing one function twice and unsubscribing once leaves one.
    const entry: BroadcastHandler = message => { handler(message) }
    handlers.add(entry)
    return () => {
      const current = this.handlers.get(topic)
      if (current === undefined || !current.delete(entry) || current.size > 0) return
      this.handlers.delete(topic)
      if (this.attached) this.init.transport.unsubscribe(broadcastTopic(this.init.cluster, topic))
    }
  }

  /**
   * Publishes `data` to every member subscribed to `topic`, this node's own handlers included (each once). Rejects
   * with `InvalidTopicError`, `MessageTooLargeError`, `BroadcastRateLimitedError`, `InvalidValueError` (data that
   * is neither bytes nor a string) or `ServiceUnavailableError` (not running, or the transport failed).
   */
  async publish (topic: string, data: Uint8Array | string): Promise<void> {
    assertTopic(topic)
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    if (!(bytes instanceof Uint8Array)) throw new InvalidValueError('broadcast data must be a Uint8Array or a string')
    if (bytes.byteLength > MAX_BROADCAST_BYTES) throw new MessageTooLargeError(topic, bytes.byteLength, MAX_BROADCAST_BYTES)
    if (!this.init.running()) throw new ServiceUnavailableError(`cannot publish on topic "${topic}": the cluster is not running`)
    // One bucket for every topic: receivers count an origin's messages whatever their topic.
    if (!this.outgoing.take('')) throw new BroadcastRateLimitedError(topic, this.init.maxPerSecond)
    const id = crypto.getRandomValues(new Uint8Array(BROADCAST_ID_BYTES))
    await this.init.transport.publish(broadcastTopic(this.init.cluster, topic), encodeBroadcast({ topic, id, data: bytes }))
    this.published++
    this.dispatch(topic, { topic, from: this.init.id, fromName: this.init.name, id: hex(id), data: bytes })
  }

  /** Subscribes the transport to every topic that has handlers (at start). */
  attach (): void {
    this.attached = true
    for (const topic of this.handlers.keys()) this.attachTopic(topic)
  }

  /** Unsubscribes the transport from every topic (at stop); the handlers stay, for a later `attach`. */
  detach (): void {
    if (!this.attached) return
    this.attached = false
    for (const topic of this.handlers.keys()) this.init.transport.unsubscribe(broadcastTopic(this.init.cluster, topic))
  }

  stats (): BroadcastStats {
    return { broadcastsPublished: this.published, broadcastsDelivered: this.delivered, broadcastsRejected: { ...this.rejected } }
  }

  /** Forgets rate buckets of origins silent for a minute, and ids seen longer ago than the dedupe window. */
  prune (): void {
    this.incoming.prune(60_000)
    this.outgoing.prune(60_000)
    const oldest = this.init.clock.now() - BROADCAST_SEEN_TTL_MS
    for (const [key, at] of this.seen) {
      if (at >= oldest) break
      this.seen.delete(key)
    }
  }

  private attachTopic (topic: string): void {
    this.init.transport.subscribe(broadcastTopic(this.init.cluster, topic), {
      validate: message => this.validate(topic, message),
      deliver: message => {
        const envelope = this.decoded.get(message.data)
        if (envelope === undefined || !this.init.running()) return
        this.decoded.delete(message.data)
        this.delivered++
        const fromName = this.init.memberName(message.from) ?? ''
        this.dispatch(topic, { topic, from: message.from, fromName, id: hex(envelope.id), data: envelope.data })
      }
    })
  }

  private validate (topic: string, message: TopicMessage): ValidationResult {
    const { from } = message
    if (this.init.allowPeers !== undefined && !this.init.allowPeers.has(from)) return this.reject('not-allowed', from, topic)
    // A member whose record has not reached this node yet is not at fault: drop its message without a penalty.
    if (this.init.memberName(from) === undefined) return this.reject('not-member', from, topic)
    if (!this.incoming.take(from)) {
      // Penalise the flooder when it sends its flood itself; a member that merely forwards a copy is not at fault.
      const verdict = this.reject('rate-limited', from, topic)
      return (message.via ?? from) === from ? verdict : 'ignore'
    }
    const decoded = decodeBroadcast(message.data)
    if (!decoded.ok) return this.reject(decoded.reason, from, topic)
    if (decoded.envelope.topic !== topic) return this.reject('topic-mismatch', from, topic)
    const key = `${from}/${hex(decoded.envelope.id)}`
    if (this.seen.has(key)) return this.reject('duplicate', from, topic)
    this.remember(key)
    this.decoded.set(message.data, decoded.envelope)
    return 'accept'
  }

  private remember (key: string): void {
    this.seen.set(key, this.init.clock.now())
    // Bounded: beyond the limit the oldest go first, whatever their age.
    if (this.seen.size > BROADCAST_SEEN_ENTRIES) this.seen.delete(this.seen.keys().next().value as string)
  }

  private reject (reason: BroadcastRejectReason, from: string, topic: string): ValidationResult {
    this.rejected[reason]++
    this.init.onReject(reason, from, topic)
    // Not proof of a fault: a record still on its way, another release's envelope, a copy seen before.
    return reason === 'not-member' || reason === 'unsupported-version' || reason === 'duplicate' ? 'ignore' : 'reject'
  }

  private dispatch (topic: string, message: BroadcastMessage): void {
    for (const handler of [...this.handlers.get(topic) ?? []]) {
      try {
        handler(message)
      } catch (err) {
        this.init.logger.error(`a handler of broadcast topic "${topic}" threw: ${(err as Error).message}`)
      }
    }
  }
}

function assertTopic (topic: string): void {
  const problem = checkTopic(topic)
  if (problem !== undefined) throw new InvalidTopicError(String(topic), problem)
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
