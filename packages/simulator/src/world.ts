import { seededRandom } from '@meshbalancer/core'
import { disseminate, gossipModel } from './dissemination.js'
import { PROTOCOL } from './protocol.js'
import type { CopyCounter, GossipModel } from './dissemination.js'
import type { ProtocolParams } from './protocol.js'
import type { RandomSource } from '@meshbalancer/core'

/** What every scenario of the failure detector is given. */
export interface WorldInit {
  size: number
  seed: number
  /** Probability that any one transmission is lost (probes, answers, gossip copies alike). @default 0 */
  loss?: number
  /** The protocol's parameters, beyond its defaults. */
  params?: Partial<ProtocolParams>
  /** One-way network delay of a probe or its answer, ms. @default 0.25 (a LAN round trip of 0.5 ms) */
  wireMs?: number
  /** Lifeguard's local-health multiplier on (off: every node keeps a multiplier of 0). @default true */
  localHealth?: boolean
  /**
   * What a lost transmission becomes. `'datagram'`: it is lost (UDP, as memberlist's probes). `'stream'`: TCP
   * sends it again after its retransmission timeout (200 ms, doubling each time), so loss becomes delay, and
   * gossip copies are never lost.
   * @default 'datagram'
   */
  transport?: 'datagram' | 'stream'
}

/** Linux's minimum TCP retransmission timeout, the delay a lost segment costs on a LAN. */
const TCP_RTO_MS = 200

/** Messages and bytes a scenario made nodes receive, by kind. */
export type Traffic = Record<string, { messages: number, bytes: number }>

/**
 * A simulated cluster: its gossipsub graph, its parameters, its random stream and the traffic it counts. Time is
 * in milliseconds; gossip travels in hops of `params.hopMs`.
 */
export class World {
  readonly size: number
  readonly params: ProtocolParams
  readonly loss: number
  readonly wireMs: number
  readonly localHealth: boolean
  readonly stream: boolean
  readonly random: RandomSource
  readonly model: GossipModel
  readonly traffic: Traffic = {}
  private readonly hopsPerHeartbeat: number

  constructor (init: WorldInit) {
    this.size = init.size
    this.params = { ...PROTOCOL, ...init.params }
    this.loss = init.loss ?? 0
    this.wireMs = init.wireMs ?? 0.25
    this.localHealth = init.localHealth ?? true
    this.stream = init.transport === 'stream'
    this.random = seededRandom(init.seed)
    this.hopsPerHeartbeat = Math.max(1, Math.round(this.params.gossipHeartbeatMs / this.params.hopMs))
    this.model = gossipModel({
      size: init.size,
      targetPeers: this.params.targetPeers,
      meshDegree: this.params.meshDegree,
      loss: this.stream ? 0 : this.loss,
      hopsPerHeartbeat: this.hopsPerHeartbeat
    }, this.random)
  }

  /**
   * One transmission: the delay its losses add (ms), or Infinity when it is lost for good. Over datagrams a loss
   * is final; over a stream each loss costs a retransmission timeout, doubled at every further loss.
   */
  transmit (): number {
    if (!this.stream) return this.random() >= this.loss ? 0 : Number.POSITIVE_INFINITY
    let delay = 0
    let rto = TCP_RTO_MS
    while (this.random() < this.loss) {
      delay += rto
      rto *= 2
    }
    return delay
  }

  /** A uniform member other than those in `not`. */
  other (...not: number[]): number {
    for (;;) {
      const node = Math.floor(this.random() * this.size)
      if (!not.includes(node)) return node
    }
  }

  /** Counts `messages` received of `kind`, of `bytes` each. */
  count (kind: string, messages: number, bytes: number): void {
    const entry = this.traffic[kind] ??= { messages: 0, bytes: 0 }
    entry.messages += messages
    entry.bytes += messages * bytes
  }

  /**
   * Publishes a gossip message of `bytes` from `origin` at `timeMs`, and returns when each node first holds it
   * (Infinity: never). The copies every node received, duplicates included, are counted under `kind`. The
   * gossipsub heartbeat's phase is random with respect to the publication.
   */
  publish (origin: number, timeMs: number, kind: string, bytes: number): Float64Array {
    const phase = Math.floor(this.random() * this.hopsPerHeartbeat)
    const counter: CopyCounter = { copies: 0, received: 0 }
    const hops = disseminate(this.model, origin, phase, 40 * this.hopsPerHeartbeat, this.random, counter)
    this.count(kind, counter.received ?? 0, bytes)
    const arrival = new Float64Array(this.size)
    for (let node = 0; node < this.size; node++) {
      const hop = hops[node]!
      arrival[node] = hop < 0 ? Number.POSITIVE_INFINITY : timeMs + (hop - phase) * this.params.hopMs
    }
    return arrival
  }
}

/**
 * When a node that received suspicion claims at `arrivals` (ms, sorted, one per independent claimant) removes the
 * suspect, by Lifeguard's rule: the timer starts at the first claim with the single-claimant timeout, and every
 * further claim shortens it. Infinity when there is no claim.
 */
export function removalTime (arrivals: readonly number[], timeout: (confirmations: number) => number): number {
  if (arrivals.length === 0 || !Number.isFinite(arrivals[0]!)) return Number.POSITIVE_INFINITY
  const start = arrivals[0]!
  for (let m = 0; m < arrivals.length; m++) {
    const due = Math.max(arrivals[m]!, start + timeout(m))
    const next = arrivals[m + 1] ?? Number.POSITIVE_INFINITY
    if (due <= next) return due
  }
  return Number.POSITIVE_INFINITY
}

/** Nearest-rank percentile (0–100) of sorted finite values; Infinity when fewer than needed are finite. */
export function percentileOf (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[rank]!
}
