import { RequestAbortedError, ServiceUnavailableError } from '@meshbalancer/core'
import { MAX_FRAME_BYTES } from '@meshbalancer/core/protocol'
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import type { RequestHandler } from '@meshbalancer/core'

/**
 * RPC over libp2p streams: one stream per request, carrying one varint-length-prefixed request frame and, unless
 * the request is a cast, one length-prefixed response frame. Frames larger than the core's limit are refused
 * while reading, before they are buffered.
 */

/** Serves one inbound stream with `handler`; aborts the handler's signal if the stream closes or resets first. */
export async function serveStream (stream: Stream, connection: Connection, handler: RequestHandler): Promise<void> {
  const controller = new AbortController()
  const onClose = (): void => { controller.abort(new RequestAbortedError(`${connection.remotePeer.toString()} closed the stream`)) }
  stream.addEventListener('close', onClose, { once: true })
  try {
    const frames = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    const request = await frames.read({ signal: controller.signal })
    const response = await handler(request.subarray(), { from: connection.remotePeer.toString(), signal: controller.signal })
    if (response !== undefined && !controller.signal.aborted) await frames.write(response, { signal: controller.signal })
    stream.removeEventListener('close', onClose)
    await stream.close({ signal: controller.signal })
  } catch (err) {
    stream.abort(err as Error)
  } finally {
    stream.removeEventListener('close', onClose)
  }
}

/**
 * Writes `request` on an opened stream and reads the response (or only writes, for a cast). Rejects with the
 * signal's reason once it aborts, and with `ServiceUnavailableError` when the stream fails or closes early.
 */
export async function exchange (stream: Stream, request: Uint8Array, expectResponse: boolean, signal: AbortSignal): Promise<Uint8Array | undefined> {
  try {
    const frames = lpStream(stream, { maxDataLength: MAX_FRAME_BYTES })
    await frames.write(request, { signal })
    if (!expectResponse) {
      await stream.close({ signal })
      return undefined
    }
    const response = await frames.read({ signal })
    await stream.close({ signal })
    return response.subarray()
  } catch (err) {
    stream.abort(err as Error)
    if (signal.aborted) throw signal.reason
    throw new ServiceUnavailableError(`RPC stream failed: ${(err as Error | undefined)?.message ?? String(err)}`)
  }
}
