import { multiaddr } from '@multiformats/multiaddr'
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

/**
 * Keeps the node connected: dials the join addresses until it has a peer (and again whenever it has none), and
 * dials members learned from gossip until it has `targetPeers` connections, so that neither gossip nor RPC
 * depends on the seed it joined through.
 */
export class PeerDialer {
  private timer: ReturnType<typeof setInterval> | undefined
  /** Members learned from gossip, with the time of the last failed dial. */
  private readonly candidates = new Map<string, { id: PeerId, failedAt: number }>()
  private readonly dialing = new Set<string>()

  constructor (private readonly libp2p: Libp2p, private readonly init: PeerDialerInit) {}

  start (): void {
    this.dialJoinAddresses()
    this.timer = setInterval(() => { this.maintain() }, this.init.joinRetryIntervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.candidates.clear()
  }

  /** A member (with addresses now in the peer store) the node may connect to. */
  consider (id: PeerId): void {
    if (id.equals(this.libp2p.peerId)) return
    if (!this.candidates.has(id.toString())) this.candidates.set(id.toString(), { id, failedAt: 0 })
    if (this.connectionCount() < this.init.targetPeers) this.dial(id)
  }

  /** A member that left or died: stop trying it. */
  forget (id: string): void {
    this.candidates.delete(id)
  }

  private maintain (): void {
    const connected = this.connectionCount()
    if (connected === 0) this.dialJoinAddresses()
    let missing = this.init.targetPeers - connected
    const now = Date.now()
    for (const candidate of this.candidates.values()) {
      if (missing <= 0) break
      if (now - candidate.failedAt < REDIAL_BACKOFF_MS || this.isConnected(candidate.id)) continue
      this.dial(candidate.id)
      missing--
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
