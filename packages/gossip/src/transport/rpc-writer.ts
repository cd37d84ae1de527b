import { encodedFrameBytes, writeFrame } from './rpc-frames.js'
import type { Stream } from '@libp2p/interface'

export interface FrameWriterInit {
  /** Called when the stream cannot take a batch (it closed meanwhile); the batch is lost. */
  onFailure(err: Error): void
  /**
   * Past this many bytes held unsent (the peer is not reading), the stream is not read until they are sent.
   * @default Infinity
   */
  maxUnsentBytes?: number
  /** Called each time the stream stops being read for that reason. */
  onBacklog?(): void
}

/**
 * Writes frames to a stream, batched: every frame queued before the current task yields (the same tick) goes out
 * in one `send`, so that calls in flight together cost one write, one muxer frame and one encryption, not one each.
 *
 * It also decides when the stream is read. yamux grants the peer more window after every read, in a frame of its
 * own, written at once; an answer computed in the same tick would follow it in a second write, and reach the peer
 * later by a syscall and a decryption. So the stream is paused from a read ({@link FrameWriter.deferWindowUpdate})
 * until the next batch is sent or the event loop turns, whichever comes first: the answer goes out before the
 * window update. And it stays paused while more than `maxUnsentBytes` wait to be sent.
 */
export class FrameWriter {
  private readonly types: number[] = []
  private readonly ids: number[] = []
  private readonly payloads: Uint8Array[] = []
  private queuedBytes = 0
  private scheduled = false
  private deferring = false
  private backlogged = false
  private readonly maxUnsentBytes: number

  constructor (private readonly stream: Stream, private readonly init: FrameWriterInit) {
    this.maxUnsentBytes = init.maxUnsentBytes ?? Infinity
    if (this.maxUnsentBytes !== Infinity) stream.addEventListener('idle', this.onIdle)
  }

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

  /** Called from a read of the stream: holds yamux's window update back until the answers of this tick are sent. */
  deferWindowUpdate (): void {
    if (this.deferring || this.stream.readStatus !== 'readable') return
    this.deferring = true
    this.stream.pause()
    setImmediate(this.endDeferral)
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
      this.init.onFailure(new Error(`the stream is ${this.stream.writeStatus}`))
      return
    }
    try {
      this.stream.send(batch)
    } catch (err) {
      this.init.onFailure(err as Error)
      return
    }
    if (!this.backlogged && this.stream.writeBufferLength > this.maxUnsentBytes) {
      // The peer does not read what it asked for: read nothing more from it until that drains.
      this.backlogged = true
      this.init.onBacklog?.()
    }
    this.deferring = false
    this.resumeIfDue()
  }

  private readonly endDeferral = (): void => {
    if (!this.deferring) return
    this.deferring = false
    this.resumeIfDue()
  }

  private readonly onIdle = (): void => {
    if (!this.backlogged) return
    this.backlogged = false
    this.resumeIfDue()
  }

  /** Pauses or resumes reading as the two reasons to pause say. */
  private resumeIfDue (): void {
    if (this.stream.status !== 'open') return
    if (this.backlogged || this.deferring) {
      if (this.stream.readStatus === 'readable') this.stream.pause()
      return
    }
    if (this.stream.readStatus === 'paused') this.stream.resume()
  }
}
