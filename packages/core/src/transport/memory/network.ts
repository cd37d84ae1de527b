import { randomBytes } from 'node:crypto'
import { systemClock } from '../../clock.js'
import { InvalidOptionError } from '../../errors.js'
import { assertKnownOptions, assertNumber } from '../../options.js'
import { MemoryTransport } from './transport.js'
import type { Clock } from '../../clock.js'
import type { RandomSource } from '../../random.js'

/** One-way delay in milliseconds, fixed or per link. */
export type LinkDelay = number | ((from: string, to: string) => number)

export interface MemoryNetworkInit {
  /** Clock on which deliveries are scheduled. @default systemClock */
  clock?: Clock
  /** Random source for message loss. @default Math.random */
  random?: RandomSource
  /** One-way delay of every message and request. @default 0 */
  delayMs?: LinkDelay
  /** Probability in [0, 1] that a topic message is dropped on a link. Requests are not dropped. @default 0 */
  loss?: number
}

const KNOWN_OPTIONS = ['clock', 'random', 'delayMs', 'loss']

/**
 * An in-process network of {@link MemoryTransport}s with controllable delay, loss and partitions. For unit tests
 * and the simulator; it floods topic messages to every reachable subscriber (a full mesh), which is what gossipsub
 * does for small clusters.
 */
export class MemoryNetwork {
  readonly clock: Clock
  private readonly random: RandomSource
  private delay: LinkDelay
  private loss: number
  private readonly transports = new Map<string, MemoryTransport>()
  private partitionOf = new Map<string, number>()
  private readonly peerLoss = new Map<string, number>()
  private nextId = 1
  /** The signing key of every id that had a transport here; kept across restarts, as an identity key is. */
  private readonly keys = new Map<string, Uint8Array>()

  constructor (init: MemoryNetworkInit = {}) {
    assertKnownOptions('memoryNetwork', init, KNOWN_OPTIONS)
    this.clock = init.clock ?? systemClock
    this.random = init.random ?? Math.random
    this.delay = validateDelay(init.delayMs ?? 0)
    this.loss = assertNumber('memoryNetwork.loss', init.loss ?? 0, 0, 1)
  }

  /**
   * Creates a transport on this network; by default with id `peer-1`, `peer-2`, … An id may be reused once its
   * previous transport stopped, which is how a test restarts a node with the same identity.
   */
  createTransport (id = `peer-${this.nextId++}`): MemoryTransport {
    if (this.transports.get(id)?.started === true) throw new InvalidOptionError('id', `a started transport with id "${id}" exists on this network`)
    this.signingKey(id, true)
    const transport = new MemoryTransport(id, this)
    this.transports.set(id, transport)
    return transport
  }

  /** Sets the one-way delay of every link. */
  setDelay (delay: LinkDelay): void {
    this.delay = validateDelay(delay)
  }

  /** Sets the probability that a topic message is dropped on a link. */
  setLoss (loss: number): void {
    this.loss = assertNumber('loss', loss, 0, 1)
  }

  /**
   * Splits the network: peers in different groups cannot reach each other. Peers not listed in any group stay
   * reachable from all. Replaces any earlier partition.
   */
  partition (...groups: ReadonlyArray<readonly string[]>): void {
    const partitionOf = new Map<string, number>()
    groups.forEach((group, index) => { for (const id of group) partitionOf.set(id, index) })
    this.partitionOf = partitionOf
  }

  /**
   * Closes the connection between `a` and `b`, as a lost link or a reset would: requests in flight between them
   * fail with `SERVICE_UNAVAILABLE` and both ends' peer listeners hear `disconnected`. They stay reachable: the
   * next message or request between them opens a new connection.
   */
  disconnect (a: string, b: string): void {
    if (this.transports.get(a)?.started !== true || this.transports.get(b)?.started !== true) return
    this.transports.get(a)?.closeConnection(b)
    this.transports.get(b)?.closeConnection(a)
    this.transports.get(a)?.peerDisconnected(b)
    this.transports.get(b)?.peerDisconnected(a)
  }

