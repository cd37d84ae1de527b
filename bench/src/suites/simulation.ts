import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { PROTOCOL, runSimulations, SCENARIO, suspicionBounds } from '@meshbalancer/simulator'
import { table } from '../suite.js'
import type { CostResult, SizeResults } from '@meshbalancer/simulator'
import type { Suite } from '../suite.js'

const SIZES = [1000, 10_000]
const SEED = 1
const CHARTS = join(import.meta.dirname, '..', '..', '..', 'docs', 'simulation')

const never = (rounds: number): string => (Number.isFinite(rounds) ? String(rounds) : 'not within 1000')
const yes = (ok: boolean): string => (ok ? 'yes' : '**no**')
const per = (cost: CostResult): string => `${cost.messages.toFixed(1)} msg / ${(cost.bytes / 1024).toFixed(1)} KiB`
const kinds = (cost: CostResult): string => Object.entries(cost.byKind).map(([kind, { messages }]) => `${kind} ${messages.toFixed(messages < 1 ? 3 : 1)}`).join(', ')

function rows (r: SizeResults): string[][] {
  const n = String(r.size)
  const { min } = suspicionBounds(PROTOCOL, r.size)
  const crash = (name: string, c: SizeResults['crash']['refused']): string[] => [n, `crash to removal, ${name}: p50 / p99 / all nodes (s); claims per crash`, `${c.removalSeconds.p50} / ${c.removalSeconds.p99} / ${c.allRemovedSeconds}; ${c.claimsPerCrash.toFixed(1)}`, `min timeout ${(min / 1000).toFixed(1)} s`]
  const b = r.balance
  return [
    [n, 'idle (no loss): received per node per s, messages / bytes', per(r.cost.idle), kinds(r.cost.idle)],
    [n, `idle, refresh within ${SCENARIO.refreshRecordsPerSecond} records/s cluster-wide`, per(r.cost.idleBudgetedRefresh), kinds(r.cost.idleBudgetedRefresh)],
    [n, `idle, refresh at a fixed ${PROTOCOL.refreshIntervalMs / 1000} s (not scaled with n)`, per(r.cost.idleFixedRefresh), kinds(r.cost.idleFixedRefresh)],
    [n, `idle, ${SCENARIO.loss * 100} % loss`, per(r.cost.idleLossy), kinds(r.cost.idleLossy)],
    [n, `loads changing ${SCENARIO.loadChangesPerSecond}×/s on every node (budget ${PROTOCOL.loadRecordsPerSecond} records/s cluster-wide)`, per(r.cost.loadsChanging), kinds(r.cost.loadsChanging)],
    crash('killed (connections close)', r.crash.refused),
    crash('silent (host gone)', r.crash.silent),
    [n, `${SCENARIO.loss * 100} % loss, ${r.lossy.nodeSeconds / r.size} s: claims about live members / per 1,000 node-s; false removals`, `${r.lossy.claims} / ${(r.lossy.claims / r.lossy.nodeSeconds * 1000).toFixed(2)}; ${r.lossy.falseRemovals}`, `longest suspect ${r.lossy.longestSuspectMs} ms`],
    [n, `${SCENARIO.loss * 100} % loss over TCP (a loss costs a 200 ms retransmission): claims about live members; false removals`, `${r.lossyStream.claims}; ${r.lossyStream.falseRemovals}`, '—'],
    [n, `one member ${SCENARIO.slowDelayMs} ms slow: its claims about others, with / without local health`, `${r.slow.withLocalHealth.claimsBySlow} / ${r.slow.withoutLocalHealth.claimsBySlow}`, `its mean health ${r.slow.withLocalHealth.slowHealth.toFixed(1)}; others ${r.slow.withLocalHealth.othersHealth.toFixed(4)}`],
    [n, 'one slow member: claims about it; false removals of anyone (with / without local health)', `${r.slow.withLocalHealth.claimsAboutSlow}; ${r.slow.withLocalHealth.falseRemovals} / ${r.slow.withoutLocalHealth.falseRemovals}`, '—'],
    [n, 'max/mean load: random / power-of-two on fresh loads / on announced loads / announced, 10× budget / announced, refresh budgeted', `${b.random.maxOverMean} / ${b.fresh.maxOverMean} / ${b.stale.maxOverMean} / ${b.staleTenfoldBudget.maxOverMean} / ${b.staleBudgetedRefresh.maxOverMean}`, `mean age of the announced loads read: ${b.stale.meanAgeSeconds} / ${b.staleTenfoldBudget.meanAgeSeconds} / ${b.staleBudgetedRefresh.meanAgeSeconds} s`],
    [n, `a record published once: rounds until 99.99 % hold it, gossipsub (D = ${PROTOCOL.meshDegree}) / classic fanout ${PROTOCOL.meshDegree}`, `${r.convergence.oursRounds} / ${r.convergence.classicRounds}`, `copies per node ${(r.convergence.copiesPerRecord / r.size).toFixed(2)}`],
    [n, 'rolling deploy, waves of 10 %: rounds after it until ±10 % (exact / parallel)', `${never(r.deploy.exact.roundsToBalance)} / ${never(r.deploy.parallel.roundsToBalance)}`, '—'],
    [n, 'wall time of all simulations at this size (absolute)', `${r.seconds.toFixed(1)} s`, '—']
  ]
}

