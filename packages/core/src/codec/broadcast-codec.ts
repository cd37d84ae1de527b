import { Broadcast as WireBroadcast } from '../pb/broadcast.js'
import { BROADCAST_ID_BYTES, BROADCAST_VERSION, MAX_BROADCAST_BYTES, MAX_BROADCAST_ENVELOPE_BYTES, MAX_BROADCAST_TOPIC_LENGTH } from './limits.js'
import type { BroadcastRejectReason } from '../errors.js'

/** A decoded broadcast envelope (docs/PROTOCOL.md, "Application broadcasts"). */
export interface BroadcastEnvelope {
  readonly topic: string
  /** 16 bytes chosen at random by the origin. */
  readonly id: Uint8Array
  readonly data: Uint8Array
}

/** What {@link decodeBroadcast} returns: the envelope, or why it is refused. */
export type DecodedBroadcast = { ok: true, envelope: BroadcastEnvelope } | { ok: false, reason: BroadcastRejectReason, detail: string }

const TOPIC = /^[A-Za-z0-9._-]+$/

/** Why `topic` breaks the naming rules of broadcast topics, or undefined when it follows them. */
export function checkTopic (topic: unknown): string | undefined {
  if (typeof topic !== 'string' || topic.length === 0) return 'expected a non-empty string'
  if (topic.length > MAX_BROADCAST_TOPIC_LENGTH) return `expected at most ${MAX_BROADCAST_TOPIC_LENGTH} characters, got ${topic.length}`
  if (!TOPIC.test(topic)) return 'expected only letters, digits, ".", "_" and "-"'
  return undefined
}

/** Encodes an envelope; the caller has checked the topic and the size of the data. */
export function encodeBroadcast (envelope: BroadcastEnvelope): Uint8Array {
  return WireBroadcast.encode({
    version: BROADCAST_VERSION,
    topic: envelope.topic,
    id: envelope.id as Uint8Array<ArrayBuffer>,
    data: envelope.data as Uint8Array<ArrayBuffer>
  })
}

/** Decodes and checks an envelope received from the network; never throws. */
export function decodeBroadcast (bytes: Uint8Array): DecodedBroadcast {
  if (bytes.byteLength > MAX_BROADCAST_ENVELOPE_BYTES) {
    return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${MAX_BROADCAST_ENVELOPE_BYTES}` }
  }
  let wire: WireBroadcast
  try {
    wire = WireBroadcast.decode(bytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: (err as Error | undefined)?.message ?? String(err) }
  }
  if (wire.version !== BROADCAST_VERSION) {
    return { ok: false, reason: 'unsupported-version', detail: `version ${wire.version}, expected ${BROADCAST_VERSION}` }
  }
  if (wire.data.byteLength > MAX_BROADCAST_BYTES) {
    return { ok: false, reason: 'too-large', detail: `${wire.data.byteLength} bytes of data, limit ${MAX_BROADCAST_BYTES}` }
  }
  if (wire.id.byteLength !== BROADCAST_ID_BYTES) {
    return { ok: false, reason: 'malformed', detail: `id of ${wire.id.byteLength} bytes, expected ${BROADCAST_ID_BYTES}` }
  }
  const topicProblem = checkTopic(wire.topic)
  if (topicProblem !== undefined) return { ok: false, reason: 'malformed', detail: `topic: ${topicProblem}` }
  return { ok: true, envelope: { topic: wire.topic, id: wire.id, data: wire.data } }
}
