/**
 * The membership protocol the simulator models, with the cluster's defaults (docs/PROTOCOL.md): SWIM probes with
 * Lifeguard's refinements, records published on change within a cluster-wide budget, a slow refresh and a
 * push-pull exchange, all over gossipsub.
 */
import { scaledInterval, SYNC_SCALE_PEERS } from '@meshbalancer/core/protocol'

export interface ProtocolParams {
  /** One member probed per period. @default 1000 */
  probeIntervalMs: number
  /** A direct probe not answered within this is a failure (times the local-health multiplier). @default 500 */
  probeTimeoutMs: number
  /** Members asked to probe on this node's behalf after a failed direct probe. @default 3 */
  indirectProbes: number
  /** Lifeguard's minimum suspicion timeout: this × max(1, log10 n) × probeIntervalMs. @default 2 */
  suspicionMultiplier: number
  /** Maximum suspicion timeout (a single claimant): this × the minimum. @default 3 */
  suspicionMaxMultiplier: number
  /** Independent confirmations that bring the timeout down to its minimum (Lifeguard's K). @default 3 */
  confirmations: number
  /** The local-health multiplier's ceiling (0..this). @default 8 */
  maxLocalHealth: number
  /**
   * A helper answers "nack" after this share of its probe timeout when the target did not answer it (Lifeguard:
   * early enough for the nack to reach the prober within its period). @default 0.8
   */
  nackAtTimeoutShare: number
  /** Load-only records the whole cluster may publish per second: each node gets this / (n − 1). @default 50 */
  loadRecordsPerSecond: number
  /** A load change is significant when |new − published| >= max(loadChangeMin, loadChangeRatio × published). */
  loadChangeMin: number
  loadChangeRatio: number
  /** Each node republishes its record this often (jittered). @default 30 000 */
  refreshIntervalMs: number
  /**
   * Beyond this many other members the refresh interval grows in proportion to them, as the reference nodes'
   * does (docs/PROTOCOL.md, 2.5): refreshIntervalMs × max(1, (n − 1) / this), so that each node receives at most
   * this many refreshes per refreshIntervalMs whatever n. `Infinity`: a fixed interval, every node receiving
   * (n − 1) / refresh records a second.
   * @default 4
   */
  refreshScaleMembers: number
  /**
   * When set, replaces that rule by a cluster-wide budget: the cluster publishes at most this many refreshes per
   * second, max(refreshIntervalMs, (n − 1) / this seconds).
   * @default undefined
   */
  refreshRecordsPerSecond: number | undefined
  /** Each node exchanges its state with one random member this often, × max(1, (n − 1) / 4) (see pushPullIntervalFor). @default 30 000 */
  pushPullIntervalMs: number
  /** Connections each node dials. @default 16 */
  targetPeers: number
  /** gossipsub's D. @default 4 */
  meshDegree: number
  /** gossipsub's heartbeat, when IHAVE gossip repairs lost copies. @default 1000 */
  gossipHeartbeatMs: number
  /** One network delay with its validation (a gossipsub hop, half a round trip). @default 1 */
  hopMs: number
}

/** The defaults of {@link ProtocolParams}. */
export const PROTOCOL: Readonly<ProtocolParams> = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectProbes: 3,
  suspicionMultiplier: 2,
  suspicionMaxMultiplier: 3,
  confirmations: 3,
  maxLocalHealth: 8,
  nackAtTimeoutShare: 0.8,
  loadRecordsPerSecond: 50,
  loadChangeMin: 1,
  loadChangeRatio: 0.1,
  refreshIntervalMs: 30_000,
  refreshScaleMembers: 4,
  refreshRecordsPerSecond: undefined,
  pushPullIntervalMs: 30_000,
  targetPeers: 16,
  meshDegree: 4,
  gossipHeartbeatMs: 1000,
  hopMs: 1
}

/** Lifeguard's suspicion timeouts (ms) in a cluster of `size`: the minimum and the single-claimant maximum. */
export function suspicionBounds (params: ProtocolParams, size: number): { min: number, max: number } {
  const min = params.suspicionMultiplier * Math.max(1, Math.log10(size)) * params.probeIntervalMs
  return { min, max: params.suspicionMaxMultiplier * min }
}

/**
 * The suspicion timeout after `confirmations` independent claimants beyond the first:
 * max(min, max − (max − min) × log(C + 1) / log(K + 1)).
 */
export function suspicionTimeout (params: ProtocolParams, size: number, confirmations: number): number {
  const { min, max } = suspicionBounds(params, size)
  const shrink = Math.log(confirmations + 1) / Math.log(params.confirmations + 1)
  return Math.max(min, max - (max - min) * shrink)
}

/** The load-record budget of one node: records per second. */
export function loadBudgetPerNode (params: ProtocolParams, size: number): number {
  return params.loadRecordsPerSecond / Math.max(1, size - 1)
}

/** The refresh interval a node uses in a cluster of `size` (ms). */
export function refreshIntervalFor (params: ProtocolParams, size: number): number {
  if (params.refreshRecordsPerSecond === undefined) return scaledInterval(params.refreshIntervalMs, size, params.refreshScaleMembers)
  return Math.max(params.refreshIntervalMs, (size - 1) / params.refreshRecordsPerSecond * 1000)
}

/**
 * The periodic push-pull interval in a cluster of `size` (ms): × max(1, (n − 1) / 4), as the reference nodes scale
 * it (SYNC_SCALE_PEERS), so that the bytes of whole-state exchanges per node stay constant.
 */
export function pushPullIntervalFor (params: ProtocolParams, size: number): number {
  return scaledInterval(params.pushPullIntervalMs, size, SYNC_SCALE_PEERS)
}
