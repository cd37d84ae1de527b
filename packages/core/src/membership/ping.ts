import { decodeProbeResponse, encodeProbeRequest } from '../codec/membership-codec.js'
import { RequestTimeoutError } from '../errors.js'
import type { Clock } from '../clock.js'
import type { Transport } from '../transport/transport.js'

/**
 * How a direct probe ended: answered (with its round trip), or not. `late` says the timeout fired well after it
 * was due: this process did not run in between, so the missing answer may be waiting unread and proves nothing.
 */
export type PingResult = { ok: true, rttMs: number } | { ok: false, late: boolean }

/** What {@link within} gives: the work's value, or how it failed to finish in time. */
export type Timed<T> = { ok: true, value: T } | { ok: false, late: boolean }

/**
 * Runs `work` with a signal that aborts after `timeoutMs` on `clock`, or when `signal` aborts. Never rejects: a
 * rejection or the timeout gives `ok: false`, with `late` set when the timer fired more than `lateSlackMs` after it
 * was due (this process did not run meanwhile, so the work may have finished unseen).
 */
export async function within<T> (clock: Clock, timeoutMs: number, lateSlackMs: number, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<Timed<T>> {
  if (signal?.aborted === true) return { ok: false, late: false }
  const controller = new AbortController()
  const due = clock.now() + timeoutMs
  let late = false
  const timer = clock.setTimeout(() => {
    late = clock.now() - due > lateSlackMs
    controller.abort(new RequestTimeoutError(`timed out after ${timeoutMs} ms`, timeoutMs))
  }, timeoutMs)
  const onAbort = (): void => { controller.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return { ok: true, value: await work(controller.signal) }
  } catch {
    return { ok: false, late }
  } finally {
    clock.clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Probes `peer` directly: a probe request naming no target on the cluster's probe `protocol`, which the peer
 * answers with an ack at once. Over libp2p it rides the long-lived RPC stream of that protocol, so that a probe
 * costs two small frames, not a new stream as a libp2p ping would. Gives up after `timeoutMs` on `clock` (or when
 * `signal` aborts); the round trip is measured on `clock` too. Never rejects.
 *
 * When that stream is not open yet (the first probe of a member, or the first since its stream closed), the
 * transport opens it first (`Transport.prepare`), within a `timeoutMs` of its own: a new stream costs a
 * negotiation, and a dial when there is no connection, each a round trip or more through the peer's event loop,
 * which a peer that just started on a busy host answers late without being down. Only the probe itself is timed
 * against the answer it waits for, as a probe over an open stream always is. A peer that hangs before any stream
 * to it opened is so found failed after up to twice the timeout.
 */
export async function directProbeWithin (clock: Clock, transport: Transport, protocol: string, peer: string, timeoutMs: number, lateSlackMs: number, signal?: AbortSignal): Promise<PingResult> {
  if (transport.prepare !== undefined) {
    const prepared = await within(clock, timeoutMs, lateSlackMs, signal, async opening => { await transport.prepare!(peer, protocol, { signal: opening }) })
    if (!prepared.ok) return prepared
  }
  let started = 0
  const answered = await within(clock, timeoutMs, lateSlackMs, signal, async probing => {
    started = clock.now()
    return await transport.request(peer, protocol, encodeProbeRequest({}), { signal: probing, expectResponse: true })
  })
  if (!answered.ok) return answered
  if (answered.value === undefined || decodeProbeResponse(answered.value) !== true) return { ok: false, late: false }
  return { ok: true, rttMs: clock.now() - started }
}
