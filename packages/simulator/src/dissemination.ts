import { meshOf, neighbours, randomGraph } from './topology.js'
import type { Graph } from './topology.js'
import type { RandomSource } from '@meshbalancer/core'

/**
 * A model of how a record travels: gossipsub with flood publishing over the connection graph, eager forwarding over
 * the mesh, and lazy repair (IHAVE/IWANT) at each heartbeat. Time is counted in hops (one network delay).
 */
export interface GossipModel {
  readonly connections: Graph
  readonly mesh: Graph
  /** Probability that any one transmission is lost. */
  readonly loss: number
  /** gossipsub's heartbeat (when repair happens), and the cluster's, in hops. */
  readonly hopsPerHeartbeat: number
  /** Peers outside the mesh told about recent messages each heartbeat (gossipsub's Dlazy). */
  readonly lazyDegree: number
  /** Heartbeats a message stays in the gossip window (gossipsub's mcache_gossip, 3). */
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
}

/**
 * A random cluster of `shape`: each node dials half its target of peers (so that it ends up with about
 * `targetPeers` connections), and keeps a mesh of `meshDegree` among them; gossip goes to as many peers outside it.
 */
export function gossipModel (shape: ClusterShape, random: RandomSource): GossipModel {
  const connections = randomGraph(shape.size, Math.ceil(shape.targetPeers / 2), random)
  return {
    connections,
    mesh: meshOf(connections, shape.meshDegree, random),
    loss: shape.loss,
    hopsPerHeartbeat: shape.hopsPerHeartbeat,
    lazyDegree: shape.meshDegree,
    historyHeartbeats: 3
  }
}

/** Copies of messages sent, counted across calls of {@link disseminate}. */
export interface CopyCounter {
  copies: number
}

/**
 * Spreads one message published by `origin` at hop `start`, and returns the hop at which each node first holds it
 * (-1: not within `horizon` hops). The publisher sends to every connection (floodPublish); a node that receives it
 * for the first time forwards it to its mesh peers at once (but the one it came from); at every heartbeat, nodes
 * holding it in their gossip window tell `lazyDegree` connections outside their mesh, and those lacking it fetch it
 * (IHAVE, IWANT and the message: three transmissions, each of which may be lost).
 *
 * `counter.copies` grows by every copy of the message sent, lost or not, duplicates included (a mesh peer that
 * already holds it is sent it again, as gossipsub does); IHAVE and IWANT, batched per heartbeat, are not counted.
 */
export function disseminate (model: GossipModel, origin: number, start: number, horizon: number, random: RandomSource, counter?: CopyCounter): Int32Array {
  const { connections, mesh, loss, hopsPerHeartbeat } = model
  const arrival = new Int32Array(connections.size).fill(-1)
  arrival[origin] = start
  let copies = 0
  const schedule = new Map<number, number[]>()
  const at = (hop: number): number[] => {
    let list = schedule.get(hop)
    if (list === undefined) schedule.set(hop, list = [])
    return list
  }
  // Each scheduled delivery is a pair: the receiver, then the sender.
  const send = (to: number, from: number, hop: number): void => {
    copies++
    if (arrival[to] === -1 && random() >= loss) at(hop).push(to, from)
  }
  for (const peer of neighbours(connections, origin)) send(peer, origin, start + 1)
  const holders: number[] = [origin]
  const window = model.historyHeartbeats * hopsPerHeartbeat
  for (let hop = start + 1; hop <= start + horizon; hop++) {
    const deliveries = schedule.get(hop) ?? []
    for (let i = 0; i < deliveries.length; i += 2) {
      const node = deliveries[i]!
      if (arrival[node] !== -1) continue
      arrival[node] = hop
      holders.push(node)
      const from = deliveries[i + 1]!
      for (const peer of neighbours(mesh, node)) if (peer !== from) send(peer, node, hop + 1)
    }
    schedule.delete(hop)
    if (hop % hopsPerHeartbeat === 0) copies += repair(model, arrival, holders, hop, window, random, at)
    if (schedule.size === 0 && holders.every(node => hop - arrival[node]! >= window)) break
  }
  if (counter !== undefined) counter.copies += copies
  return arrival
}

/** Lazy repair at a heartbeat; returns the copies of the message it sent. */
function repair (model: GossipModel, arrival: Int32Array, holders: readonly number[], hop: number, window: number, random: RandomSource, at: (hop: number) => number[]): number {
  let copies = 0
  for (const node of holders) {
    if (hop - arrival[node]! >= window) continue
    const peers = neighbours(model.connections, node)
    const meshPeers = neighbours(model.mesh, node)
    for (let told = 0; told < model.lazyDegree && peers.length > 0; told++) {
      const peer = peers[Math.floor(random() * peers.length)]!
      if (meshPeers.includes(peer) || arrival[peer] !== -1) continue
      // IHAVE, IWANT, then the message: each may be lost.
      if (random() >= model.loss && random() >= model.loss) {
        copies++
        if (random() >= model.loss) at(hop + 3).push(peer, node)
      }
    }
  }
  return copies
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
