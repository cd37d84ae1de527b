import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { GOSSIPSUB_DEFAULT_DEGREE, MODEL, runSimulations } from '@meshbalancer/simulator'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'

const SIZES = [1000, 10_000]
const SEED = 1
const CHARTS = join(import.meta.dirname, '..', '..', '..', 'docs', 'simulation')

const never = (rounds: number): string => (Number.isFinite(rounds) ? String(rounds) : 'not within 1000')

/** The deterministic simulator at 1,000 and 10,000 nodes; writes its charts to docs/simulation/. */
export const simulation: Suite = {
  name: 'simulation',
  summary: 'simulated clusters of 1,000 and 10,000 nodes: join convergence, failure detection, rolling deploys',
  async run () {
    const report = runSimulations(SIZES, SEED, line => { console.log(line) })
    mkdirSync(CHARTS, { recursive: true })
    for (const [file, svg] of Object.entries(report.charts)) writeFileSync(join(CHARTS, file), svg)
    console.log('simulation: running 10,000 nodes again with the same seed')
    const again = runSimulations([10_000], SEED)
    const largest = report.sizes.at(-1)!
    const { seconds: _a, ...first } = largest
    const { seconds: _b, ...second } = again.sizes[0]!
    const deterministic = isDeepStrictEqual(first, second)

    const ratio = (c: { ratio: number }): string => `${c.ratio.toFixed(2)}× (≤ 1.5×: ${c.ratio <= 1.5 ? 'yes' : '**no**'})`
    const rows = report.sizes.flatMap(r => [
      [String(r.size), `rounds until 99.99 % hear of a join: ours (gossipsub, D = ${MODEL.meshDegree}, the cluster's default) / classic fanout ${MODEL.meshDegree}`, `${r.convergence.oursRounds} / ${r.convergence.classicRounds}`, ratio(r.convergence)],
      [String(r.size), `the same at gossipsub's default D = ${GOSSIPSUB_DEFAULT_DEGREE} / classic fanout ${GOSSIPSUB_DEFAULT_DEGREE}`, `${r.convergenceAtDefaultDegree.oursRounds} / ${r.convergenceAtDefaultDegree.classicRounds}`, ratio(r.convergenceAtDefaultDegree)],
      [String(r.size), 'rounds until 99.99 %: classic model, fanout 3 (Serf\'s reference: about 13 at 10,000)', String(r.classicFanout3), '—'],
      [String(r.size), `copies of one record sent across the cluster, D = ${MODEL.meshDegree} (= copies each node receives per heartbeat when all publish): total / per node`, `${Math.round(r.convergence.copiesPerRecord)} / ${(r.convergence.copiesPerRecord / r.size).toFixed(2)}`, '—'],
      [String(r.size), `false suspicions / removals over ${r.failureDetection.pairs} observer–subject pairs, 60 heartbeats, ${MODEL.loss * 100} % loss`, `${r.failureDetection.falseSuspicions} / ${r.failureDetection.falseRemovals}`, '—'],
      [String(r.size), 'heartbeats from a crash until 99.99 % removed it (silence alone; dead after 3)', String(r.failureDetection.detectionHeartbeats), '—'],
      [String(r.size), 'rolling deploy, waves of 10 %: rounds after it until ±10 % (exact / parallel)', `${never(r.deploy.exact.roundsToBalance)} / ${never(r.deploy.parallel.roundsToBalance)}`, '—'],
      [String(r.size), 'rolling deploy, parallel: shed after it / fewest moves', `${r.deploy.parallel.totalShed} / ${r.deploy.parallel.minimumMoves}`, `${(r.deploy.parallel.totalShed / r.deploy.parallel.minimumMoves).toFixed(2)}×`],
      [String(r.size), 'wall time of all simulations at this size (absolute)', `${r.seconds.toFixed(1)} s`, r.size === 10_000 ? `< 120 s: ${r.seconds < 120 ? 'yes' : '**no**'}` : '—']
    ])
    const rendered = table(['nodes', 'measure', 'result', 'verdict'], rows)
    console.log(rendered)
    return [
      '## Simulated clusters',
      '',
      `\`@meshbalancer/simulator\`, seed ${SEED}: gossipsub's flood publishing, mesh (D = ${MODEL.meshDegree}) and lazy repair over a random`,
      `graph in which each node dials ${MODEL.targetPeers / 2} others (about ${MODEL.targetPeers} connections each), ${MODEL.loss * 100} % loss on every`,
      `transmission, a heartbeat every ${MODEL.hopsPerHeartbeat} hops; the rolling deploy runs the real shedding rule of @meshbalancer/core on`,
      `${MODEL.clientsPerNode} clients per node. Rounds and heartbeats are counts, comparable anywhere; wall times are absolute.`,
      `Running 10,000 nodes again with the same seed gave ${deterministic ? 'the same result in every figure' : '**a different result**'}.`,
      'Charts: [convergence](simulation/convergence.svg), [failure detection](simulation/failure-detection.svg),',
      '[deploy](simulation/deploy.svg).',
      '',
      rendered
    ].join('\n')
  }
}
