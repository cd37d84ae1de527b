import type { RandomSource } from '@meshbalancer/core'

/** An undirected graph in compressed sparse rows: the neighbours of node i are `targets[offsets[i] .. offsets[i+1])`. */
export interface Graph {
  readonly size: number
  readonly offsets: Int32Array
  readonly targets: Int32Array
}

/** Neighbours of `node` in `graph`. */
export function neighbours (graph: Graph, node: number): Int32Array {
  return graph.targets.subarray(graph.offsets[node]!, graph.offsets[node + 1]!)
}

/**
 * A random graph in which each node adds edges to `perNode` distinct random others, so degrees average about
 * 2·perNode: the connections a node's dialer makes to members learned from gossip (`targetPeers` of them), and the
 * ones others make to it.
 */
export function randomGraph (size: number, perNode: number, random: RandomSource): Graph {
  const edges = new Set<number>()
  const wanted = Math.min(perNode, size - 1)
  for (let a = 0; a < size; a++) {
    let added = 0
    while (added < wanted) {
      const b = Math.floor(random() * size)
      if (b === a) continue
      const key = a < b ? a * size + b : b * size + a
      if (edges.has(key)) continue
      edges.add(key)
      added++
    }
  }
  return fromEdges(size, edges)
}

/**
 * gossipsub's mesh over a connection graph: each node grafts up to `degree` of its connections, chosen at random,
 * and a graft is mutual, as in gossipsub, so degrees end near `degree` (gossipsub keeps them between Dlo and Dhi).
 */
export function meshOf (connections: Graph, degree: number, random: RandomSource): Graph {
  const edges = new Set<number>()
  const size = connections.size
  const chosen = new Int32Array(size)
  for (let a = 0; a < size; a++) {
    const peers = [...neighbours(connections, a)]
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[peers[i], peers[j]] = [peers[j]!, peers[i]!]
    }
    for (const b of peers) {
      if (chosen[a]! >= degree) break
      if (chosen[b]! >= degree + 2) continue
      const key = a < b ? a * size + b : b * size + a
      if (edges.has(key)) continue
      edges.add(key)
      chosen[a]!++
      chosen[b]!++
    }
  }
  return fromEdges(size, edges)
}

function fromEdges (size: number, edges: Set<number>): Graph {
  const degree = new Int32Array(size)
  for (const key of edges) {
    degree[Math.floor(key / size)]!++
    degree[key % size]!++
  }
  const offsets = new Int32Array(size + 1)
  for (let i = 0; i < size; i++) offsets[i + 1] = offsets[i]! + degree[i]!
  const targets = new Int32Array(offsets[size]!)
  const fill = offsets.slice(0, size)
  // Sorted keys make the layout independent of the Set's insertion order, hence of nothing but the seed.
  for (const key of [...edges].sort((x, y) => x - y)) {
    const a = Math.floor(key / size)
    const b = key % size
    targets[fill[a]!++] = b
    targets[fill[b]!++] = a
  }
  return { size, offsets, targets }
}
