import { meshOf, neighbours, randomGraph } from './topology.js'
import type { Graph } from './topology.js'
import type { RandomSource } from '@meshbalancer/core'

/**
 * A model of how one gossipsub message travels: flood publishing over the connection graph, eager forwarding over
 * the mesh, and lazy repair (IHAVE/IWANT) at each gossipsub heartbeat. Time is counted in hops (one network delay,
 * validation included).
 */
export interface GossipModel {
  readonly connections: Graph
  readonly mesh: Graph
  /** Probability that any one transmission is lost. */
  readonly loss: number
  /** gossipsub's heartbeat (when repair happens), in hops. */
  readonly hopsPerHeartbeat: number
  /** Peers outside the mesh told about recent messages each heartbeat (gossipsub's Dlazy). */
  readonly lazyDegree: number
  /** Heartbeats a message stays in the gossip window (gossipsub's mcacheGossip, 3). */
  readonly historyHeartbeats: number
}

/** The cluster a {@link GossipModel} is built for. */
export interface ClusterShape {
  size: number
  /** Connections each node dials (targetPeers). */
  targetPeers: number
  /** gossipsub's mesh degree. */
  meshDegree: number
  loss: number
  hopsPerHeartbeat: number
  /** gossipsub's Dlazy. @default meshDegree */
  lazyDegree?: number
}

/**
 * A random cluster of `shape`: each node dials half its target of peers (so that it ends up with about
 * `targetPeers` connections), and keeps a mesh of `meshDegree` among them; gossip goes to `lazyDegree` peers outside it.
 */
export function gossipModel (shape: ClusterShape, random: RandomSource): GossipModel {
  const connections = randomGraph(shape.size, Math.ceil(shape.targetPeers / 2), random)
  return {
    connections,
    mesh: meshOf(connections, shape.meshDegree, random),
    loss: shape.loss,
    hopsPerHeartbeat: shape.hopsPerHeartbeat,
    lazyDegree: shape.lazyDegree ?? shape.meshDegree,
    historyHeartbeats: 3
  }
}

/** Copies of messages, counted across calls of {@link disseminate}. */
export interface CopyCounter {
  /** Copies sent, lost or not, duplicates included. */
  copies: number
  /** Copies delivered (not lost), duplicates included: what the receivers had to read and validate. */
  received?: number
  /** IHAVE announcements that reached a peer lacking the message (each followed by an IWANT). */
  repairs?: number
}

/**
 * Spreads one message published by `origin` at hop `start`, and returns the hop at which each node first holds it
 * (-1: not within `horizon` hops). The publisher sends to every connection (floodPublish); a node that receives it
 * for the first time forwards it to its mesh peers at once (but the one it came from); at every heartbeat, nodes
 * holding it in their gossip window tell `lazyDegree` connections outside their mesh, and those lacking it fetch it
 * (IHAVE, IWANT and the message: three transmissions, each of which may be lost).
 *
 * A copy sent to a node that already holds the message is counted but not scheduled (gossipsub sends it all the
 * same, which is why it is counted). Work is proportional to the copies sent, not to the horizon: empty hops are
 * skipped.
 */
