import { InvalidFrameError, RequestAbortedError } from '@meshbalancer/core'
import { encodeErrorPayload, ErrorReason, FrameDecoder, FrameType } from './rpc-frames.js'
import { MAX_UNREAD_BYTES } from './rpc-limits.js'
import { FrameWriter } from './rpc-writer.js'
import type { PeerBudgets } from './rpc-limits.js'
import type { Connection, Stream, StreamMessageEvent } from '@libp2p/interface'
import type { RequestHandler } from '@meshbalancer/core'

/** Counts of what the callee refused or dropped, for tests and metrics. */
export interface CalleeCounters {
  /** Requests answered ERROR / OVERLOADED, and casts dropped, because the peer was past a bound. */
  overloaded: number
  /** Streams reset for a frame that breaks the protocol (PROTOCOL.md §6.7). */
  protocolErrors: number
  /** Times a stream was left unread because its caller did not read its answers. */
  paused: number
}

/**
 * Serves one inbound RPC stream: reads REQUEST, CAST and CANCEL frames, runs `handler` for each request within the
 * peer's budget, and writes RESPONSE or ERROR frames back on the same stream as the handlers finish, in any order.
 * When the stream closes or resets, every handler still running has its signal aborted.
 */
export function serveRpcStream (stream: Stream, connection: Connection, handler: RequestHandler, budgets: PeerBudgets, counters: CalleeCounters): void {
  const from = connection.remotePeer.toString()
  const calls = new Map<number, AbortController>()
  /** Aborts when the stream goes: the signal of casts, which cannot be cancelled one by one. */
  const lost = new AbortController()
  const decoder = new FrameDecoder()
  let running = 0
  let remoteDone = false

  const fail = (err: Error): void => { stream.abort(err) }
  const writer = new FrameWriter(stream, {
    onFailure: fail,
    maxUnsentBytes: budgets.limits.maxUnsentBytesPerStream,
    onBacklog: () => { counters.paused++ }
  })
  // While the stream is not read, the caller can still send what is left of its yamux receive window: buffering
  // that much never resets a caller that keeps to the window (yamux itself refuses more).
  stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, MAX_UNREAD_BYTES)

  const settled = (bytes: number): void => {
    running--
    budgets.release(from, bytes)
    if (remoteDone && running === 0) closeWhenDone()
  }

  const admit = (id: number, payload: Uint8Array): void => {
    if (calls.has(id)) throw new InvalidFrameError(`request id ${id} is already in flight`)
    if (!budgets.take(from, payload.byteLength)) {
      counters.overloaded++
      writer.enqueue(FrameType.ERROR, id, encodeErrorPayload(ErrorReason.OVERLOADED, `overloaded: ${budgets.calls(from)} calls in flight from ${from}`))
      return
    }
    const controller = new AbortController()
    calls.set(id, controller)
    running++
    const bytes = payload.byteLength
    // A copy: a view would keep the whole chunk it arrived in alive for as long as the handler runs, past the budget.
    run(handler, payload.slice(), from, controller.signal).then(response => {
      if (calls.get(id) !== controller) return
      calls.delete(id)
      if (response === undefined) {
        writer.enqueue(FrameType.ERROR, id, encodeErrorPayload(ErrorReason.FAILED, 'the handler gave no response'))
      } else {
        writer.enqueue(FrameType.RESPONSE, id, response)
      }
    }, (err: unknown) => {
      if (calls.get(id) !== controller) return
      calls.delete(id)
      writer.enqueue(FrameType.ERROR, id, encodeErrorPayload(ErrorReason.FAILED, `the handler failed: ${(err as Error | undefined)?.message ?? String(err)}`))
    }).finally(() => { settled(bytes) })
  }

  const cast = (payload: Uint8Array): void => {
    if (!budgets.take(from, payload.byteLength)) {
      counters.overloaded++
      return
    }
    running++
    const bytes = payload.byteLength
    run(handler, payload.slice(), from, lost.signal).catch(() => {}).finally(() => { settled(bytes) })
  }

  const onFrame = (type: number, id: number, payload: Uint8Array): void => {
    switch (type) {
      case FrameType.REQUEST:
        admit(id, payload)
        return
      case FrameType.CAST:
        cast(payload)
        return
      case FrameType.CANCEL: {
        // A cancel of an id not in flight crossed its answer on the way: nothing to do.
        const controller = calls.get(id)
        if (controller === undefined) return
        calls.delete(id)
        controller.abort(new RequestAbortedError(`${from} cancelled the request`))
        return
      }
      default:
        throw new InvalidFrameError(`frame type ${type} is not one a caller sends`)
    }
  }

  const onMessage = (event: StreamMessageEvent): void => {
    try {
      decoder.push(event.data, onFrame)
      writer.deferWindowUpdate()
    } catch (err) {
      counters.protocolErrors++
      fail(err as Error)
    }
  }

  const closeWhenDone = (): void => {
    writer.flush()
    if (stream.writeStatus === 'writable') stream.close().catch(() => {})
  }

  const onRemoteCloseWrite = (): void => {
    remoteDone = true
    if (running === 0) closeWhenDone()
  }

  const onClose = (): void => {
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('remoteCloseWrite', onRemoteCloseWrite)
    const reason = new RequestAbortedError(`${from} closed the stream`)
    lost.abort(reason)
    for (const controller of calls.values()) controller.abort(reason)
    calls.clear()
  }

  stream.addEventListener('message', onMessage)
  stream.addEventListener('remoteCloseWrite', onRemoteCloseWrite)
  stream.addEventListener('close', onClose, { once: true })
}

/** Runs the handler as a promise, a synchronous throw included. */
async function run (handler: RequestHandler, request: Uint8Array, from: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  return await handler(request, { from, signal })
}
