import { powerOfTwo } from '@meshbalancer/algorithms'
import { silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { converged, freePort, NodeProcess } from '@meshbalancer/testing'
import { median, ROUNDS } from '../measure.js'
import { cpuSeconds, rssMiB } from '../process-stats.js'
import { medianOverRuns, percentile } from '../stats.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'

const NODES = 10
const CHANGES_PER_RUN = 20
const IDLE_WINDOW_MS = 6000
const NODE_ARGS = ['--demo-methods', '--group', 'api']
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Row { metric: string, value: string, spread: string, target: string, meets: boolean | undefined }

/** Ten `meshbalancer node` processes on 127.0.0.1, measured as an operator would see them. */
export const mesh: Suite = {
  name: 'mesh',
  summary: `${NODES} real processes: load propagation, join, crash removal, RSS, idle CPU, RPC calls`,
  async run () {
    // The seed has a fixed address and no join list, so that it can be restarted as an operator would restart it.
    const seedArgs = ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, ...NODE_ARGS]
    const nodes = [await new NodeProcess('n1', seedArgs).ready()]
    nodes.push(...await Promise.all(Array.from({ length: NODES - 1 }, async (_, i) => await new NodeProcess(`n${i + 2}`, ['--join', nodes[0]!.address, ...NODE_ARGS]).ready())))
    const rows: Row[] = []
    try {
      await converged(nodes)
      await sleep(10_000) // let connections and the gossip mesh settle: views converge before the last dials
      console.log('mesh: load propagation')
      const loads = await propagation(nodes)
      rows.push(...loads.rows)
      console.log('mesh: idle CPU and memory')
      const usage = await idleUsage(nodes)
      rows.push(cpuPerChange(loads.cpu, usage.cpu), ...idle(usage))
      console.log('mesh: joins and graceful leaves')
      rows.push(...await joinsAndLeaves(nodes))
      console.log('mesh: crashes')
      rows.push(await crashes(nodes))
      console.log('mesh: rpc')
      rows.push(...await rpc(nodes[0]!))
      console.log('mesh: seed restarts')
      rows.push(await seedRestarts(nodes, seedArgs))
    } finally {
      await Promise.all(nodes.map(async node => { await node.kill() }))
    }
    const rendered = table(['measure', 'median of runs', 'spread', 'target', 'meets'],
      rows.map(row => [row.metric, row.value, row.spread, row.target, row.meets === undefined ? '—' : row.meets ? 'yes' : '**no**']))
    console.log(rendered)
    return [
      `## A mesh of ${NODES} processes`,
      '',
      `${NODES} \`meshbalancer node --json\` processes on 127.0.0.1 started with \`--max-semi-space-size=2\` (default`,
      'timings: probe interval 1 s, probe timeout 0.5 s, refresh 30 s × max(1, (n − 1) / 4)), joined through one seed; times come from the high-resolution',
      'timestamps the processes print,',
      `so they exclude the benchmark's own reading of their output. Each figure is the median over ${ROUNDS} runs;`,
      'the spread is the lowest and highest run. All figures here are absolute times or amounts, not ratios.',
      `The RPC rows call \`echo\` through a balancer over all ${NODES} members, from a node in the benchmark's own`,
      'process; "RPC against plain HTTP and WebSocket" below compares `call` with node:http and `ws` between two',
      'processes.',
      '',
      rendered
    ].join('\n')
  }
}

/** CPU that all processes used over one run of load changes, in seconds, and the run's length in milliseconds. */
interface RunCpu { seconds: number, ms: number }