export function disseminate (model: GossipModel, origin: number, start: number, horizon: number, random: RandomSource, counter?: CopyCounter): Int32Array {
  const { connections, mesh, loss, hopsPerHeartbeat } = model
  const arrival = new Int32Array(connections.size).fill(-1)
  arrival[origin] = start
  let copies = 0
  let received = 0
  let repairs = 0
  // Deliveries by hop, each a pair (receiver, sender); `pending` holds the hops that have some, in no order.
  const schedule = new Map<number, number[]>()
  const at = (hop: number): number[] => {
    let list = schedule.get(hop)
    if (list === undefined) schedule.set(hop, list = [])
    return list
  }
  const send = (to: number, from: number, hop: number): void => {
    copies++
    if (random() < loss) return
    received++
    if (arrival[to] === -1) at(hop).push(to, from)
  }
  for (const peer of neighbours(connections, origin)) send(peer, origin, start + 1)
  // Holders in order of arrival: those still in their gossip window are a suffix of it.
  const holders: number[] = [origin]
  let windowStart = 0
  const window = model.historyHeartbeats * hopsPerHeartbeat
  const end = start + horizon
  let held = 1
  let hop = start + 1
  while (hop <= end && held < arrival.length) {
    const deliveries = schedule.get(hop)
    if (deliveries !== undefined) {
      schedule.delete(hop)
      for (let i = 0; i < deliveries.length; i += 2) {
        const node = deliveries[i]!
        if (arrival[node] !== -1) continue
        arrival[node] = hop
        holders.push(node)
        held++
        const from = deliveries[i + 1]!
        for (const peer of neighbours(mesh, node)) if (peer !== from) send(peer, node, hop + 1)
      }
    }
    if (hop % hopsPerHeartbeat === 0) {
      while (windowStart < holders.length && hop - arrival[holders[windowStart]!]! >= window) windowStart++
      repairs += repair(model, arrival, holders, windowStart, hop, random, at)
    }
    // Next hop with work: a scheduled delivery, or the next heartbeat while some holder is in its window.
    let next = Number.POSITIVE_INFINITY
    for (const key of schedule.keys()) if (key < next) next = key
    const lastArrival = arrival[holders.at(-1)!]!
    if (lastArrival + window > hop) next = Math.min(next, (Math.floor(hop / hopsPerHeartbeat) + 1) * hopsPerHeartbeat)
    if (next === Number.POSITIVE_INFINITY) break
    hop = next
  }
  if (counter !== undefined) {
    // IWANT answers are copies of the message too.
    counter.copies += copies + repairs
    counter.received = (counter.received ?? 0) + received
    counter.repairs = (counter.repairs ?? 0) + repairs
  }
  return arrival
}

/** Lazy repair at a heartbeat; returns the IHAVE announcements that reached a peer lacking the message. */
function repair (model: GossipModel, arrival: Int32Array, holders: readonly number[], from: number, hop: number, random: RandomSource, at: (hop: number) => number[]): number {
  let repairs = 0
  for (let h = from; h < holders.length; h++) {
    const node = holders[h]!
    const peers = neighbours(model.connections, node)
    const meshPeers = neighbours(model.mesh, node)
    for (let told = 0; told < model.lazyDegree && peers.length > 0; told++) {
      const peer = peers[Math.floor(random() * peers.length)]!
      if (arrival[peer] !== -1 || meshPeers.includes(peer)) continue
      // IHAVE, IWANT, then the message: each may be lost.
      if (random() >= model.loss && random() >= model.loss) {
        repairs++
        if (random() >= model.loss) at(hop + 3).push(peer, node)
      }
    }
  }
  return repairs
}

/** The first round at which at least `fraction` of `arrival` is reached, or -1. */
export function roundsToReach (arrival: Int32Array, fraction: number): number {
  const times = [...arrival].filter(hop => hop >= 0).sort((a, b) => a - b)
  const needed = Math.ceil(fraction * arrival.length)
  return times.length < needed ? -1 : times[needed - 1]!
}

/**
 * The classic epidemic model (push gossip, as Serf's convergence simulator assumes): every round each node that
 * knows tells `fanout` nodes chosen uniformly among all; each message may be lost. Returns how many know after each
 * round, up to `maxRounds`.
 */
export function epidemic (size: number, fanout: number, loss: number, maxRounds: number, random: RandomSource): number[] {
  const knows = new Uint8Array(size)
  knows[0] = 1
  let count = 1
  const curve = [1]
  for (let round = 1; round <= maxRounds && count < size; round++) {
    const informed: number[] = []
    for (let node = 0; node < size; node++) if (knows[node] === 1) informed.push(node)
    for (const _node of informed) {
      for (let i = 0; i < fanout; i++) {
        const target = Math.floor(random() * size)
        if (knows[target] === 0 && random() >= loss) {
          knows[target] = 1
          count++
        }
      }
    }
    curve.push(count)
  }
  return curve
}
