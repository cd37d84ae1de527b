/**
 * Every failure meshbalancer reports is a {@link MeshbalancerError} with a stable `code`, so that callers can
 * branch on `err.code` (or `instanceof`) without parsing messages. One class per failure.
 *
 * @packageDocumentation
 */

/** The stable codes of {@link MeshbalancerError}. */
export type ErrorCode =
  | 'SERVICE_UNAVAILABLE'
  | 'REQUEST_TIMEOUT'
  | 'BAD_REQUEST'
  | 'REMOTE_ERROR'
  | 'INVALID_OPTION'
  | 'INVALID_RECORD'
  | 'INVALID_FRAME'
  | 'REQUEST_ABORTED'
  | 'INVALID_VALUE'
  | 'INVALID_SHED_COUNT'
  | 'CONDITION_TIMEOUT'
  | 'TRANSPORT_START_FAILED'
  | 'TEST_ENVIRONMENT'
  | 'NOT_READY'
  | 'INVALID_TOPIC'
  | 'MESSAGE_TOO_LARGE'
  | 'BROADCAST_RATE_LIMITED'
  | 'CLUSTER_ROLE'
  | 'WORKER_START_TIMEOUT'

/** Base class of every error meshbalancer throws or rejects with. */
export abstract class MeshbalancerError extends Error {
  abstract readonly code: ErrorCode
}

/**
 * No member can serve the request: the group is empty, or the chosen peer cannot be reached or went away while
 * the request was in flight. Retrying later, or on another member, may succeed.
 */
export class ServiceUnavailableError extends MeshbalancerError {
  readonly code = 'SERVICE_UNAVAILABLE'
  override readonly name = 'ServiceUnavailableError'
}

/** The request did not settle within its timeout. The remote handler may still have run. */
export class RequestTimeoutError extends MeshbalancerError {
  readonly code = 'REQUEST_TIMEOUT'
  override readonly name = 'RequestTimeoutError'

  constructor (message: string, readonly timeoutMs: number) {
    super(message)
  }
}

/**
 * The request cannot be served as sent: unknown method, undecodable or invalid arguments. A handler may throw this
 * itself to reject its arguments; the caller then receives a `BadRequestError` rather than a {@link RemoteError}.
 */
export class BadRequestError extends MeshbalancerError {
  readonly code = 'BAD_REQUEST'
  override readonly name = 'BadRequestError'
}

/** The remote handler threw. `remoteName` and the message are the remote error's own. */
export class RemoteError extends MeshbalancerError {
  readonly code = 'REMOTE_ERROR'
  override readonly name = 'RemoteError'

  constructor (message: string, readonly remoteName: string, readonly peer: string) {
    super(message)
  }
}

/** An option given to a factory or method is unknown or out of range. `option` names it. */
export class InvalidOptionError extends MeshbalancerError {
  readonly code = 'INVALID_OPTION'
  override readonly name = 'InvalidOptionError'

  constructor (readonly option: string, reason: string) {
    super(`invalid option "${option}": ${reason}`)
  }
}

/** Why a member record was refused; each reason is counted separately. */
export type RecordRejectReason =
  | 'malformed'
  | 'too-large'
  | 'unsupported-version'
  | 'out-of-range'
  | 'origin-mismatch'
  /** The origin is not on the cluster's allow-list. */
  | 'not-allowed'
  /** The origin publishes faster than any honest member would. */
  | 'rate-limited'
  /** A relayed record whose signature is not its origin's (or whose origin's key type is not supported). */
  | 'bad-signature'

/**
 * Why a push-pull exchange, or a record relayed in one, was refused; each reason is counted separately. The
 * record reasons ({@link RecordRejectReason}) apply to each relayed record; these to the exchange as a whole.
 */
export type SyncRejectReason =
  | RecordRejectReason
  /** More records than an exchange may carry. */
  | 'too-many-records'
  /** The peer asked for exchanges faster than the protocol allows. */
  | 'busy'
  /** A relayed record would bring back a member declared dead, and the member did not answer a direct ping. */
  | 'unconfirmed'

/** A gossiped member record failed to decode or validate. */
export class InvalidRecordError extends MeshbalancerError {
  readonly code = 'INVALID_RECORD'
  override readonly name = 'InvalidRecordError'

  constructor (readonly reason: RecordRejectReason, detail: string) {
    super(`invalid member record (${reason}): ${detail}`)
  }
}

/** An RPC frame failed to decode or validate. */
export class InvalidFrameError extends MeshbalancerError {
  readonly code = 'INVALID_FRAME'
  override readonly name = 'InvalidFrameError'
}

/**
 * What a request handler's signal carries when the caller gave up before the response was sent: it aborted, its
 * own timeout passed, or its connection closed. Nobody is left to read the handler's answer.
 */
export class RequestAbortedError extends MeshbalancerError {
  readonly code = 'REQUEST_ABORTED'
  override readonly name = 'RequestAbortedError'
}

