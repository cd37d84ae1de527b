import { loadBudgetPerNode, pushPullIntervalFor, refreshIntervalFor } from './protocol.js'
import { simulateSuspicions } from './suspicions.js'
import { WIRE_BYTES } from './wire.js'
import { World } from './world.js'
import type { WorldInit } from './world.js'

export interface CostInit extends WorldInit {
  /** Simulated probe periods of the failure detector. @default 30 */
  periods?: number
  /**
   * Load-only records each node publishes per second, as the significance rule and the budget make them (see
   * `simulateBalance`); 0 when idle.
   * @default 0
   */
  loadRecordsPerNode?: number
}

/** Messages and bytes each node receives per second, by kind and in all. */
export interface CostResult {
  messages: number
  bytes: number
  byKind: Record<string, { messages: number, bytes: number }>
  /** Copies of one gossip message each node receives, duplicates included (flood, mesh, repair). */
  copiesPerNode: number
}

/**
 * What each node receives per second. The failure detector is simulated message by message (probes, indirect
 * probes, claims and refutations, with the loss given); records are counted from their rates (refresh, load
 * records within the budget, push-pull) times the copies a gossip message costs each node on the same graph
 * (measured by spreading a few), plus gossipsub's IHAVE gossip, which every node sends `Dlazy` peers each
 * heartbeat while recent messages sit in its window.
 */
export function simulateCost (init: CostInit): CostResult {
  const detector = simulateSuspicions({ ...init, periods: init.periods ?? 30 })
  const byKind: CostResult['byKind'] = {}
  for (const [kind, { messages, bytes }] of Object.entries(detector.traffic)) {
    byKind[kind === 'record' ? 'refutation' : kind] = { messages: messages / detector.nodeSeconds, bytes: bytes / detector.nodeSeconds }
  }
  const world = new World({ ...init, seed: init.seed + 1 })
  const { size, params } = world
  const samples = 5
  for (let i = 0; i < samples; i++) world.publish(world.other(), 0, 'sample', 0)
  const copiesPerNode = world.traffic.sample!.messages / samples / size
  const gossip = (kind: string, publishedPerSecond: number): void => {
    if (publishedPerSecond > 0) byKind[kind] = { messages: publishedPerSecond * copiesPerNode, bytes: publishedPerSecond * copiesPerNode * WIRE_BYTES.record }
  }
  gossip('refresh', size / (refreshIntervalFor(params, size) / 1000))
  const loadPerNode = Math.min(init.loadRecordsPerNode ?? 0, loadBudgetPerNode(params, size))
  gossip('load', size * loadPerNode)
  // Push-pull: each node starts one exchange per interval and answers about one: two messages of n records.
  const exchangesPerSecond = 2 / (pushPullIntervalFor(params, size) / 1000)
  byKind.sync = { messages: exchangesPerSecond, bytes: exchangesPerSecond * WIRE_BYTES.sync(size) }
  // IHAVE: gossip messages published in the cluster per second, in a window of mcacheGossip heartbeats.
  const gossipPerSecond = Object.entries(byKind).filter(([kind]) => ['refresh', 'load', 'claim', 'refutation'].includes(kind))
    .reduce((sum, [, { messages }]) => sum + messages / copiesPerNode, 0)
  const heartbeat = params.gossipHeartbeatMs / 1000
  const idsInWindow = Math.min(5000, gossipPerSecond * 3 * heartbeat)
  const heartbeatsWithGossip = 1 - Math.exp(-gossipPerSecond * 3 * heartbeat)
  const ihaves = params.meshDegree * heartbeatsWithGossip / heartbeat
  if (ihaves > 0) byKind.ihave = { messages: ihaves, bytes: ihaves * WIRE_BYTES.ihave(Math.max(1, idsInWindow)) }
  let messages = 0
  let bytes = 0
  for (const entry of Object.values(byKind)) {
    messages += entry.messages
    bytes += entry.bytes
  }
  return { messages, bytes, byKind, copiesPerNode }
}
