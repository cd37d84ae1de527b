import { RequestTimeoutError } from '../errors.js'
import type { Clock } from '../clock.js'
import type { Transport } from '../transport/transport.js'

/**
 * How a ping ended: answered (with its round trip), or not. `late` says the timeout fired well after it was due:
 * this process did not run in between, so the missing answer may be waiting unread and proves nothing.
 */
export type PingResult = { ok: true, rttMs: number } | { ok: false, late: boolean }

/** Pings `peer` over `transport`, giving up after `timeoutMs` on `clock` (or when `signal` aborts). Never rejects. */
export async function pingWithin (clock: Clock, transport: Transport, peer: string, timeoutMs: number, lateSlackMs: number, signal?: AbortSignal): Promise<PingResult> {
  if (transport.ping === undefined) return { ok: false, late: false }
  const controller = new AbortController()
  const due = clock.now() + timeoutMs
  let late = false
  const timer = clock.setTimeout(() => {
    late = clock.now() - due > lateSlackMs
    controller.abort(new RequestTimeoutError(`ping of ${peer} timed out`, timeoutMs))
  }, timeoutMs)
  const onAbort = (): void => { controller.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const rttMs = await transport.ping(peer, { signal: controller.signal })
    return { ok: true, rttMs }
  } catch {
    return { ok: false, late }
  } finally {
    clock.clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}
