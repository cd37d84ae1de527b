import { BadRequestError, InvalidOptionError } from '../errors.js'
import { assertInteger } from '../options.js'
import { DEFAULT_CALL_TIMEOUT_MS } from '../rpc/client.js'
import { MAX_METHOD_LENGTH } from '../rpc/frames.js'
import { outcomeOf } from './observer.js'
import type { CallRecord } from './observer.js'
import type { RpcClient } from '../rpc/client.js'

/** What every call and cast accepts, through a balancer or to a named member. */
export interface CallSettings {
  /** Milliseconds to wait for the result. @default 10000 */
  readonly timeoutMs?: number
  /** Aborting rejects the call with the signal's reason. */
  readonly signal?: AbortSignal
}

/** Validated {@link CallSettings}. */
export interface Prepared {
  readonly timeoutMs: number
  readonly signal: AbortSignal | undefined
}

export interface CallPathInit {
  rpc: RpcClient
  now(): number
  /** Every call or cast that was sent, once it settled. */
  called(record: CallRecord): void
}

/**
 * The one way a call or cast leaves this node, whoever chose the member (a balancer's algorithm, or the caller by
 * id or name): validates the settings, sends, and reports the outcome as `rpc:call`.
 */
export class CallPath {
  constructor (private readonly init: CallPathInit) {}

  /**
   * Checks the settings before anything is picked or sent, so that a bad option costs no pick.
   *
   * @throws InvalidOptionError naming `timeoutMs` or `signal`
   */
  prepare (settings: CallSettings): Prepared {
    const timeoutMs = assertInteger('timeoutMs', settings.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, 1, 0x7fff_ffff)
    const { signal } = settings
    // Duck-typed: a signal made in another realm (a test environment, a worker's polyfill) is still a signal.
    if (signal !== undefined && (typeof signal?.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
      throw new InvalidOptionError('signal', 'expected an AbortSignal')
    }
    return { timeoutMs, signal }
  }

  /**
   * Sends `method` to `peer`. `group` is the balancer group the member was chosen through; the empty name for a
   * call to a member chosen by the caller.
   */
  async send (peer: string, group: string, method: string, args: unknown, prepared: Prepared, cast: boolean): Promise<unknown> {
    const started = this.init.now()
    let failure: unknown
    try {
      // A method no callee can serve is refused here, with the same code a callee would answer.
      if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) {
        throw new BadRequestError(`method name must be a string of 1 to ${MAX_METHOD_LENGTH} characters`)
      }
      return await this.init.rpc.send(peer, method, args, { group, timeoutMs: prepared.timeoutMs, cast, signal: prepared.signal })
    } catch (err) {
      failure = err
      throw err
    } finally {
      this.init.called({ balancer: group, method, peer, cast, outcome: outcomeOf(failure), durationMs: this.init.now() - started })
    }
  }
}
