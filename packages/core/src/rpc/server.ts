import { BadRequestError, InvalidFrameError, InvalidOptionError, RequestTimeoutError } from '../errors.js'
import { assertFunction, assertName } from '../options.js'
import { decodeRequest, encodeResponse, MAX_FRAME_BYTES, MAX_METHOD_LENGTH } from './frames.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import type { RequestContext } from '../transport/transport.js'
import type { Request, Response } from './frames.js'
import type { ValueCodec } from './value-codec.js'

/** What a handler knows about the call it serves. */
export interface HandlerContext {
  /** The calling peer's id. */
  readonly from: string
  readonly method: string
  /** The balancer group the caller selected this node through. */
  readonly group: string
  /** Aborts when the caller goes away or its timeout passes; long handlers should stop then. */
  readonly signal: AbortSignal
}

/**
 * Serves one RPC method. Its return value (or resolved value) is the result; throwing a `BadRequestError` answers
 * `BAD_REQUEST`, and any other throw reaches the caller as a `RemoteError` carrying the error's name and message,
 * unless the call's deadline has passed: then the caller receives a `RequestTimeoutError`, whatever was returned or
 * thrown.
 */
export type Handler<Args = unknown, Result = unknown> = (args: Args, context: HandlerContext) => Result | Promise<Result>

/** One call or cast this node served: emitted as `rpc:serve`. */
export interface ServeRecord {
  /** The method the caller named; any string up to `MAX_METHOD_LENGTH`, registered or not (see `handled`). */
  readonly method: string
  /** True when this node has a handler for `method`; false for unknown methods (answered `BAD_REQUEST`). */
  readonly handled: boolean
  readonly group: string
  readonly from: string
  readonly cast: boolean
  /** `ok`, or the code answered: `BAD_REQUEST`, `REQUEST_TIMEOUT` or `REMOTE_ERROR`. */
  readonly outcome: string
  readonly durationMs: number
}

export interface RpcServerInit {
  codec: ValueCodec
  clock: Clock
  logger: Logger
  /**
   * Called when a call of `group` starts, so that the cluster can gossip calls in flight as load; true when the
   * call was counted, and only then is `onCallEnd` called when it ends. Must be O(1): it runs for every call.
   */
  onCallStart(group: string): boolean
  onCallEnd(group: string): void
  /** Called for every request served, however it ended. */
  onServed(record: ServeRecord): void
}

/** Dispatches RPC frames to registered handlers and turns every outcome into a response frame. */
export class RpcServer {
  // Arguments are decoded data of whatever shape the handler declares; the handler validates them.
  private readonly handlers = new Map<string, Handler<any>>()

  constructor (private readonly init: RpcServerInit) {}

  handle<Args, Result> (method: string, handler: Handler<Args, Result>): void {
    assertName('method', method, MAX_METHOD_LENGTH)
    assertFunction('handler', handler)
    if (this.handlers.has(method)) throw new InvalidOptionError('method', `"${method}" already has a handler`)
    this.handlers.set(method, handler as Handler<any>)
  }

  unhandle (method: string): void {
    this.handlers.delete(method)
  }

  /** Serves one request frame. Never rejects: every failure becomes an error response (or, for a cast, a log line). */
  async serve (bytes: Uint8Array, context: RequestContext): Promise<Uint8Array | undefined> {
    let request: Request
    try {
      request = decodeRequest(bytes)
    } catch (err) {
      return encodeResponse(failure('BAD_REQUEST', err))
    }
    const started = this.init.clock.now()
    const handled = this.handlers.has(request.method)
    let response = await this.dispatch(request, context)
    let frame = encodeResponse(response)
    if (frame.byteLength > MAX_FRAME_BYTES) {
      // The caller would refuse the frame unread; an error it can read says why instead.
      response = failure('REMOTE_ERROR', new InvalidFrameError(`response of ${frame.byteLength} bytes to ${request.method} exceeds ${MAX_FRAME_BYTES}`))
      frame = encodeResponse(response)
    }
    this.init.onServed({
      method: request.method,
      handled,
      group: request.group,
      from: context.from,
      cast: request.cast,
      outcome: response.ok ? 'ok' : response.code,
      durationMs: this.init.clock.now() - started
    })
    if (request.cast) {
      if (!response.ok) this.init.logger.warn(`cast of ${request.method} from ${context.from} failed: ${response.message}`)
      return undefined
    }
    return frame
  }

  private async dispatch (request: Request, context: RequestContext): Promise<Response> {
    const handler = this.handlers.get(request.method)
    if (handler === undefined) {
      return failure('BAD_REQUEST', new BadRequestError(`unknown method "${request.method}"`))
    }
    let args: unknown
    try {
      args = this.init.codec.decode(request.args)
    } catch (err) {
      return failure('BAD_REQUEST', new BadRequestError(`arguments are not valid ${this.init.codec.name}: ${messageOf(err)}`))
    }
    const controller = new AbortController()
    const onAbort = (): void => { controller.abort(context.signal.reason) }
    context.signal.addEventListener('abort', onAbort, { once: true })
    // Past the deadline the caller has given up: whatever the handler throws then (typically its signal's reason)
    // is answered as the timeout it is, not as the handler's own failure. Timers take at most 2^31 - 1 ms (about
    // 24.8 days); a longer deadline from another implementation is that.
    let timedOut: RequestTimeoutError | undefined
    const deadline = request.timeoutMs > 0
      ? this.init.clock.setTimeout(() => {
        timedOut = new RequestTimeoutError(`${request.method} passed its deadline of ${request.timeoutMs} ms`, request.timeoutMs)
        controller.abort(timedOut)
      }, Math.min(request.timeoutMs, MAX_DEADLINE_MS))
      : undefined
    const counted = this.init.onCallStart(request.group)
    try {
      const result = await handler(args, {
        from: context.from,
        method: request.method,
        group: request.group,
        signal: controller.signal
      })
      // A result after the deadline (a handler that stops on its signal and returns what it has) is as late as a
      // throw: the caller is told the call timed out, whichever of its timer and this answer it meets first.
      if (timedOut !== undefined) return failure('REQUEST_TIMEOUT', timedOut)
      return { ok: true, result: this.init.codec.encode(result) }
    } catch (err) {
      if (timedOut !== undefined) return failure('REQUEST_TIMEOUT', timedOut)
      return failure(err instanceof BadRequestError ? 'BAD_REQUEST' : 'REMOTE_ERROR', err)
    } finally {
      if (counted) this.init.onCallEnd(request.group)
      if (deadline !== undefined) this.init.clock.clearTimeout(deadline)
      context.signal.removeEventListener('abort', onAbort)
    }
  }
}

/** The longest timer the system clock can set. */
const MAX_DEADLINE_MS = 0x7fff_ffff

function failure (code: string, err: unknown): Response {
  const name = err instanceof Error ? err.name : typeof err
  return { ok: false, code, message: messageOf(err), name }
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
