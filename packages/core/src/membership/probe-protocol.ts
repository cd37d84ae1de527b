import { decodeProbeRequest, decodeProbeResponse, encodeProbeRequest, encodeProbeResponse } from '../codec/membership-codec.js'
import { pingWithin } from './ping.js'
import type { Clock } from '../clock.js'
import type { ProbeRejectReason } from '../errors.js'
import type { RequestContext, Transport } from '../transport/transport.js'
import type { TokenBuckets } from '../cluster/token-buckets.js'

/**
 * The share of the requester's timeout a helper spends on its own ping, so that its nack arrives before the
 * requester gives up (Lifeguard's nack: it proves the helper, and so the requester's own link, works).
 */
export const HELPER_PING_SHARE = 0.8

/** Counters of indirect probes this node served. */
export interface ProbeServeStats {
  readonly indirectProbesServed: number
  readonly probeRequestsRejected: Readonly<Record<ProbeRejectReason, number>>
}

export interface ProbeServerInit {
  clock: Clock
  transport: Transport
  localId: string
  isMember(id: string): boolean
  /** Requests per requester: a token bucket. */
  rate: TokenBuckets
  lateSlackMs: number
}

/**
 * Serves indirect probes: pings the target for a member that could not reach it, and answers ack or nack. Only
 * members may ask, only about members (so that nobody can make this node dial an address of its choosing), and at
 * a bounded rate; anything else is refused (the stream fails) and counted by reason.
 */
export class ProbeServer {
  private served = 0
  private readonly rejected: Record<ProbeRejectReason, number> = {
    malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'unknown-requester': 0, 'unknown-target': 0, 'rate-limited': 0
  }

  constructor (private readonly init: ProbeServerInit) {}

  async serve (request: Uint8Array, context: RequestContext): Promise<Uint8Array | undefined> {
    const { init } = this
    const decoded = decodeProbeRequest(request)
    if (!decoded.ok) return this.reject(decoded.reason)
    const { target, timeoutMs } = decoded.value
    if (!init.isMember(context.from)) return this.reject('unknown-requester')
    if (target === init.localId || target === context.from || !init.isMember(target)) return this.reject('unknown-target')
    if (!init.rate.take(context.from)) return this.reject('rate-limited')
    this.served++
    const ping = await pingWithin(init.clock, init.transport, target, Math.max(1, Math.floor(timeoutMs * HELPER_PING_SHARE)), init.lateSlackMs, context.signal)
    return encodeProbeResponse(ping.ok)
  }

  stats (): ProbeServeStats {
    return { indirectProbesServed: this.served, probeRequestsRejected: { ...this.rejected } }
  }

  private reject (reason: ProbeRejectReason): undefined {
    this.rejected[reason]++
    return undefined
  }
}

/** A helper's answer to an indirect probe: the target answered it, it did not, or the helper did not answer. */
export type HelperAnswer = 'ack' | 'nack' | 'none'

/** Asks `helper` to ping `target`; waits at most `timeoutMs` for its answer. Never rejects. */
export async function askHelper (clock: Clock, transport: Transport, protocol: string, helper: string, target: string, timeoutMs: number): Promise<HelperAnswer> {
  const controller = new AbortController()
  const timer = clock.setTimeout(() => { controller.abort(new Error('indirect probe timed out')) }, timeoutMs)
  try {
    const response = await transport.request(helper, protocol, encodeProbeRequest({ target, timeoutMs }), { signal: controller.signal, expectResponse: true })
    const ack = response === undefined ? undefined : decodeProbeResponse(response)
    return ack === undefined ? 'none' : ack ? 'ack' : 'nack'
  } catch {
    return 'none'
  } finally {
    clock.clearTimeout(timer)
  }
}
