import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { LOST_REDIAL_MAX_MS, LOST_REDIAL_MIN_MS, LOST_RETENTION_MS } from '../node/constants.js'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from '@meshbalancer/core'

export interface PeerDialerInit {
  join: string[]
  joinRetryIntervalMs: number
  targetPeers: number
  logger: Logger
}

/** A member is not dialled again sooner than this after a failed dial. */
const REDIAL_BACKOFF_MS = 5000
/** Dials give up after this long. */
const DIAL_TIMEOUT_MS = 5000

/** A member declared dead, dialled again now and then. */
interface LostMember {
  id: PeerId
  lostAt: number
  attempts: number
  nextDialAt: number
}

/**
 * Keeps the node connected: dials the join addresses until it has a peer (and again whenever it has none), and
 * dials members learned from gossip until it has `targetPeers` connections, so that neither gossip nor RPC
 * depends on the seed it joined through. Members declared dead are hung up on and dialled again with a backoff:
 * after a partition heals, TCP connections that outlived it could stay silent for as long as their retransmission
 * backoff (tens of seconds after a minute's partition), while a fresh dial merges the views within a heartbeat.
 */
export class PeerDialer {
  private timer: ReturnType<typeof setInterval> | undefined
  /** Members learned from gossip, with the time of the last failed dial. */
  private readonly candidates = new Map<string, { id: PeerId, failedAt: number }>()
  private readonly dialing = new Set<string>()
  /** Members declared dead, in the order they are to be tried. */
  private readonly lost = new Map<string, LostMember>()

  constructor (private readonly libp2p: Libp2p, private readonly init: PeerDialerInit) {}

  start (): void {
    this.dialJoinAddresses()
    this.timer = setInterval(() => { this.maintain() }, this.init.joinRetryIntervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.candidates.clear()
    this.lost.clear()
  }

  /** A member (with addresses now in the peer store) the node may connect to. */
  consider (id: PeerId): void {
    if (id.equals(this.libp2p.peerId)) return
    this.lost.delete(id.toString())
    if (!this.candidates.has(id.toString())) this.candidates.set(id.toString(), { id, failedAt: 0 })
    if (this.connectionCount() < this.init.targetPeers) this.dial(id)
  }

  /** A member that left or died: stop trying it. */
  forget (id: string): void {
    this.candidates.delete(id)
    this.lost.delete(id)
  }

  /** A member declared dead: hang up on it, and dial it again now and then. */
  lose (id: string): void {
    this.candidates.delete(id)
    let peerId: PeerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return
    }
    const now = Date.now()
    this.lost.set(id, { id: peerId, lostAt: now, attempts: 0, nextDialAt: now + LOST_REDIAL_MIN_MS })
    this.libp2p.hangUp(peerId).catch((err: Error) => { this.init.logger.debug(`hanging up on ${id}: ${err.message}`) })
  }

  private maintain (): void {
    const connected = this.connectionCount()
    if (connected === 0) this.dialJoinAddresses()
    const now = Date.now()
    this.redialLost(now)
    let missing = this.init.targetPeers - connected
    for (const candidate of this.candidates.values()) {
      if (missing <= 0) break
      if (now - candidate.failedAt < REDIAL_BACKOFF_MS || this.isConnected(candidate.id)) continue
      this.dial(candidate.id)
      missing--
    }
  }

  /** Dials the first lost member that is due, and drops those lost for longer than the retention. */
  private redialLost (now: number): void {
    for (const [key, member] of this.lost) {
      if (now - member.lostAt > LOST_RETENTION_MS) {
        this.lost.delete(key)
        continue
      }
      if (member.nextDialAt > now || this.dialing.has(key)) continue
      // Re-inserted at the end: the map is a queue, so that every lost member gets its turn.
      this.lost.delete(key)
      member.attempts++
      member.nextDialAt = now + Math.min(LOST_REDIAL_MAX_MS, LOST_REDIAL_MIN_MS * 2 ** member.attempts)
      this.lost.set(key, member)
      this.dial(member.id)
      return
    }
  }

  private dialJoinAddresses (): void {
    for (const address of this.init.join) {
      if (this.dialing.has(address)) continue
      this.dialing.add(address)
      // A join address may lack /p2p/<id>: the noise handshake tells who answered.
      this.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        .catch((err: Error) => { this.init.logger.debug(`join address ${address} did not answer: ${err.message}`) })
        .finally(() => { this.dialing.delete(address) })
    }
  }

  private dial (id: PeerId): void {
    const key = id.toString()
    if (this.dialing.has(key) || this.isConnected(id)) return
    this.dialing.add(key)
    this.libp2p.dial(id, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      .catch(() => {
        const candidate = this.candidates.get(key)
        if (candidate !== undefined) candidate.failedAt = Date.now()
      })
      .finally(() => { this.dialing.delete(key) })
  }

  private isConnected (id: PeerId): boolean {
    return this.libp2p.getConnections(id).length > 0
  }

  private connectionCount (): number {
    return this.libp2p.getPeers().length
  }
}