/** A value cannot be encoded by the cluster's value codec, or bytes cannot be decoded by it. */
export class InvalidValueError extends MeshbalancerError {
  readonly code = 'INVALID_VALUE'
  override readonly name = 'InvalidValueError'
}

/**
 * A shed implementation's `count()` or `killProcesses()` resolved with something other than a non-negative safe
 * integer; the round is skipped rather than decided on a count that means nothing.
 */
export class InvalidShedCountError extends MeshbalancerError {
  readonly code = 'INVALID_SHED_COUNT'
  override readonly name = 'InvalidShedCountError'
}

/** A transport could not start (its listen address is taken, say); `cause` is the transport's own error. */
export class TransportStartError extends MeshbalancerError {
  readonly code = 'TRANSPORT_START_FAILED'
  override readonly name = 'TransportStartError'
}

/** A broadcast topic name breaks the naming rules (1 to 64 letters, digits, `.`, `_` or `-`). `topic` names it. */
export class InvalidTopicError extends MeshbalancerError {
  readonly code = 'INVALID_TOPIC'
  override readonly name = 'InvalidTopicError'

  constructor (readonly topic: string, reason: string) {
    super(`invalid broadcast topic ${JSON.stringify(topic)}: ${reason}`)
  }
}

/** A broadcast payload exceeds the size every member accepts; nothing was sent. */
export class MessageTooLargeError extends MeshbalancerError {
  readonly code = 'MESSAGE_TOO_LARGE'
  override readonly name = 'MessageTooLargeError'

  constructor (readonly topic: string, readonly bytes: number, readonly maxBytes: number) {
    super(`broadcast on topic "${topic}" is ${bytes} bytes, limit ${maxBytes}`)
  }
}

/**
 * This node published faster than `maxBroadcastsPerSecond`, above which every member would drop its messages as a
 * flood; this one was not sent. Retrying after a pause succeeds.
 */
export class BroadcastRateLimitedError extends MeshbalancerError {
  readonly code = 'BROADCAST_RATE_LIMITED'
  override readonly name = 'BroadcastRateLimitedError'

  constructor (readonly topic: string, readonly maxPerSecond: number) {
    super(`broadcast on topic "${topic}" not sent: more than ${maxPerSecond} a second from this node`)
  }
}

/** Why a received broadcast was refused; each reason is counted separately. */
export type BroadcastRejectReason =
  /** Not a broadcast envelope, or one with a bad field (an id that is not 16 bytes, say). */
  | 'malformed'
  | 'too-large'
  | 'unsupported-version'
  /** The envelope names another topic than the one it was published on. */
  | 'topic-mismatch'
  /** The origin is not in this node's member table (yet). */
  | 'not-member'
  /** The origin is not on the cluster's allow-list. */
  | 'not-allowed'
  /** The origin publishes faster than `maxBroadcastsPerSecond`. */
  | 'rate-limited'
  /** A message this node already delivered (same origin and id). */
  | 'duplicate'

/** True when `err` is a meshbalancer error with the given code. */
export function isErrorCode (err: unknown, code: ErrorCode): boolean {
  return err instanceof MeshbalancerError && err.code === code
}

/**
 * `balancer.ready()` gave up: its group did not have the members it waited for within the timeout, or the wait was
 * aborted, or the balancer closed. `available` is how many were selectable then.
 */
export class NotReadyError extends MeshbalancerError {
  readonly code = 'NOT_READY'
  override readonly name = 'NotReadyError'

  constructor (message: string, readonly min: number, readonly available: number, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Why a received claim was refused; each reason is counted separately. */
export type ClaimRejectReason =
  /** Not a claim, or one with a bad field. */
  | 'malformed'
  | 'too-large'
  | 'unsupported-version'
  /** The claimant named in the claim is not the signer of the gossip message. */
  | 'claimant-mismatch'
  /** The claimant is not in this node's member table. */
  | 'unknown-claimant'
  /** The subject is not in this node's member table, or is the claimant itself. */
  | 'unknown-subject'
  /** The claim is about an older version of the subject's record than this node holds: already refuted. */
  | 'stale'
  /**
   * The claim is about a newer version of the subject's record than this node holds (it has not received it yet,
   * or the version was never published): only a claim about the version this node holds can be refuted for it.
   */
  | 'ahead'
  /** The claimant publishes claims faster than `maxClaimsPerSecond`. */
  | 'rate-limited'
  /** The claimant made false claims recently (its strikes have not decayed yet). */
  | 'false-claims'
  /** The origin is not on the cluster's allow-list. */
  | 'not-allowed'

/** Why an indirect probe request was refused (answered with no response); each reason is counted separately. */
export type ProbeRejectReason =
  | 'malformed'
  | 'too-large'
  | 'unsupported-version'
  /** The requester is not in this node's member table. */
  | 'unknown-requester'
  /** The target is not in this node's member table, or is this node or the requester. */
  | 'unknown-target'
  /** The requester asks for indirect probes faster than a member probing once an interval would. */
  | 'rate-limited'
