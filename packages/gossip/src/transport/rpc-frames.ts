import { InvalidFrameError } from '@meshbalancer/core'
import { MAX_FRAME_BYTES } from '@meshbalancer/core/protocol'
import { Uint8ArrayList } from 'uint8arraylist'

/**
 * Frames of multiplexed RPC (PROTOCOL.md §6): an unsigned varint length, then that many bytes: a frame type (one
 * byte), a request id (four bytes, big-endian) and the payload. The length counts the type, the id and the payload.
 */

/** What a frame is for; the high bit tells the direction (clear: caller to callee; set: callee to caller). */
export const FrameType = {
  /** A call: the payload is an `RpcRequest`; the callee answers with a RESPONSE or an ERROR of the same id. */
  REQUEST: 0x01,
  /** A cast: the payload is an `RpcRequest`; nothing is answered; the id is not read. */
  CAST: 0x02,
  /** The caller gave up on the request of this id: the callee aborts its handler and answers nothing. */
  CANCEL: 0x03,
  /** The answer to a REQUEST: the payload is an `RpcResponse`. */
  RESPONSE: 0x81,
  /** The callee has no response for the REQUEST: one reason byte ({@link ErrorReason}), then a UTF-8 message. */
  ERROR: 0x82
} as const

export type FrameTypeCode = typeof FrameType[keyof typeof FrameType]

/** Why a callee answered ERROR. */
export const ErrorReason = {
  /** Past a bound on what one peer may make the callee hold (calls in flight, request bytes): retry later or elsewhere. */
  OVERLOADED: 0x01,
  /** The request was admitted but produced no response (the callee's request handler failed). */
  FAILED: 0x02
} as const

/** Type and id. */
export const FRAME_HEADER_BYTES = 5
/** The largest length a frame may declare: a payload of `MAX_FRAME_BYTES` and the header. */
export const MAX_MUX_FRAME_BYTES = MAX_FRAME_BYTES + FRAME_HEADER_BYTES
/** A length of at most `MAX_MUX_FRAME_BYTES` (< 2^28) takes at most four varint bytes. */
const MAX_LENGTH_BYTES = 4

/** Receives each whole frame; `payload` may be a view into the bytes read, valid until the handler returns. */
export type FrameHandler = (type: number, id: number, payload: Uint8Array) => void

/**
 * Cuts frames out of the bytes of a stream, however they are split into chunks. Holds at most one frame's bytes
 * beyond what it has delivered.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()

  /** Bytes received but not yet delivered as a frame. */
  get bufferedBytes (): number {
    return this.buffer.byteLength
  }

  /**
   * Appends `chunk` and delivers every frame now whole, in order.
   * @throws InvalidFrameError for a length over `MAX_MUX_FRAME_BYTES`, under the header's, or with a longer varint than such a length needs; the stream cannot be read past it
   */
  push (chunk: Uint8Array | Uint8ArrayList, onFrame: FrameHandler): void {
    this.buffer.append(chunk)
    for (;;) {
      const available = this.buffer.byteLength
      let length = 0
      let prefix = 0
      for (;;) {
        if (prefix === MAX_LENGTH_BYTES) throw new InvalidFrameError(`frame length varint longer than ${MAX_LENGTH_BYTES} bytes`)
        if (prefix === available) return
        const byte = this.buffer.get(prefix)
        length += (byte & 0x7f) * 2 ** (7 * prefix)
        prefix++
        if ((byte & 0x80) === 0) break
      }
      if (length > MAX_MUX_FRAME_BYTES) throw new InvalidFrameError(`frame of ${length} bytes exceeds ${MAX_MUX_FRAME_BYTES}`)
      if (length < FRAME_HEADER_BYTES) throw new InvalidFrameError(`frame of ${length} bytes is shorter than its ${FRAME_HEADER_BYTES}-byte header`)
      if (available < prefix + length) return
      const frame = this.buffer.subarray(prefix, prefix + length)
      this.buffer.consume(prefix + length)
      const id = ((frame[1]! << 24) >>> 0) + (frame[2]! << 16) + (frame[3]! << 8) + frame[4]!
      onFrame(frame[0]!, id, frame.subarray(FRAME_HEADER_BYTES))
    }
  }
}

/** Bytes a frame with `payloadBytes` of payload takes on the wire. */
export function encodedFrameBytes (payloadBytes: number): number {
  const length = FRAME_HEADER_BYTES + payloadBytes
  return varintBytes(length) + length
}

/** Writes one frame into `target` at `offset`; returns the offset after it. */
export function writeFrame (target: Uint8Array, offset: number, type: number, id: number, payload: Uint8Array): number {
  let length = FRAME_HEADER_BYTES + payload.byteLength
  while (length >= 0x80) {
    target[offset++] = (length & 0x7f) | 0x80
    length >>>= 7
  }
  target[offset++] = length
  target[offset++] = type
  target[offset++] = id >>> 24
  target[offset++] = (id >>> 16) & 0xff
  target[offset++] = (id >>> 8) & 0xff
  target[offset++] = id & 0xff
  target.set(payload, offset)
  return offset + payload.byteLength
}

/** One frame as its own bytes, for tests and for peers that write frames one at a time. */
export function encodeFrame (type: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(encodedFrameBytes(payload.byteLength))
  writeFrame(bytes, 0, type, id, payload)
  return bytes
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
/** Longest error message a callee sends, in bytes; longer ones are cut. */
export const MAX_ERROR_MESSAGE_BYTES = 1024

/** The payload of an ERROR frame. */
export function encodeErrorPayload (reason: number, message: string): Uint8Array {
  const text = encoder.encode(message).subarray(0, MAX_ERROR_MESSAGE_BYTES)
  const payload = new Uint8Array(1 + text.byteLength)
  payload[0] = reason
  payload.set(text, 1)
  return payload
}

/** Reads an ERROR frame's payload; an empty one is a failure without a message. */
export function decodeErrorPayload (payload: Uint8Array): { reason: number, message: string } {
  if (payload.byteLength === 0) return { reason: ErrorReason.FAILED, message: '' }
  return { reason: payload[0]!, message: decoder.decode(payload.subarray(1, 1 + MAX_ERROR_MESSAGE_BYTES)) }
}

function varintBytes (value: number): number {
  let bytes = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    bytes++
  }
  return bytes
}
