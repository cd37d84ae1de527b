import { InvalidOptionError } from '@meshbalancer/core'
import { MAX_FRAME_BYTES } from '@meshbalancer/core/protocol'

/**
 * What a callee holds for one peer at most, whatever that peer sends (PROTOCOL.md §6.6). Requests past a bound are
 * answered with an ERROR frame of reason OVERLOADED (casts past it are dropped); a stream whose caller does not read
 * its answers is no longer read either, until they drain.
 */
export interface RpcLimits {
  /**
   * Calls and casts from one peer whose handler is running, over all its streams. A handler that ignores its
   * signal still counts after a cancel, until it returns.
   * @default 1024
   */
  maxCallsPerPeer: number
  /**
   * Bytes of request payloads from one peer whose handler is running. A request larger than what is left is
   * refused unless the peer has nothing in flight, so that a single request of up to 4 MiB is always served.
   * @default 16 MiB
   */
  maxRequestBytesPerPeer: number
  /**
   * Bytes of answers one stream may hold unsent (its caller is not reading them). Past this the callee stops
   * reading the stream; the muxer's flow control then stops the caller's writes. Reading resumes once they drain.
   * @default 1 MiB
   */
  maxUnsentBytesPerStream: number
  /**
   * RPC streams one connection may open to this node per protocol; a caller needs one. libp2p resets the rest.
   * @default 8
   */
  maxStreamsPerConnection: number
}

export const DEFAULT_RPC_LIMITS: Readonly<RpcLimits> = Object.freeze({
  maxCallsPerPeer: 1024,
  maxRequestBytesPerPeer: 16 * 1024 * 1024,
  maxUnsentBytesPerStream: 1024 * 1024,
  maxStreamsPerConnection: 8
})

/** What a stream that is not read may buffer: yamux's largest receive window (its default maximum), 16 MiB. */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024

/** How long a caller waits for an RPC stream to open (a dial and a protocol negotiation) before failing its calls. */
export const RPC_STREAM_OPEN_TIMEOUT_MS = 10_000

/** `DEFAULT_RPC_LIMITS` with `overrides`, each checked. @throws InvalidOptionError naming the bad limit */
export function rpcLimits (overrides: Partial<RpcLimits> = {}): RpcLimits {
  const limits = { ...DEFAULT_RPC_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`rpcLimits.${name}`, `must be a positive integer, got ${String(value)}`)
  }
  if (limits.maxRequestBytesPerPeer < MAX_FRAME_BYTES) {
    throw new InvalidOptionError('rpcLimits.maxRequestBytesPerPeer', `must be at least ${MAX_FRAME_BYTES} (one request of the largest size)`)
  }
  return limits
}

/** What one peer holds of a callee now, over all its streams. */
export class PeerBudgets {
  private readonly held = new Map<string, { calls: number, bytes: number }>()

  constructor (readonly limits: RpcLimits) {}

  /** Takes a call of `bytes` for `peer`; false (nothing taken) when it would pass a bound. */
  take (peer: string, bytes: number): boolean {
    let budget = this.held.get(peer)
    if (budget === undefined) {
      budget = { calls: 0, bytes: 0 }
      this.held.set(peer, budget)
    }
    if (budget.calls >= this.limits.maxCallsPerPeer) return false
    if (budget.calls > 0 && budget.bytes + bytes > this.limits.maxRequestBytesPerPeer) return false
    budget.calls++
    budget.bytes += bytes
    return true
  }

  release (peer: string, bytes: number): void {
    const budget = this.held.get(peer)
    if (budget === undefined) return
    budget.calls--
    budget.bytes -= bytes
    if (budget.calls === 0) this.held.delete(peer)
  }

  /** Calls `peer` has in flight here. */
  calls (peer: string): number {
    return this.held.get(peer)?.calls ?? 0
  }
}
