import { encodedFrameBytes, writeFrame } from './rpc-frames.js'
import type { Stream } from '@libp2p/interface'

/**
 * Writes frames to a stream, batched: every frame queued before the current task yields (the same tick) goes out
 * in one `send`, so that calls in flight together cost one write, one muxer frame and one encryption, not one each.
 */
export class FrameWriter {
  private readonly types: number[] = []
  private readonly ids: number[] = []
  private readonly payloads: Uint8Array[] = []
  private queuedBytes = 0
  private scheduled = false

  /**
   * @param onSent - called after each batch is handed to the stream, to watch what it still holds
   * @param onFailure - called when the stream cannot take a batch (it closed meanwhile); the batch is lost
   */
  constructor (private readonly stream: Stream, private readonly onSent: () => void, private readonly onFailure: (err: Error) => void) {}

  /** Bytes queued here or held by the stream, not yet handed to the connection. */
  get unsentBytes (): number {
    return this.queuedBytes + this.stream.writeBufferLength
  }

  /** Queues a frame for the next batch. */
  enqueue (type: number, id: number, payload: Uint8Array): void {
    this.types.push(type)
    this.ids.push(id)
    this.payloads.push(payload)
    this.queuedBytes += encodedFrameBytes(payload.byteLength)
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(this.flush)
    }
  }

  /** Sends what is queued now rather than at the end of the tick. */
  readonly flush = (): void => {
    this.scheduled = false
    const count = this.types.length
    if (count === 0) return
    const batch = new Uint8Array(this.queuedBytes)
    let offset = 0
    for (let i = 0; i < count; i++) offset = writeFrame(batch, offset, this.types[i]!, this.ids[i]!, this.payloads[i]!)
    this.types.length = 0
    this.ids.length = 0
    this.payloads.length = 0
    this.queuedBytes = 0
    if (this.stream.writeStatus !== 'writable') {
      this.onFailure(new Error(`the stream is ${this.stream.writeStatus}`))
      return
    }
    try {
      this.stream.send(batch)
    } catch (err) {
      this.onFailure(err as Error)
      return
    }
    this.onSent()
  }
}
