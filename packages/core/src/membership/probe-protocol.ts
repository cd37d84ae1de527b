import { decodeProbeRequest, decodeProbeResponse, encodeProbeRequest, encodeProbeResponse } from '../codec/membership-codec.js'
import { directProbeWithin, within } from './ping.js'
import type { Clock } from '../clock.js'
import type { ProbeRejectReason } from '../errors.js'
import type { RequestContext, Transport } from '../transport/transport.js'
import type { TokenBuckets } from '../cluster/token-buckets.js'

/**
 * The share of the requester's timeout a helper spends on its own direct probe of the target, so that its nack arrives before the
 * requester gives up (Lifeguard's nack: it proves the helper, and so the requester's own link, works).
 */
export const HELPER_PING_SHARE = 0.8

/** Counters of the probe requests this node served. */
export interface ProbeServeStats {
  /** Direct probes of this node it answered. */
  readonly directProbesServed: number
  readonly indirectProbesServed: number
  readonly probeRequestsRejected: Readonly<Record<ProbeRejectReason, number>>
}

export interface ProbeServerInit {
  clock: Clock
  transport: Transport
  /** The probe protocol of the cluster, on which the helper probes the target. */
  protocol: string
  localId: string
  isMember(id: string): boolean
  /** Requests per requester: a token bucket. */
  rate: TokenBuckets
  lateSlackMs: number
}

/**
 * Serves probe requests. A direct probe is answered with an ack at once, whoever asks: it costs nothing but the
 * answer, on a stream the requester opened, and reveals only that this node is up, as the connection itself and
 * libp2p's ping already do. An indirect probe makes this node probe the target for a member that could not reach
 * it, and answer ack or nack. Only members may ask one, only about members (so that nobody can make this node
 * dial an address of its choosing), and at a bounded rate. Anything else is refused (the request fails) and
 * counted by reason.
 */
export class ProbeServer {
  private direct = 0
  private served = 0
  private readonly rejected: Record<ProbeRejectReason, number> = {
    malformed: 0, 'too-large': 0, 'unsupported-version': 0, 'unknown-requester': 0, 'unknown-target': 0, 'rate-limited': 0
  }

  constructor (private readonly init: ProbeServerInit) {}

  async serve (request: Uint8Array, context: RequestContext): Promise<Uint8Array | undefined> {
    const { init } = this
    const decoded = decodeProbeRequest(request)
    if (!decoded.ok) return this.reject(decoded.reason)
    if (decoded.value.target === undefined) {
      this.direct++
      return encodeProbeResponse(true)
    }
    const { target, timeoutMs } = decoded.value
    if (!init.isMember(context.from)) return this.reject('unknown-requester')
    if (target === init.localId || target === context.from || !init.isMember(target)) return this.reject('unknown-target')
    if (!init.rate.take(context.from)) return this.reject('rate-limited')
    this.served++
    const probe = await directProbeWithin(init.clock, init.transport, init.protocol, target, Math.max(1, Math.floor(timeoutMs * HELPER_PING_SHARE)), init.lateSlackMs, context.signal)
    return encodeProbeResponse(probe.ok)
  }

  stats (): ProbeServeStats {
    return { directProbesServed: this.direct, indirectProbesServed: this.served, probeRequestsRejected: { ...this.rejected } }
  }

  private reject (reason: ProbeRejectReason): undefined {
    this.rejected[reason]++
    return undefined
  }
}

/** A helper's answer to an indirect probe: the target answered it, it did not, or the helper did not answer. */
export type HelperAnswer = 'ack' | 'nack' | 'none'

/**
 * Asks `helper` to probe `target`. Never rejects. The helper probes within {@link HELPER_PING_SHARE} of
 * `timeoutMs`, and may first have to open its stream to the target within as much again (see
 * `directProbeWithin`), so its answer is awaited for `timeoutMs` plus that share: its nack, which clears this node's
 * own link, then still arrives in time. The stream to the helper, when it is not open yet, is opened first within
 * `timeoutMs` of its own, as for a direct probe.
 */
export async function askHelper (clock: Clock, transport: Transport, protocol: string, helper: string, target: string, timeoutMs: number, lateSlackMs: number): Promise<HelperAnswer> {
  if (transport.prepare !== undefined) {
    const prepared = await within(clock, timeoutMs, lateSlackMs, undefined, async opening => { await transport.prepare!(helper, protocol, { signal: opening }) })
    if (!prepared.ok) return 'none'
  }
  const answered = await within(clock, Math.ceil(timeoutMs * (1 + HELPER_PING_SHARE)), lateSlackMs, undefined, async asking =>
    await transport.request(helper, protocol, encodeProbeRequest({ target, timeoutMs }), { signal: asking, expectResponse: true }))
  const ack = !answered.ok || answered.value === undefined ? undefined : decodeProbeResponse(answered.value)
  return ack === undefined ? 'none' : ack ? 'ack' : 'nack'
}
