import { ConditionTimeoutError } from '../../manual-clock.js'
import type { Transport } from '../../transport/transport.js'

/** Transports the suite runs one test on, made by a {@link TransportComplianceFactory}. */
export interface TransportPeers {
  /** Started transports, each with a working connection to every other one (a full mesh). */
  readonly transports: readonly Transport[]
  /**
   * Closes every connection between `a` and `b`, as a lost link or a reset would, leaving both running. Both ends'
   * peer listeners are expected to hear `disconnected`.
   */
  disconnect(a: Transport, b: Transport): Promise<void>
  /** Stops every transport that is still running and frees what the factory allocated. Runs after every test. */
  close(): Promise<void>
}

/** Makes the transports of one test. */
export interface TransportComplianceFactory {
  /** Creates `count` (2 to 4) started transports, connected to each other. */
  createPeers(count: number): Promise<TransportPeers>
}

/** Optional parts of the contract a transport may leave out; their tests are skipped. */
export type OptionalTransportFeature = 'watchPeers' | 'connectedPeers' | 'forgetPeer' | 'ping' | 'penalize' | 'topicPeers' | 'prepare'

export interface TransportComplianceOptions {
  /**
   * How long a test waits for something to happen (a delivery, a disconnection) before it fails, in milliseconds.
   * @default 10000
   */
  waitMs?: number
  /** Optional methods the transport does not implement. @default [] */
  without?: readonly OptionalTransportFeature[]
}

/** Polls `condition` until it holds; throws naming `what` once `timeoutMs` has passed. */
export async function until (condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new ConditionTimeoutError(`${what}: not within ${timeoutMs} ms`, timeoutMs)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Bytes of a short text, for messages and requests the tests can tell apart. */
export function bytes (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

/** The text of bytes made by {@link bytes}. */
export function text (data: Uint8Array | undefined): string | undefined {
  return data === undefined ? undefined : new TextDecoder().decode(data)
}