  /**
   * Makes `peer` unresponsive, as a stopped process (SIGSTOP) is: its connections stay open, but it reads and
   * sends nothing. Messages, requests and pings to it wait, and so do its own sends, until {@link resume}; then
   * everything waiting is delivered, in order. Its cluster's timers are its clock's: a test that pauses a node
   * also stops its clock (a ManualClock of its own, say), or the node acts on nothing it hears meanwhile.
   */
  pause (peer: string): void {
    this.transports.get(peer)?.setPaused(true)
  }

  /** Lets a peer paused with {@link pause} run again. */
  resume (peer: string): void {
    this.transports.get(peer)?.setPaused(false)
  }

  /**
   * Makes the links of `peer` lossy: every topic message, request and ping to or from it is lost with probability
   * `loss` (a lost request or ping is never answered, and ends with the requester's signal). 0 restores it.
   */
  setPeerLoss (peer: string, loss: number): void {
    assertNumber('loss', loss, 0, 1)
    if (loss === 0) this.peerLoss.delete(peer)
    else this.peerLoss.set(peer, loss)
  }

  /**
   * Removes every partition. Peers that could not reach each other hear each other subscribe again to the topics
   * they share, as libp2p peers do when their connection comes back.
   */
  heal (): void {
    const before = this.partitionOf
    this.partitionOf = new Map()
    const started = this.startedTransports()
    for (const a of started) {
      for (const b of started) {
        const partitionA = before.get(a.id)
        const partitionB = before.get(b.id)
        if (a !== b && partitionA !== undefined && partitionB !== undefined && partitionA !== partitionB) a.peerReachable(b.id)
      }
    }
  }

  /** True when `from` can currently reach `to` (both started and not partitioned apart). */
  isReachable (from: string, to: string): boolean {
    const target = this.transports.get(to)
    if (target?.started !== true || this.transports.get(from)?.started !== true) return false
    return !this.isPartitioned(from, to)
  }

  /** True when a partition separates `a` and `b`, whether or not they are started. */
  isPartitioned (a: string, b: string): boolean {
    const partitionA = this.partitionOf.get(a)
    const partitionB = this.partitionOf.get(b)
    return partitionA !== undefined && partitionB !== undefined && partitionA !== partitionB
  }

  /**
   * @internal The secret with which `id` signs: a random key per id, created with its first transport. Only the
   * network and that transport hold it, so a signature checks as `id`'s only when `id` made it.
   */
  signingKey (id: string, create = false): Uint8Array | undefined {
    let key = this.keys.get(id)
    if (key === undefined && create) {
      key = randomBytes(32)
      this.keys.set(id, key)
    }
    return key
  }

  /** @internal */
  transport (id: string): MemoryTransport | undefined {
    return this.transports.get(id)
  }

  /** @internal */
  startedTransports (): MemoryTransport[] {
    return [...this.transports.values()].filter(transport => transport.started)
  }

  /** @internal */
  subscribers (topic: string, except: string): MemoryTransport[] {
    const result: MemoryTransport[] = []
    for (const transport of this.transports.values()) {
      if (transport.id !== except && transport.isSubscribed(topic)) result.push(transport)
    }
    return result
  }

  /** @internal */
  delayBetween (from: string, to: string): number {
    return typeof this.delay === 'number' ? this.delay : this.delay(from, to)
  }

  /** @internal A topic message from `from` to `to` is lost. */
  drops (from?: string, to?: string): boolean {
    const loss = Math.max(this.loss, this.linkLoss(from, to))
    return loss > 0 && this.random() < loss
  }

  /** @internal A request or ping between `from` and `to` is lost: only a lossy peer's links lose them. */
  dropsRequest (from: string, to: string): boolean {
    const loss = this.linkLoss(from, to)
    return loss > 0 && this.random() < loss
  }

  private linkLoss (from: string | undefined, to: string | undefined): number {
    if (this.peerLoss.size === 0) return 0
    return Math.max(from === undefined ? 0 : this.peerLoss.get(from) ?? 0, to === undefined ? 0 : this.peerLoss.get(to) ?? 0)
  }
}

function validateDelay (delay: LinkDelay): LinkDelay {
  if (typeof delay === 'function') return delay
  return assertNumber('delayMs', delay, 0)
}