/** The deterministic simulator of the membership protocol at 1,000 and 10,000 nodes; writes its charts to docs/simulation/. */
export const simulation: Suite = {
  name: 'simulation',
  summary: 'simulated clusters of 1,000 and 10,000 nodes: cost per node, crash removal, false suspicions, stale balance, deploys',
  async run () {
    const report = runSimulations(SIZES, SEED, line => { console.log(line) })
    mkdirSync(CHARTS, { recursive: true })
    for (const [file, svg] of Object.entries(report.charts)) writeFileSync(join(CHARTS, file), svg)
    console.log('simulation: running 1,000 nodes again with the same seed')
    const again = runSimulations([SIZES[0]!], SEED)
    const { seconds: _a, ...first } = report.sizes[0]!
    const { seconds: _b, ...second } = again.sizes[0]!
    const deterministic = isDeepStrictEqual(first, second)
    const a = report.acceptance
    const acceptance = table(['acceptance', 'measured', 'bar', 'met'], [
      [`idle messages received per node per s, 10,000 / 1,000 nodes (the default refresh: ${PROTOCOL.refreshIntervalMs / 1000} s, × (n − 1) / ${PROTOCOL.refreshScaleMembers} beyond ${PROTOCOL.refreshScaleMembers} others)`, `${a.idleMessagesRatio.toFixed(2)}×`, '≤ 1.2×', yes(a.idleMessagesRatio <= 1.2)],
      [`the same with the refresh within ${SCENARIO.refreshRecordsPerSecond} records/s cluster-wide`, `${a.idleMessagesRatioBudgetedRefresh.toFixed(2)}×`, '≤ 1.2×', yes(a.idleMessagesRatioBudgetedRefresh <= 1.2)],
      // A killed member is removed after the minimum suspicion timeout, exactly 2 × log10 n s, plus milliseconds of
      // gossip (whose hops grow as log n too): the ratio sits on the bound, and 0.1 % above it is those milliseconds.
      ['median crash-to-removal time, killed, 10,000 / 1,000 nodes', `${a.crashRemovalRatio.toFixed(4)}×`, `≤ log 10,000 / log 1,000 = ${a.crashRemovalBound.toFixed(4)}× (+0.1 %: gossip's ms)`, yes(a.crashRemovalRatio <= a.crashRemovalBound * 1.001)],
      ['the same, silent crash (probes time out)', `${a.crashRemovalRatioSilent.toFixed(4)}×`, `≤ ${a.crashRemovalBound.toFixed(4)}×`, yes(a.crashRemovalRatioSilent <= a.crashRemovalBound)]
    ])
    const figures = table(['nodes', 'measure', 'result', 'detail'], report.sizes.flatMap(rows))
    console.log(acceptance)
    console.log(figures)
    return [
      '## Simulated clusters',
      '',
      `\`@meshbalancer/simulator\` (\`meshbalancer-simulate\`), seed ${SEED}: the membership protocol with its defaults: one probe a period`,
      `(${PROTOCOL.probeIntervalMs} ms, timeout ${PROTOCOL.probeTimeoutMs} ms), ${PROTOCOL.indirectProbes} indirect probes, Lifeguard's suspicion timeouts and local health, claims and`,
      `refutations over gossipsub (flood publish, mesh D = ${PROTOCOL.meshDegree}, IHAVE repair, about ${PROTOCOL.targetPeers} connections per node), records on change within`,
      `${PROTOCOL.loadRecordsPerSecond} load records a second cluster-wide, a refresh every ${PROTOCOL.refreshIntervalMs / 1000} s × max(1, (n − 1) / ${PROTOCOL.refreshScaleMembers}), and push-pull every ${PROTOCOL.pushPullIntervalMs / 1000} s × max(1, (n − 1) / 4).`,
      'Messages are the copies each node receives, duplicates included; bytes are estimates from the message layouts (see',
      'the simulator\'s README). Seconds are simulated time; wall times are absolute.',
      `Running 1,000 nodes again with the same seed gave ${deterministic ? 'the same result in every figure' : '**a different result**'}.`,
      'Charts: [crash removal](simulation/crash-removal.svg), [deploy](simulation/deploy.svg).',
      '',
      acceptance,
      '',
      figures
    ].join('\n')
  }
}
