import type { Member, SelectionAlgorithm } from '../src/index.js'

/** Picks the first member; enough to test the balancer without depending on @meshbalancer/algorithms. */
export function first (): SelectionAlgorithm {
  return { name: 'first', chooseFromNodes: (nodes) => nodes[0] as Member }
}

/** Picks the member with the given name, for tests that must reach a particular node. */
export function named (name: string): SelectionAlgorithm {
  return {
    name: `named:${name}`,
    chooseFromNodes: (nodes) => nodes.find(node => node.name === name) ?? nodes[0] as Member
  }
}

/** Picks the least loaded member, the first of equals. */
export function leastLoaded (): SelectionAlgorithm {
  return {
    name: 'least-loaded',
    chooseFromNodes: (nodes) => nodes.reduce((best, node) => (node.load < best.load ? node : best))
  }
}
