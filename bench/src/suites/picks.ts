import { do_not_optimize } from 'mitata'
import { hashRing, leastConnections, leastLatency, powerOfTwo, random, roundRobin, weightedRoundRobin } from '@meshbalancer/algorithms'
import { clusterWithMembers } from '../fixtures.js'
import { formatNs, medianNanoseconds, ROUNDS } from '../measure.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { LoadBalancer, SelectionAlgorithm } from '@meshbalancer/core'

const SIZES = [10, 100, 1000] as const

interface Case {
  readonly label: string
  readonly make: () => SelectionAlgorithm
  /** Target at n = 1000, in ns, where the project sets one. */
  readonly target?: number
  readonly keyed?: boolean
  /** Also measure a pick followed by its release (the cost a `call` pays). */
  readonly released?: boolean
}

const CASES: readonly Case[] = [
  { label: 'Random', make: () => random(), target: 50 },
  { label: 'RoundRobin', make: () => roundRobin(), target: 50 },
  { label: 'PowerOfTwo', make: () => powerOfTwo(), target: 50, released: true },
  { label: 'LeastConnections', make: () => leastConnections(), target: 100, released: true },
  { label: 'HashRing (string key)', make: () => hashRing(), target: 250, keyed: true },
  { label: 'WeightedRoundRobin', make: () => weightedRoundRobin() },
  { label: 'LeastLatency', make: () => leastLatency(), released: true }
]

const KEYS = Array.from({ length: 4096 }, (_, i) => `user:${(i * 7919) % 100_000}`)

/** The cost of one `balancer.selectNode()` through the public API, per algorithm and cluster size. */
export const picks: Suite = {
  name: 'picks',
  summary: 'cost per pick of every algorithm through balancer.selectNode() at n = 10, 100, 1000',
  async run () {
    const clusters = new Map<number, Awaited<ReturnType<typeof clusterWithMembers>>>()
    for (const size of SIZES) clusters.set(size, await clusterWithMembers(size, 'bench'))
    const cases: Array<{ name: string, fn: () => unknown }> = []
    for (const c of CASES) {
      for (const size of SIZES) {
        const balancer = clusters.get(size)!.loadBalancer({ name: 'bench', algorithm: c.make(), nodeMatch: ['nobody'] })
        if (balancer.getMembers().length !== size) throw new Error(`expected ${size} members, got ${balancer.getMembers().length}`)
        cases.push({ name: `${c.label}@${size}`, fn: pickFn(balancer, c.keyed === true) })
        if (c.released === true) {
          const releasing = clusters.get(size)!.loadBalancer({ name: 'bench', algorithm: c.make(), nodeMatch: ['nobody'] })
          cases.push({ name: `${c.label} + release@${size}`, fn: () => { releasing.releaseNode(releasing.selectNode()) } })
        }
      }
    }
    console.log(`picks: ${cases.length} cases × ${ROUNDS} rounds`)
    const results = await medianNanoseconds(cases)
    for (const cluster of clusters.values()) await cluster.stop()

    const rows: string[][] = []
    const verdicts: string[] = []
    for (const c of CASES) {
      for (const label of c.released === true ? [c.label, `${c.label} + release`] : [c.label]) {
        const [at10, at100, at1000] = SIZES.map(size => results.get(`${label}@${size}`)!) as [number, number, number]
        const ratio = at1000 / at10
        const target = label === c.label ? c.target : undefined
        const meets = (target === undefined || at1000 <= target) && ratio <= 2
        rows.push([label, formatNs(at10), formatNs(at100), formatNs(at1000), `${ratio.toFixed(2)}×`, target === undefined ? '—' : `≤ ${target} ns`, meets ? 'yes' : '**no**'])
        if (!meets) verdicts.push(label)
      }
    }
    const rendered = table(['algorithm', 'n = 10', 'n = 100', 'n = 1000', '1000 / 10 (ratio)', 'target at 1000 (absolute)', 'meets targets'], rows)
    console.log(rendered)
    return [
      '## Cost per pick',
      '',
      'One `balancer.selectNode()` (with `{ key }` for the hash ring) on a real cluster node whose view holds n',
      'members, announced by real encoded records on the in-memory network, with loads 0–6, weights 1–3 and measured',
      'latencies. Connection-tracking algorithms count each pick as a call in flight; the "+ release" rows add',
      '`releaseNode`, which `call` does after every call. Absolute times (ns) depend on the machine; the 1000 / 10',
      'ratio does not. Every algorithm is to cost at most 2× at n = 1000 what it costs at n = 10.',
      '',
      rendered,
      '',
      verdicts.length === 0 ? 'Every algorithm meets its targets in this run.' : `Misses a target in this run: ${verdicts.join(', ')}.`
    ].join('\n')
  }
}

function pickFn (balancer: LoadBalancer, keyed: boolean): () => unknown {
  if (!keyed) return () => { do_not_optimize(balancer.selectNode()) }
  let i = 0
  return () => { do_not_optimize(balancer.selectNode({ key: KEYS[i++ & 4095]! })) }
}
