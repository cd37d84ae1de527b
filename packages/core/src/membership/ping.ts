import { decodeProbeResponse, encodeProbeRequest } from '../codec/membership-codec.js'
import { RequestTimeoutError, ServiceUnavailableError } from '../errors.js'
import type { Clock } from '../clock.js'
import type { Transport } from '../transport/transport.js'

/**
 * How a direct probe ended: answered (with its round trip), or not. `late` says the timeout fired well after it
 * was due: this process did not run in between, so the missing answer may be waiting unread and proves nothing.
 */
export type PingResult = { ok: true, rttMs: number } | { ok: false, late: boolean }

/**
 * Probes `peer` directly: a probe request naming no target on the cluster's probe `protocol`, which the peer
 * answers with an ack at once. Over libp2p it rides the long-lived RPC stream of that protocol, so that a probe
 * costs two small frames, not a new stream as a libp2p ping would. Gives up after `timeoutMs` on `clock` (or when
 * `signal` aborts); the round trip is measured on `clock` too. Never rejects.
 */
export async function directProbeWithin (clock: Clock, transport: Transport, protocol: string, peer: string, timeoutMs: number, lateSlackMs: number, signal?: AbortSignal): Promise<PingResult> {
  if (signal?.aborted === true) return { ok: false, late: false }
  const controller = new AbortController()
  const due = clock.now() + timeoutMs
  let late = false
  const timer = clock.setTimeout(() => {
    late = clock.now() - due > lateSlackMs
    controller.abort(new RequestTimeoutError(`direct probe of ${peer} timed out`, timeoutMs))
  }, timeoutMs)
  const onAbort = (): void => { controller.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const started = clock.now()
    const response = await transport.request(peer, protocol, encodeProbeRequest({}), { signal: controller.signal, expectResponse: true })
    if (response === undefined || decodeProbeResponse(response) !== true) throw new ServiceUnavailableError(`${peer} did not ack a direct probe`)
    return { ok: true, rttMs: clock.now() - started }
  } catch {
    return { ok: false, late }
  } finally {
    clock.clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}
