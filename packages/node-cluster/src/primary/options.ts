import { leastLatency } from '@meshbalancer/algorithms'
import { InvalidOptionError } from '@meshbalancer/core'
import { assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
import * as defaults from '../constants.js'
import type { SelectionAlgorithm } from '@meshbalancer/core'

/** Options of {@link createBalancer}. Every field is optional. */
export interface BalancerOptions {
  /**
   * Picks the worker of each new connection among the ready ones; any meshbalancer algorithm. Each worker is a
   * `Member` whose `load` is its open connections, `latencyMs` its IPC round trip and `eventLoopLagMs` the lag it
   * reports.
   * @default leastLatency()
   */
  algorithm?: SelectionAlgorithm
  /**
   * How often the primary pings each worker, in milliseconds. Shorter finds a worker that turned slow sooner, for
   * one small IPC message per worker per interval.
   * @default 250
   */
  pingIntervalMs?: number
  /**
   * How fast a worker's latency falls back after a slow answer: the time constant of the decay, in milliseconds.
   * Longer keeps a worker that is slow now and then out of rotation for longer.
   * @default 5000
   */
  latencyDecayMs?: number
  /**
   * How long `reload()` waits for each new worker to say it is ready, in milliseconds.
   * @default 30000
   */
  readyTimeoutMs?: number
  /**
   * How long a worker that `reload()` disconnects may take to finish its connections and exit, in milliseconds,
   * before it is killed with SIGKILL.
   * @default 30000
   */
  disconnectTimeoutMs?: number
  /**
   * How long `shed()` waits for the workers to report what they closed, in milliseconds.
   * @default 5000
   */
  shedTimeoutMs?: number
}

/** {@link BalancerOptions} with every default applied. */
export type ResolvedBalancerOptions = Required<BalancerOptions>

const KNOWN = ['algorithm', 'pingIntervalMs', 'latencyDecayMs', 'readyTimeoutMs', 'disconnectTimeoutMs', 'shedTimeoutMs']
const HOUR_MS = 3_600_000

/**
 * Applies the defaults and checks every option.
 *
 * @throws InvalidOptionError naming the option that is unknown or out of range
 */
export function resolveBalancerOptions (options: BalancerOptions = {}): ResolvedBalancerOptions {
  assertKnownOptions('createBalancer', options, KNOWN)
  const algorithm = options.algorithm ?? leastLatency()
  if (typeof algorithm?.chooseFromNodes !== 'function') {
    throw new InvalidOptionError('createBalancer.algorithm', 'expected a SelectionAlgorithm (an object with chooseFromNodes)')
  }
  return {
    algorithm,
    pingIntervalMs: assertInteger('createBalancer.pingIntervalMs', options.pingIntervalMs ?? defaults.DEFAULT_PING_INTERVAL_MS, 10, HOUR_MS),
    latencyDecayMs: assertInteger('createBalancer.latencyDecayMs', options.latencyDecayMs ?? defaults.DEFAULT_LATENCY_DECAY_MS, 1, HOUR_MS),
    readyTimeoutMs: assertInteger('createBalancer.readyTimeoutMs', options.readyTimeoutMs ?? defaults.DEFAULT_READY_TIMEOUT_MS, 1, HOUR_MS),
    disconnectTimeoutMs: assertInteger('createBalancer.disconnectTimeoutMs', options.disconnectTimeoutMs ?? defaults.DEFAULT_DISCONNECT_TIMEOUT_MS, 0, HOUR_MS),
    shedTimeoutMs: assertInteger('createBalancer.shedTimeoutMs', options.shedTimeoutMs ?? defaults.DEFAULT_SHED_TIMEOUT_MS, 1, HOUR_MS)
  }
}