/** Sets a new load on one node at a time and times its arrival at every other node. */
async function propagation (nodes: NodeProcess[]): Promise<{ rows: Row[], cpu: RunCpu[] }> {
  const perReceiver: number[][] = []
  const visibleOnAll: number[][] = []
  const cpu: RunCpu[] = []
  const cpuOfAll = (): number => nodes.reduce((sum, node) => sum + cpuSeconds(node.pid), 0)
  // Loads are published on significant changes (by default ≥ 10 % of the published load), so each sender
  // alternates between about 1,000 and 2,000, every value unique so that each change can be told from the others.
  let value = 0
  const changes = new Map<NodeProcess, number>()
  for (let run = 0; run < ROUNDS; run++) {
    const receiverSamples: number[] = []
    const allSamples: number[] = []
    const startedAt = performance.now()
    const cpuBefore = cpuOfAll()
    for (let change = 0; change < CHANGES_PER_RUN; change++) {
      const sender = nodes[(run * CHANGES_PER_RUN + change) % nodes.length]!
      const count = changes.get(sender) ?? 0
      changes.set(sender, count + 1)
      const load = (count % 2 === 0 ? 1000 : 2000) + value++
      const receivers = nodes.filter(node => node !== sender)
      const arrivals = receivers.map(async node => await node.next(e => e.event === 'member:update' && e.member?.name === sender.name && e.member.groups.bench === load, 10_000))
      const setEvent = sender.next(e => e.event === 'load:set' && e.load === load, 10_000)
      sender.send(`load bench ${load}`)
      const set = await setEvent
      const delays = (await Promise.all(arrivals)).map(event => event.t - set.t)
      receiverSamples.push(...delays)
      allSamples.push(Math.max(...delays))
      await sleep(120) // beyond minPublishIntervalMs, so that each change is published on its own
    }
    cpu.push({ seconds: cpuOfAll() - cpuBefore, ms: performance.now() - startedAt })
    perReceiver.push(receiverSamples)
    visibleOnAll.push(allSamples)
  }
  const p99 = medianOverRuns(perReceiver, run => percentile(run, 99))
  return {
    rows: [
      latencyRow('load change → one receiver, p50', perReceiver, 50),
      { ...latencyRow('load change → one receiver, p99', perReceiver, 99), target: '≤ 20 ms', meets: p99 <= 20 },
      latencyRow(`load change → all ${NODES - 1} others, p50`, visibleOnAll, 50),
      { ...latencyRow(`load change → all ${NODES - 1} others, p99`, visibleOnAll, 99), target: '≤ 20 ms', meets: medianOverRuns(visibleOnAll, run => percentile(run, 99)) <= 20 }
    ],
    cpu
  }
}

/**
 * CPU that one load change costs the whole cluster: what all processes used over a run of changes, less what they
 * use idle over as long (the median run of `idleUsage`), divided by the changes. On 2 cores it bounds the p99 above:
 * the ten processes a change wakes share them.
 */
function cpuPerChange (runs: RunCpu[], idlePercents: number[][]): Row {
  const idleCoresBusy = median(idlePercents.map(run => run.reduce((sum, percent) => sum + percent, 0))) / 100
  const perChange = runs.map(run => (run.seconds * 1000 - idleCoresBusy * run.ms) / CHANGES_PER_RUN)
  return { metric: `load change → CPU of all ${NODES} processes, per change`, value: `${median(perChange).toFixed(1)} ms`, spread: `${Math.min(...perChange).toFixed(1)}–${Math.max(...perChange).toFixed(1)} ms`, target: '—', meets: undefined }
}

function latencyRow (metric: string, runs: number[][], p: number): Row {
  const values = runs.map(run => percentile(run, p))
  return { metric, value: `${median(values).toFixed(2)} ms`, spread: `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)} ms`, target: '—', meets: undefined }
}

/**
 * CPU share and resident memory of each node while nothing but probes and refreshes happen; plus the memory of one more
 * member started with V8's default flags, for comparison with the recommended ones.
 */
async function idleUsage (nodes: NodeProcess[]): Promise<{ cpu: number[][], rss: number[], rssDefaultFlags: number }> {
  const plain = await new NodeProcess('default-flags', ['--join', nodes[0]!.address], { nodeFlags: [] }).ready()
  try {
    await converged([...nodes, plain])
    const cpu: number[][] = []
    for (let run = 0; run < ROUNDS; run++) {
      const before = nodes.map(node => cpuSeconds(node.pid))
      await sleep(IDLE_WINDOW_MS)
      cpu.push(nodes.map((node, i) => (cpuSeconds(node.pid) - before[i]!) / (IDLE_WINDOW_MS / 1000) * 100))
    }
    return { cpu, rss: nodes.map(node => rssMiB(node.pid)), rssDefaultFlags: rssMiB(plain.pid) }
  } finally {
    plain.signal('SIGTERM')
    await plain.exited
  }
}

