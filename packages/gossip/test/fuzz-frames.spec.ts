import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { InvalidFrameError } from '@meshbalancer/core'
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, MAX_MUX_FRAME_BYTES } from '../src/transport/rpc-frames.js'
import { FrameWriter } from '../src/transport/rpc-writer.js'
import type { Stream } from '@libp2p/interface'

/** Cases per property: 2,000 in the test run, 10^5 with `pnpm fuzz` (FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000)

interface Frame { type: number, id: number, payload: Uint8Array }

const frame = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 0xffff_ffff }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 100, maxLength: 400 }))
})

/** `bytes` cut at the given points (each taken modulo the length), as a stream may deliver them. */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(cut => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(from, point))
    from = point
  }
  return chunks
}

/** Frames as text, compared cheaply (jest's deep equality of byte arrays is slow at 10^5 cases). */
function show (frames: readonly Frame[]): string[] {
  return frames.map(f => `${f.type} ${f.id} ${Buffer.from(f.payload).toString('hex')}`)
}

function concat (parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.byteLength
  }
  return bytes
}

/** What a decoder makes of `chunks`: the frames it delivered, and the error it threw, if any. */
function decodeAll (chunks: Uint8Array[]): { frames: Frame[], error?: unknown, buffered: number[] } {
  const decoder = new FrameDecoder()
  const frames: Frame[] = []
  const buffered: number[] = []
  try {
    for (const chunk of chunks) {
      decoder.push(chunk, (type, id, payload) => { frames.push({ type, id, payload: payload.slice() }) })
      buffered.push(decoder.bufferedBytes)
    }
  } catch (error) {
    return { frames, error, buffered }
  }
  return { frames, buffered }
}

describe('fuzz: multiplexed RPC frames', () => {
  it('decodes any frames, however the bytes are split, into the frames encoded', () => {
    fc.assert(fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 16 }), (frames, cuts) => {
      const { frames: decoded, error } = decodeAll(split(concat(frames.map(f => encodeFrame(f.type, f.id, f.payload))), cuts))
      expect(error).toBeUndefined()
      expect(show(decoded)).toEqual(show(frames))
    }), { numRuns: RUNS })
  })

  it('writes the frames queued in one tick as one batch that decodes into them', async () => {
    await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 12 }), async (frames) => {
      const sent: Uint8Array[] = []
      const stream = { status: 'open', readStatus: 'readable', writeStatus: 'writable', writeBufferLength: 0, send: (data: Uint8Array) => { sent.push(data); return true } }
      const writer = new FrameWriter(stream as unknown as Stream, { onFailure: err => { throw err } })
      for (const f of frames) writer.enqueue(f.type, f.id, f.payload)
      await Promise.resolve()
      expect(sent).toHaveLength(1)
      expect(writer.unsentBytes).toBe(0)
      expect(show(decodeAll(sent).frames)).toEqual(show(frames))
    }), { numRuns: Math.max(100, RUNS / 10) })
  })

  it('delivers whole frames or throws InvalidFrameError for any bytes, never holding more than a frame', () => {
    const noise = fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Lengths around and past the bound, and varints longer than any valid length needs.
      fc.constantFrom(
        Uint8Array.from([0x85, 0x80, 0x80, 0x02]),
        Uint8Array.from([0x86, 0x80, 0x80, 0x02]),
        Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x00]),
        Uint8Array.from([0x04, 0x01, 0x00, 0x00, 0x00])
      ),
      frame.map(f => encodeFrame(f.type, f.id, f.payload))
    ), { maxLength: 8 })
    fc.assert(fc.property(noise, fc.array(fc.nat(), { maxLength: 8 }), (parts, cuts) => {
      const { error, buffered } = decodeAll(split(concat(parts), cuts))
      if (error !== undefined) expect(error).toBeInstanceOf(InvalidFrameError)
      // What stays buffered is at most one frame in progress: a partial length, or a frame shorter than its declared length.
      for (const bytes of buffered) expect(bytes).toBeLessThan(4 + MAX_MUX_FRAME_BYTES)
    }), { numRuns: RUNS })
  })

  it('refuses a declared length over the bound or under the header before its bytes arrive', () => {
    const overBound = Uint8Array.from([0x86, 0x80, 0x80, 0x02]) // MAX_MUX_FRAME_BYTES + 1
    expect(MAX_MUX_FRAME_BYTES + 1).toBe(0x86 - 0x80 + 2 * 2 ** 21)
    expect(decodeAll([overBound]).error).toBeInstanceOf(InvalidFrameError)
    expect(decodeAll([Uint8Array.from([FRAME_HEADER_BYTES - 1])]).error).toBeInstanceOf(InvalidFrameError)
    // Exactly the bound: waits for the bytes.
    expect(decodeAll([Uint8Array.from([0x85, 0x80, 0x80, 0x02])])).toEqual({ frames: [], buffered: [4] })
  })
})
