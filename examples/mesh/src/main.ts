/**
 * An in-process tour of the core: five nodes on the in-memory network gossip their loads, a balancer on one of
 * them picks with each algorithm, and a node that stops leaves every view.
 */
import { leastConnections, powerOfTwo, random, roundRobin } from '@meshbalancer/algorithms'
import { createCluster, MemoryNetwork, silentLogger } from '@meshbalancer/core'
import type { Cluster, SelectionAlgorithm } from '@meshbalancer/core'

const network = new MemoryNetwork({ delayMs: 2 })
const nodes: Cluster[] = []
for (let i = 1; i <= 5; i++) {
  nodes.push(await createCluster({ name: `n${i}`, transport: network.createTransport(), logger: silentLogger, heartbeatIntervalMs: 200, suspectAfterMs: 600, deadAfterMs: 1000 }))
}
const loads = [40, 10, 25, 5, 20]
nodes.forEach((node, i) => { node.setLoad('api', loads[i]!) })
await until(() => nodes.every(node => node.members().length === 5 && node.members().every(m => m.groups.has('api'))))

const viewer = nodes[0]!
console.log(`${viewer.name} sees ${viewer.members().length} members:`)
for (const member of viewer.members()) console.log(`  ${member.name.padEnd(4)} load ${String(member.groups.get('api')).padStart(3)}  ${member.status}`)

const algorithms: Array<[string, () => SelectionAlgorithm]> = [
  ['random', () => random()], ['roundRobin', () => roundRobin()], ['powerOfTwo', () => powerOfTwo()], ['leastConnections', () => leastConnections()]
]
console.log('\n1000 picks (each released at once) by algorithm:')
for (const [name, make] of algorithms) {
  const balancer = viewer.loadBalancer({ name: 'api', algorithm: make() })
  const picks = new Map<string, number>()
  for (let i = 0; i < 1000; i++) {
    const member = balancer.selectNode()
    picks.set(member.name, (picks.get(member.name) ?? 0) + 1)
    balancer.releaseNode(member)
  }
  balancer.close()
  console.log(`  ${name.padEnd(17)} ${[...picks].sort().map(([n, c]) => `${n}:${c}`).join('  ')}`)
}

const leaving = nodes.pop()!
await leaving.stop()
await until(() => nodes.every(node => node.member(leaving.id) === undefined))
console.log(`\n${leaving.name} stopped; every other node now sees ${nodes[0]!.members().length} members.`)
for (const node of nodes) await node.stop()

async function until (condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the demo cluster did not converge within 5 s')
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
