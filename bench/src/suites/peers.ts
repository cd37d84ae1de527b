import { do_not_optimize } from 'mitata'
import ConsistentHash from 'consistent-hash'
import HashRing from 'hashring'
import { P2cBalancer, RandomBalancer } from 'load-balancers'
import { hashRing, powerOfTwo, roundRobin } from '@meshbalancer/algorithms'
import { clusterWithMembers } from '../fixtures.js'
import { formatNs, medianNanoseconds, ROUNDS } from '../measure.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { Cluster, SelectionAlgorithm } from '@meshbalancer/core'

/** More distinct keys than hashring's lookup cache (5000), so that it hashes as a ring must. */
const KEYS = Array.from({ length: 100_000 }, (_, i) => `user:${(i * 7919) % 1_000_003}`)

interface Comparison {
  readonly what: string
  readonly size: number
  readonly ours: string
  readonly oursRaw: string
  readonly peers: ReadonlyArray<{ name: string, case: string }>
  readonly target?: number
}

/**
 * Our hash ring, power of two choices and round robin against the npm packages people reach for: `hashring`,
 * `consistent-hash` and `load-balancers`, measured in the same run on the same machine. "ours" goes through
 * `balancer.selectNode()`, with everything a pick costs there; "ours, algorithm alone" calls the algorithm the
 * way the peers are called.
 */
export const peers: Suite = {
  name: 'peers',
  summary: 'our ring, P2C and round robin against hashring, consistent-hash and load-balancers',
  async run () {
    const cases: Array<{ name: string, fn: () => unknown }> = []
    const comparisons: Comparison[] = []
    const clusters: Cluster[] = []
    let k = 0
    const key = (): string => KEYS[k++ % KEYS.length]!

    for (const size of [100, 1000]) {
      const cluster = await clusterWithMembers(size, 'bench')
      clusters.push(cluster)
      const names = cluster.loadBalancer({ name: 'bench', algorithm: roundRobin(), nodeMatch: [] }).getMembers().map(m => m.name)
      const ring = cluster.loadBalancer({ name: 'bench', algorithm: hashRing(), nodeMatch: [] })
      const raw: SelectionAlgorithm = hashRing()
      const nodes = ring.getMembers()
      const ketama = new HashRing(names)
      const pjw = new ConsistentHash({ range: 1_000_003 })
      for (const name of names) pjw.add(name)
      cases.push(
        { name: `ring ours ${size}`, fn: () => { do_not_optimize(ring.selectNode({ key: key() })) } },
        { name: `ring raw ${size}`, fn: () => { do_not_optimize(raw.chooseFromNodes(nodes, { key: key() })) } },
        { name: `ring hashring ${size}`, fn: () => { do_not_optimize(ketama.get(key())) } },
        { name: `ring consistent-hash ${size}`, fn: () => { do_not_optimize(pjw.get(key())) } }
      )
      comparisons.push({ what: 'hash ring lookup, string key', size, ours: `ring ours ${size}`, oursRaw: `ring raw ${size}`, peers: [{ name: 'hashring', case: `ring hashring ${size}` }, { name: 'consistent-hash', case: `ring consistent-hash ${size}` }], target: 2 })
    }
    for (const size of [10, 100, 1000]) {
      const cluster = await clusterWithMembers(size, 'bench')
      clusters.push(cluster)
      const p2c = cluster.loadBalancer({ name: 'bench', algorithm: powerOfTwo(), nodeMatch: [] })
      const rawP2c = powerOfTwo()
      const nodes = p2c.getMembers()
      const theirs = new P2cBalancer(size)
      const rr = cluster.loadBalancer({ name: 'bench', algorithm: roundRobin(), nodeMatch: [] })
      const theirRandom = new RandomBalancer(size)
      cases.push(
        { name: `p2c ours ${size}`, fn: () => { do_not_optimize(p2c.selectNode()) } },
        { name: `p2c raw ${size}`, fn: () => { do_not_optimize(rawP2c.chooseFromNodes(nodes, {})) } },
        { name: `p2c load-balancers ${size}`, fn: () => { do_not_optimize(theirs.pick()) } },
        { name: `rr ours ${size}`, fn: () => { do_not_optimize(rr.selectNode()) } },
        { name: `rr load-balancers random ${size}`, fn: () => { do_not_optimize(theirRandom.pick()) } }
      )
      comparisons.push(
        { what: 'power of two choices pick', size, ours: `p2c ours ${size}`, oursRaw: `p2c raw ${size}`, peers: [{ name: 'load-balancers P2cBalancer', case: `p2c load-balancers ${size}` }], target: 2 },
        { what: 'round robin pick (load-balancers has none: its RandomBalancer)', size, ours: `rr ours ${size}`, oursRaw: `rr ours ${size}`, peers: [{ name: 'load-balancers RandomBalancer', case: `rr load-balancers random ${size}` }] }
      )
    }
    console.log(`peers: ${cases.length} cases × ${ROUNDS} rounds`)
    const results = await medianNanoseconds(cases)
    for (const cluster of clusters) await cluster.stop()

    const rows: string[][] = []
    const misses: string[] = []
    for (const c of comparisons) {
      const ours = results.get(c.ours)!
      for (const peer of c.peers) {
        const theirs = results.get(peer.case)!
        const speedup = theirs / ours
        const meets = c.target === undefined ? undefined : speedup >= c.target
        if (meets === false) misses.push(`${c.what} at n = ${c.size} vs ${peer.name}`)
        rows.push([c.what, String(c.size), formatNs(ours), formatNs(results.get(c.oursRaw)!), peer.name, formatNs(theirs),
          `${speedup.toFixed(2)}×`, c.target === undefined ? '—' : `≥ ${c.target}×`, meets === undefined ? '—' : meets ? 'yes' : '**no**'])
      }
    }
    const rendered = table(['operation', 'n', 'ours (selectNode)', 'ours, algorithm alone', 'peer', 'peer', 'speed-up (ratio)', 'target', 'meets'], rows)
    console.log(rendered)
    return [
      '## Against peers',
      '',
      'The same operation, measured in the same run: our balancer through `selectNode()` (and our algorithm alone,',
      'called the way the peers are), against the npm packages `hashring` 3.2.0 (ketama, md5, an LRU cache of 5000',
      'lookups), `consistent-hash` 1.2.2 (PJW hash, 40 points per node) and `load-balancers` 1.3.52 (P2cBalancer,',
      'RandomBalancer; it has no round robin). Keys cycle through 100,000 distinct values, so a lookup cache cannot',
      'stand in for the ring. The speed-up is the peer\'s time over ours through `selectNode()`: a ratio, comparable',
      'across machines; the times beside it are absolute.',
      '',
      rendered,
      '',
      misses.length === 0 ? 'Every comparison with a target meets it in this run.' : `Below target in this run: ${misses.join('; ')}.`
    ].join('\n')
  }
}
