import { Claim as WireClaim, ProbeRequest as WireProbeRequest, ProbeResponse as WireProbeResponse } from '../pb/membership.js'
import { MAX_CLAIM_BYTES, MAX_ORIGIN_LENGTH, MAX_PROBE_MESSAGE_BYTES, MAX_PROBE_TIMEOUT_MS, MEMBERSHIP_VERSION } from './limits.js'
import type { ClaimRejectReason, ProbeRejectReason } from '../errors.js'

/** A member's statement that it could not reach `subject` at the record version it holds (docs/PROTOCOL.md). */
export interface Claim {
  readonly claimant: string
  readonly subject: string
  readonly incarnation: number
  readonly sequence: number
}

/** An indirect probe: "probe `target` for me, and answer within `timeoutMs`". */
export interface IndirectProbeRequest {
  readonly target: string
  readonly timeoutMs: number
}

/** A direct probe: "answer me". It names no target; on the wire its `target` is empty and its `timeout_ms` 0. */
export interface DirectProbeRequest {
  readonly target?: undefined
}

/** A request on the probe protocol: a direct probe of the receiver, or an indirect probe of `target` through it. */
export type ProbeRequest = DirectProbeRequest | IndirectProbeRequest

/** A decoded message, or why it is refused; decoders never throw. */
export type Decoded<T, Reason> = { ok: true, value: T } | { ok: false, reason: Reason, detail: string }

const PEER_ID = /^[\x21-\x7e]+$/

function peerIdProblem (id: string): string | undefined {
  if (id.length === 0 || id.length > MAX_ORIGIN_LENGTH) return `expected 1 to ${MAX_ORIGIN_LENGTH} characters, got ${id.length}`
  if (!PEER_ID.test(id)) return 'expected printable ASCII without spaces'
  return undefined
}

function isVersionNumber (n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0
}

/** Encodes a claim; the caller builds it from its own table, so its fields are in bounds. */
export function encodeClaim (claim: Claim): Uint8Array {
  return WireClaim.encode({ version: MEMBERSHIP_VERSION, ...claim })
}

/** Decodes and checks a claim received from the network. */
export function decodeClaim (bytes: Uint8Array): Decoded<Claim, ClaimRejectReason> {
  if (bytes.byteLength > MAX_CLAIM_BYTES) return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${MAX_CLAIM_BYTES}` }
  let wire: WireClaim
  try {
    wire = WireClaim.decode(bytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: (err as Error | undefined)?.message ?? String(err) }
  }
  if (wire.version !== MEMBERSHIP_VERSION) {
    return { ok: false, reason: 'unsupported-version', detail: `version ${wire.version}, expected ${MEMBERSHIP_VERSION}` }
  }
  const problem = peerIdProblem(wire.claimant) ?? peerIdProblem(wire.subject)
  if (problem !== undefined) return { ok: false, reason: 'malformed', detail: `peer id: ${problem}` }
  if (!isVersionNumber(wire.incarnation) || wire.incarnation < 1 || !isVersionNumber(wire.sequence)) {
    return { ok: false, reason: 'malformed', detail: 'incarnation and sequence must be safe integers, incarnation at least 1' }
  }
  return { ok: true, value: { claimant: wire.claimant, subject: wire.subject, incarnation: wire.incarnation, sequence: wire.sequence } }
}

export function encodeProbeRequest (request: ProbeRequest): Uint8Array {
  if (request.target === undefined) return WireProbeRequest.encode({ version: MEMBERSHIP_VERSION, target: '', timeoutMs: 0 })
  return WireProbeRequest.encode({ version: MEMBERSHIP_VERSION, target: request.target, timeoutMs: request.timeoutMs })
}

/**
 * Decodes and checks a probe request. An empty target makes it a direct probe, whose timeout is ignored; an
 * indirect probe's timeout beyond {@link MAX_PROBE_TIMEOUT_MS} is clamped to it, and 0 refused.
 */
export function decodeProbeRequest (bytes: Uint8Array): Decoded<ProbeRequest, ProbeRejectReason> {
  if (bytes.byteLength > MAX_PROBE_MESSAGE_BYTES) return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes, limit ${MAX_PROBE_MESSAGE_BYTES}` }
  let wire: WireProbeRequest
  try {
    wire = WireProbeRequest.decode(bytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: (err as Error | undefined)?.message ?? String(err) }
  }
  if (wire.version !== MEMBERSHIP_VERSION) {
    return { ok: false, reason: 'unsupported-version', detail: `version ${wire.version}, expected ${MEMBERSHIP_VERSION}` }
  }
  if (wire.target === '') return { ok: true, value: {} }
  const problem = peerIdProblem(wire.target)
  if (problem !== undefined) return { ok: false, reason: 'malformed', detail: `target: ${problem}` }
  if (wire.timeoutMs === 0) return { ok: false, reason: 'malformed', detail: 'timeout of 0 ms' }
  return { ok: true, value: { target: wire.target, timeoutMs: Math.min(wire.timeoutMs, MAX_PROBE_TIMEOUT_MS) } }
}

export function encodeProbeResponse (ack: boolean): Uint8Array {
  return WireProbeResponse.encode({ version: MEMBERSHIP_VERSION, ack })
}

/** Decodes a helper's answer: true for an ack, false for a nack, undefined for anything unreadable. */
export function decodeProbeResponse (bytes: Uint8Array): boolean | undefined {
  if (bytes.byteLength > MAX_PROBE_MESSAGE_BYTES) return undefined
  try {
    const wire = WireProbeResponse.decode(bytes)
    return wire.version === MEMBERSHIP_VERSION ? wire.ack : undefined
  } catch {
    return undefined
  }
}
