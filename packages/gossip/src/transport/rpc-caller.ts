import { InvalidFrameError, ServiceUnavailableError } from '@meshbalancer/core'
import { decodeErrorPayload, ErrorReason, FrameDecoder, FrameType } from './rpc-frames.js'
import { FrameWriter } from './rpc-writer.js'
import type { Stream, StreamMessageEvent } from '@libp2p/interface'

const NO_PAYLOAD = new Uint8Array(0)

/** A request waiting for its answer; it listens for its own signal's abort (no closure per call). */
class Pending {
  constructor (
    readonly caller: RpcCaller,
    readonly id: number,
    readonly signal: AbortSignal,
    readonly resolve: (response: Uint8Array) => void,
    readonly reject: (err: unknown) => void
  ) {}

  handleEvent (): void {
    this.caller.cancel(this)
  }
}

/**
 * The caller's end of one long-lived RPC stream to a peer: requests go out as REQUEST frames with ids of their
 * own, any number in flight, and answers are matched to them by id, in whatever order they come. An abort sends
 * CANCEL. When the stream fails, closes or resets, every request pending on it fails at once with
 * `SERVICE_UNAVAILABLE`, and `onClosed` tells the owner to open a new stream for the next one.
 */
export class RpcCaller {
  private readonly pending = new Map<number, Pending>()
  private readonly decoder = new FrameDecoder()
  private readonly writer: FrameWriter
  private nextId = 0
  private closed = false

  constructor (readonly stream: Stream, private readonly peer: string, private readonly onClosed: (caller: RpcCaller) => void) {
    this.writer = new FrameWriter(stream, { onFailure: err => { this.fail(`the RPC stream to ${peer} failed: ${err.message}`, err) } })
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('remoteCloseWrite', this.onRemoteCloseWrite)
    stream.addEventListener('close', this.onClose, { once: true })
  }

  /** False once the stream is lost: the owner opens another. */
  get usable (): boolean {
    return !this.closed && this.stream.status === 'open' && this.stream.writeStatus === 'writable'
  }

  /** Requests in flight on this stream. */
  get inFlight (): number {
    return this.pending.size
  }

  /** Sends one request; for a cast, resolves once the frame is queued. Rejects with the signal's reason on abort. */
  request (data: Uint8Array, expectResponse: boolean, signal: AbortSignal): Promise<Uint8Array | undefined> {
    // Not async: this is the hot path of every call, and each await would cost it a turn of the microtask queue.
    if (signal.aborted) return Promise.reject(signal.reason)
    if (!this.usable) return Promise.reject(new ServiceUnavailableError(`the RPC stream to ${this.peer} is closed`))
    if (!expectResponse) {
      this.writer.enqueue(FrameType.CAST, 0, data)
      return Promise.resolve(undefined)
    }
    let id = this.nextId
    do id = (id + 1) >>> 0; while (this.pending.has(id))
    this.nextId = id
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending = new Pending(this, id, signal, resolve, reject)
      this.pending.set(id, pending)
      signal.addEventListener('abort', pending, { once: true })
      this.writer.enqueue(FrameType.REQUEST, id, data)
    })
  }

  /** A pending request's signal aborted: tell the callee, so that its handler's signal aborts too. */
  cancel (pending: Pending): void {
    if (this.pending.get(pending.id) !== pending) return
    this.pending.delete(pending.id)
    if (this.usable) this.writer.enqueue(FrameType.CANCEL, pending.id, NO_PAYLOAD)
    pending.reject(pending.signal.reason)
  }

  /** Fails every pending request and resets the stream (the transport stops). */
  close (reason: string): void {
    this.fail(reason, new ServiceUnavailableError(reason))
  }

  private readonly onMessage = (event: StreamMessageEvent): void => {
    try {
      this.decoder.push(event.data, this.onFrame)
      this.writer.deferWindowUpdate()
    } catch (err) {
      this.fail(`${this.peer} broke the RPC protocol: ${(err as Error).message}`, err as Error)
    }
  }

  private readonly onFrame = (type: number, id: number, payload: Uint8Array): void => {
    if (type !== FrameType.RESPONSE && type !== FrameType.ERROR) throw new InvalidFrameError(`frame type ${type} is not one a callee sends`)
    const pending = this.pending.get(id)
    // An answer to a request cancelled meanwhile: nobody waits for it.
    if (pending === undefined) return
    this.pending.delete(id)
    pending.signal.removeEventListener('abort', pending)
    if (type === FrameType.RESPONSE) {
      pending.resolve(payload)
      return
    }
    const { reason, message } = decodeErrorPayload(payload)
    pending.reject(new ServiceUnavailableError(reason === ErrorReason.OVERLOADED
      ? `${this.peer} refused the request: ${message}`
      : `${this.peer} could not serve the request: ${message}`))
  }

  private readonly onRemoteCloseWrite = (): void => {
    // The callee will answer nothing more on this stream.
    this.fail(`${this.peer} closed the RPC stream`)
  }

  private readonly onClose = (): void => {
    this.fail(`the RPC stream to ${this.peer} was lost`)
  }

  private fail (reason: string, cause?: Error): void {
    if (!this.closed) {
      this.closed = true
      this.stream.removeEventListener('message', this.onMessage)
      this.stream.removeEventListener('remoteCloseWrite', this.onRemoteCloseWrite)
      this.onClosed(this)
    }
    if (this.pending.size > 0) {
      const error = new ServiceUnavailableError(reason)
      for (const pending of this.pending.values()) {
        pending.signal.removeEventListener('abort', pending)
        pending.reject(error)
      }
      this.pending.clear()
    }
    if (this.stream.status === 'open') this.stream.abort(cause ?? new ServiceUnavailableError(reason))
  }
}
