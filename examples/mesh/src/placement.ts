import { hashRing, leastConnections, leastLatency, powerOfTwo, random, roundRobin, weightedRoundRobin } from '@meshbalancer/algorithms'
import { leastLoadedTagged } from '@meshbalancer/example-custom-algorithm'
import { silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { NAMESPACE } from '@meshbalancer/example-websocket-service'
import type { Cluster, LoadBalancer, SelectionAlgorithm } from '@meshbalancer/core'

/**
 * Algorithms that `--algorithm` can name: the built-ins, and one from another package (the custom-algorithm
 * example), which picks the least loaded server of zone `a`.
 */
export const PLACEMENT_ALGORITHMS: Readonly<Record<string, () => SelectionAlgorithm>> = {
  random: () => random(),
  roundRobin: () => roundRobin(),
  powerOfTwo: () => powerOfTwo(),
  leastConnections: () => leastConnections(),
  leastLatency: () => leastLatency(),
  weightedRoundRobin: () => weightedRoundRobin(),
  hashRing: () => hashRing(),
  leastLoadedTagged: () => leastLoadedTagged({ tag: 'zone', value: 'a' })
}

/**
 * Places new clients with a balancer over the servers' `ws` group, like a connection broker: a node of the cluster
 * itself, serving nothing, that sees every server's socket count through gossip.
 */
export class Placement {
  private constructor (private readonly node: Cluster, private readonly balancer: LoadBalancer) {}

  static async join (algorithm: string, cluster: string[], servers: number): Promise<Placement> {
    const make = PLACEMENT_ALGORITHMS[algorithm]
    if (make === undefined) throw new Error(`unknown algorithm "${algorithm}"`)
    const node = await createNode({ name: 'mesh-broker', join: cluster, logger: silentLogger })
    const balancer = node.loadBalancer({ name: NAMESPACE, algorithm: make(), nodeMatch: [] })
    await balancer.ready({ min: servers, timeoutMs: 30_000 })
    return new Placement(node, balancer)
  }

  /** A server for a new client: selected, and released at once (a placement is not a call in flight). */
  pick (): string | undefined {
    if (this.balancer.getMembers().length === 0) return undefined
    const member = this.balancer.selectNode()
    this.balancer.releaseNode(member)
    return member.clientAddress
  }

  async stop (): Promise<void> {
    await this.node.stop()
  }
}
