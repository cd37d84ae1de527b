import { InvalidFrameError } from '../errors.js'
import { MAX_GROUP_NAME_LENGTH } from '../codec/limits.js'
import { RpcRequest, RpcResponse } from '../pb/frames.js'

/** Schema version of RPC frames. */
export const FRAME_VERSION = 1
/** Largest RPC frame accepted, request or response. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024
/** Longest method name accepted. */
export const MAX_METHOD_LENGTH = 256

export interface Request {
  readonly method: string
  readonly group: string
  readonly args: Uint8Array
  readonly cast: boolean
  readonly timeoutMs: number
}

/** A response as it travels: a result, or an error code with a message. */
export type Response =
  | { readonly ok: true, readonly result: Uint8Array }
  | { readonly ok: false, readonly code: string, readonly message: string, readonly name: string }

export function encodeRequest (request: Request): Uint8Array {
  return RpcRequest.encode({ version: FRAME_VERSION, ...request, args: request.args as Uint8Array<ArrayBuffer> })
}

/** @throws InvalidFrameError when the frame is malformed, oversized, of another version, or its method or group name is out of bounds */
export function decodeRequest (bytes: Uint8Array): Request {
  const frame = decode(bytes, RpcRequest.decode)
  if (frame.method.length === 0 || frame.method.length > MAX_METHOD_LENGTH) {
    throw new InvalidFrameError(`method name of length ${frame.method.length} not in [1, ${MAX_METHOD_LENGTH}]`)
  }
  // A group names one of the callee's balancer groups, so it has a group name's bound.
  if (frame.group.length > MAX_GROUP_NAME_LENGTH) {
    throw new InvalidFrameError(`group name of length ${frame.group.length} exceeds ${MAX_GROUP_NAME_LENGTH}`)
  }
  return { method: frame.method, group: frame.group, args: frame.args, cast: frame.cast, timeoutMs: frame.timeoutMs }
}

export function encodeResponse (response: Response): Uint8Array {
  return RpcResponse.encode(response.ok
    ? { version: FRAME_VERSION, result: response.result as Uint8Array<ArrayBuffer> }
    : { version: FRAME_VERSION, error: { code: response.code, message: response.message, name: response.name } })
}

/** @throws InvalidFrameError when the frame is malformed, oversized, of another version or holds neither part */
export function decodeResponse (bytes: Uint8Array): Response {
  const frame = decode(bytes, RpcResponse.decode)
  if (frame.error !== undefined) {
    return { ok: false, code: frame.error.code, message: frame.error.message, name: frame.error.name }
  }
  if (frame.result === undefined) throw new InvalidFrameError('response holds neither a result nor an error')
  return { ok: true, result: frame.result }
}

function decode<T extends { version: number }> (bytes: Uint8Array, decoder: (bytes: Uint8Array) => T): T {
  if (bytes.byteLength > MAX_FRAME_BYTES) {
    throw new InvalidFrameError(`frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`)
  }
  let frame: T
  try {
    frame = decoder(bytes)
  } catch (err) {
    throw new InvalidFrameError(`malformed frame: ${(err as Error | undefined)?.message ?? String(err)}`)
  }
  if (frame.version !== FRAME_VERSION) {
    throw new InvalidFrameError(`frame version ${frame.version}, expected ${FRAME_VERSION}`)
  }
  return frame
}
