import { BadRequestError, MeshbalancerError, RemoteError, RequestTimeoutError, ServiceUnavailableError } from '../errors.js'
import { decodeResponse, encodeRequest, MAX_FRAME_BYTES } from './frames.js'
import type { Clock } from '../clock.js'
import type { Transport } from '../transport/transport.js'
import type { Response } from './frames.js'
import type { RpcServer } from './server.js'
import type { ValueCodec } from './value-codec.js'

/** Default time a call waits for its result, as in rpc_load_balancer. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000

export interface RpcClientInit {
  transport: Transport
  protocol: string
  codec: ValueCodec
  clock: Clock
  /** Calls to this node are served in-process by `server`, with the same frames and errors as remote ones. */
  localId: string
  server: RpcServer
}

export interface SendOptions {
  readonly group: string
  readonly timeoutMs: number
  readonly cast: boolean
  readonly signal?: AbortSignal | undefined
}

/**
 * Sends RPC frames and maps every outcome to a result or a typed error: the promise always settles, at the
 * latest when the timeout passes.
 */
export class RpcClient {
  /** Settles every call still in flight when the cluster stops. */
  private readonly inFlight = new Set<AbortController>()

  constructor (private readonly init: RpcClientInit) {}

  async send (peer: string, method: string, args: unknown, options: SendOptions): Promise<unknown> {
    const { codec, clock } = this.init
    let encodedArgs: Uint8Array
    try {
      encodedArgs = codec.encode(args)
    } catch (err) {
      throw new BadRequestError(`arguments of ${method} cannot be encoded as ${codec.name}: ${(err as Error).message}`)
    }
    const frame = encodeRequest({ method, group: options.group, args: encodedArgs, cast: options.cast, timeoutMs: options.timeoutMs })
    if (frame.byteLength > MAX_FRAME_BYTES) {
      throw new BadRequestError(`request of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`)
    }

    const controller = new AbortController()
    const timer = clock.setTimeout(() => {
      controller.abort(new RequestTimeoutError(`${method} on ${peer} did not settle within ${options.timeoutMs} ms`, options.timeoutMs))
    }, options.timeoutMs)
    const onCallerAbort = (): void => { controller.abort(options.signal?.reason) }
    options.signal?.addEventListener('abort', onCallerAbort, { once: true })
    if (options.signal?.aborted === true) onCallerAbort()
    this.inFlight.add(controller)
    try {
      const reply = await this.exchange(peer, frame, options.cast, controller.signal)
      if (options.cast) return undefined
      if (reply === undefined) throw new ServiceUnavailableError(`${peer} closed the stream without answering ${method}`)
      return this.resultOf(peer, method, reply, options.timeoutMs)
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason
      if (err instanceof MeshbalancerError) throw err
      throw new ServiceUnavailableError(`${method} on ${peer} failed: ${(err as Error | undefined)?.message ?? String(err)}`)
    } finally {
      clock.clearTimeout(timer)
      options.signal?.removeEventListener('abort', onCallerAbort)
      this.inFlight.delete(controller)
    }
  }

  /** Fails every call in flight with `SERVICE_UNAVAILABLE`. */
  abortAll (reason: string): void {
    for (const controller of this.inFlight) controller.abort(new ServiceUnavailableError(reason))
  }

  private async exchange (peer: string, frame: Uint8Array, cast: boolean, signal: AbortSignal): Promise<Uint8Array | undefined> {
    if (peer !== this.init.localId) {
      // The transport is asked to give up when the signal aborts, but a call must not wait for it to do so: a step
      // that does not watch the signal (a dial, a stream negotiation on a busy node) would hold the call past its
      // timeout.
      return await untilAborted(this.init.transport.request(peer, this.init.protocol, frame, { signal, expectResponse: !cast }), signal)
    }
    const served = this.init.server.serve(frame, { from: peer, signal })
    if (cast) {
      void served
      return undefined
    }
    return await untilAborted(served, signal)
  }

  private resultOf (peer: string, method: string, reply: Uint8Array, timeoutMs: number): unknown {
    let response: Response
    try {
      response = decodeResponse(reply)
    } catch (err) {
      throw new ServiceUnavailableError(`${peer} sent an invalid response to ${method}: ${(err as Error).message}`)
    }
    if (!response.ok) throw errorFrom(peer, response, timeoutMs)
    try {
      return this.init.codec.decode(response.result)
    } catch (err) {
      throw new RemoteError(`result of ${method} is not valid ${this.init.codec.name}: ${(err as Error).message}`, 'DecodeError', peer)
    }
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts, whichever comes first. */
async function untilAborted<T> (work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {})
    throw signal.reason
  }
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

/** The typed error for an error response; codes this version does not know arrive as a `RemoteError`. */
function errorFrom (peer: string, response: Extract<Response, { ok: false }>, timeoutMs: number): MeshbalancerError {
  switch (response.code) {
    case 'BAD_REQUEST': return new BadRequestError(response.message)
    case 'SERVICE_UNAVAILABLE': return new ServiceUnavailableError(response.message)
    // The callee's deadline is the call's timeout, which it was sent.
    case 'REQUEST_TIMEOUT': return new RequestTimeoutError(response.message, timeoutMs)
    default: return new RemoteError(response.message, response.name, peer)
  }
}