function idle ({ cpu, rss, rssDefaultFlags }: { cpu: number[][], rss: number[], rssDefaultFlags: number }): Row[] {
  const perRun = cpu.map(run => median(run))
  const worst = cpu.map(run => Math.max(...run))
  const cpuMedian = median(perRun)
  const rssMedian = median(rss)
  return [
    { metric: 'idle CPU per node (median node)', value: `${cpuMedian.toFixed(2)} %`, spread: `${Math.min(...perRun).toFixed(2)}–${Math.max(...perRun).toFixed(2)} %`, target: '≤ 1 %', meets: cpuMedian <= 1 },
    { metric: 'idle CPU of the busiest node', value: `${median(worst).toFixed(2)} %`, spread: `${Math.min(...worst).toFixed(2)}–${Math.max(...worst).toFixed(2)} %`, target: '—', meets: undefined },
    { metric: 'RSS per node (median node), --max-semi-space-size=2', value: `${rssMedian.toFixed(1)} MiB`, spread: `${Math.min(...rss).toFixed(1)}–${Math.max(...rss).toFixed(1)} MiB over nodes`, target: '≤ 110 MB', meets: rssMedian * 1.048576 <= 110 },
    { metric: 'RSS of a node with V8 default flags', value: `${rssDefaultFlags.toFixed(1)} MiB`, spread: 'one node', target: '—', meets: undefined }
  ]
}

/**
 * Starts an eleventh node and times until every member has printed its join; then stops it with SIGTERM and times
 * until every member has removed it (its graceful `LEFT`).
 */
async function joinsAndLeaves (nodes: NodeProcess[]): Promise<Row[]> {
  const joined: number[] = []
  const left: number[] = []
  for (let run = 0; run < ROUNDS; run++) {
    const marks = nodes.map(node => node.events.length)
    const newcomer = await new NodeProcess(`joiner-${run}`, ['--join', nodes[0]!.address]).ready()
    const seen = await Promise.all(nodes.map(async (node, i) => await node.next(e => e.event === 'member:join' && e.member?.id === newcomer.id, 20_000, marks[i])))
    joined.push(Math.max(...seen.map(event => event.t)) - newcomer.events.find(e => e.event === 'node:ready')!.t)
    await Promise.all(nodes.map(async node => await node.until(() => node.view.get(newcomer.id)?.liveness === 'alive', 20_000)))
    await sleep(1000)
    const removals = nodes.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.id === newcomer.id, 20_000))
    const stoppedAt = performance.timeOrigin + performance.now()
    newcomer.signal('SIGTERM')
    left.push(Math.max(...(await Promise.all(removals)).map(event => event.t)) - stoppedAt)
    await newcomer.exited
  }
  const row = (metric: string, samples: number[], bound: number): Row => {
    const value = median(samples)
    return { metric, value: `${value.toFixed(0)} ms`, spread: `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} ms`, target: `≤ ${bound} ms`, meets: value <= bound }
  }
  return [
    row(`join → seen by all ${NODES}`, joined, 1000),
    row(`graceful leave (SIGTERM) → removed by all ${NODES}`, left, 200)
  ]
}

/**
 * Stops the seed (SIGTERM, as a rolling deploy does), waits until every other member removed it, and starts it
 * again with its original command line (the same address, no join list, a new peer id): times from the moment it
 * listens until every other member sees it. The others find it by dialling the last addresses of members that left.
 */
async function seedRestarts (nodes: NodeProcess[], seedArgs: string[]): Promise<Row> {
  const samples: number[] = []
  const others = nodes.slice(1)
  for (let run = 0; run < ROUNDS; run++) {
    const seed = nodes[0]!
    const removals = others.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.id === seed.id, 20_000))
    seed.signal('SIGTERM')
    await seed.exited
    await Promise.all(removals)
    const marks = others.map(node => node.events.length)
    const restarted = await new NodeProcess('n1', seedArgs).ready()
    nodes[0] = restarted
    const seen = await Promise.all(others.map(async (node, i) => await node.next(e => e.event === 'member:join' && e.member?.id === restarted.id, 30_000, marks[i])))
    samples.push(Math.max(...seen.map(event => event.t)) - restarted.events.find(e => e.event === 'node:ready')!.t)
    await converged(nodes, 30_000)
  }
  const value = median(samples)
  return { metric: `seed restarted with no join list → seen by all ${NODES - 1} others`, value: `${value.toFixed(0)} ms`, spread: `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} ms`, target: '≤ 2000 ms', meets: value <= 2000 }
}

/** Kills a member with SIGKILL and times until every other member has removed it. */
async function crashes (nodes: NodeProcess[]): Promise<Row> {
  const samples: number[] = []
  for (let run = 0; run < ROUNDS; run++) {
    const victim = await new NodeProcess(`victim-${run}`, ['--join', nodes[0]!.address]).ready()
    await Promise.all(nodes.map(async node => await node.until(() => node.view.get(victim.id)?.liveness === 'alive', 20_000)))
    await sleep(1000)
    const killedAt = performance.timeOrigin + performance.now()
    victim.signal('SIGKILL')
    const removed = await Promise.all(nodes.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.id === victim.id, 20_000)))
    samples.push(Math.max(...removed.map(event => event.t)) - killedAt)
    await victim.exited
  }
  const value = median(samples)
  return { metric: `SIGKILL → removed by all ${NODES}`, value: `${value.toFixed(0)} ms`, spread: `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} ms`, target: '≤ 3000 ms', meets: value <= 3000 }
}

/** Calls `echo` on the processes from a node in this process: latency one at a time, and throughput 64 at a time. */
async function rpc (seed: NodeProcess): Promise<Row[]> {
  const caller = await createNode({ name: 'bench-caller', join: [seed.address], logger: silentLogger })
  try {
    const api = caller.loadBalancer({ name: 'api', algorithm: powerOfTwo(), nodeMatch: [] })
    while (api.getMembers().length < NODES) await sleep(50)
    for (let i = 0; i < 500; i++) await api.call('echo', i) // warm connections and code
    const latency: number[][] = []
    const throughput: number[] = []
    let failures = 0
    for (let run = 0; run < ROUNDS; run++) {
      const samples: number[] = []
      for (let i = 0; i < 500; i++) {
        const started = performance.now()
        await api.call('echo', i)
        samples.push(performance.now() - started)
      }
      latency.push(samples)
      const { perSecond, failed } = await callsPerSecond(async () => { await api.call('echo', run) }, 64, 3000)
      throughput.push(perSecond)
      failures += failed
    }
    return [
      latencyRow(`RPC through a balancer over ${NODES} members, one at a time, p50`, latency, 50),
      latencyRow(`RPC through a balancer over ${NODES} members, one at a time, p99`, latency, 99),
      { metric: `RPC through a balancer over ${NODES} members, calls per second, 64 in flight`, value: median(throughput).toFixed(0), spread: `${Math.min(...throughput).toFixed(0)}–${Math.max(...throughput).toFixed(0)}`, target: '—', meets: undefined },
      { metric: 'RPC calls failed (all runs)', value: String(failures), spread: '—', target: '—', meets: undefined }
    ]
  } finally {
    await caller.stop()
  }
}

/** Keeps `concurrency` calls in flight for `durationMs`; counts the successful ones per second and the failures. */
async function callsPerSecond (call: () => Promise<void>, concurrency: number, durationMs: number): Promise<{ perSecond: number, failed: number }> {
  let completed = 0
  let failed = 0
  const deadline = performance.now() + durationMs
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      try {
        await call()
        completed++
      } catch {
        failed++
      }
    }
  }))
  return { perSecond: completed / ((performance.now() - started) / 1000), failed }
}
