/**
 * `pnpm soak`: N `meshbalancer node` processes (default 10) on 127.0.0.1 for M minutes (default 10) under a light,
 * steady workload (loads change every two seconds, one node makes about 20 calls a second), reporting what only a
 * long run shows: false suspicions, heap growth and message rates. Nothing is injected, so every suspicion is a
 * false one. Exits with 1 when a member was suspected once the run began (after the views converged and a settle),
 * a record was rejected or a node's live heap grew more than 10 %; `--write` puts the report in docs/SOAK.md.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { converged, NodeProcess, RECOMMENDED_NODE_FLAGS } from '@meshbalancer/testing'
import { describeMachine } from './machine.js'
import { median } from './measure.js'
import { cpuSeconds, ioBytes } from './process-stats.js'
import { table } from './suite.js'
import type { PrintedEvent } from '@meshbalancer/testing'

/** Heap growth above this fails the soak. */
const MAX_HEAP_GROWTH = 0.1

const { values } = parseArgs({
  // `pnpm soak -- --minutes 1` passes the `--` on.
  args: process.argv.slice(2).filter(arg => arg !== '--'),
  options: {
    nodes: { type: 'string', default: '10' },
    minutes: { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '15' },
    'settle-seconds': { type: 'string', default: '10' },
    write: { type: 'boolean', default: false }
  }
})
const count = positive('--nodes', values.nodes)
const durationMs = positive('--minutes', values.minutes) * 60_000
const sampleMs = positive('--sample-seconds', values['sample-seconds']) * 1000
/**
 * How long the cluster idles between converging and the start of the workload. Ten processes that started together
 * on a small host are still compiling, dialling and exchanging states then, and one of them may answer probes
 * hundreds of milliseconds late (its own loop lag said 270 to 580 ms in runs on 2 cores): what that costs is
 * the startup's, not the steady state's, so it is reported on its own line and not counted against the soak.
 */
const settleMs = nonNegative('--settle-seconds', values['settle-seconds']) * 1000
/** Heap is compared between the second and the last fifth of the run (the first is warm-up). */
const windowMs = durationMs / 5
if (!Number.isInteger(count) || count < 2) throw new Error(`--nodes expects an integer of at least 2 (a caller and a callee), got "${values.nodes}"`)
if (sampleMs * 2 > windowMs) throw new Error(`--sample-seconds must leave two samples in each fifth of the run: at most ${windowMs / 2000} s here`)

function nonNegative (flag: string, text: string): number {
  const value = Number(text)
  if (!(value >= 0)) throw new Error(`${flag} expects a number of 0 or more, got "${text}"`)
  return value
}

function positive (flag: string, text: string): number {
  const value = Number(text)
  if (!(value > 0)) throw new Error(`${flag} expects a positive number, got "${text}"`)
  return value
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Sample {
  /** Milliseconds since the soak began. */
  at: number
  /** heapUsed right after a full garbage collection: the live heap. */
  heap: number
  rss: number
  published: number
  accepted: number
  rejected: number
  cpu: number
  bytes: number
}

async function sample (node: NodeProcess, startedAt: number): Promise<Sample> {
  const stats = await node.ask('stats gc', 'stats', 20_000)
  if (stats.collected !== true) throw new Error(`${node.name} did not collect garbage: is --expose-gc set?`)
  return {
    at: Date.now() - startedAt,
    heap: stats.heapUsed as number,
    rss: stats.rss as number,
    published: stats.recordsPublished as number,
    accepted: stats.recordsAccepted as number,
    rejected: Object.values(stats.recordsRejected as Record<string, number>).reduce((a, b) => a + b, 0),
    cpu: cpuSeconds(node.pid),
    bytes: ioBytes(node.pid)
  }
}

/** Least-squares slope of `y` over `x`. */
function slope (points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

const nodeFlags = [...RECOMMENDED_NODE_FLAGS, '--expose-gc']
console.log(`soak: ${count} nodes for ${durationMs / 60_000} min, a sample every ${sampleMs / 1000} s`)
const caller = new NodeProcess('n1', [], { nodeFlags })
const nodes = [caller]
let exitCode = 0
try {
  await caller.ready()
  nodes.push(...Array.from({ length: count - 1 }, (_, i) => new NodeProcess(`n${i + 2}`, ['--join', caller.address, '--group', 'api', '--demo-methods'], { nodeFlags })))
  await Promise.all(nodes.map(async node => await node.ready()))
  await converged(nodes, 60_000)
  const settleFrom = nodes.map(node => node.events.length)
  await sleep(settleMs)
  const startedAt = Date.now()
  const from = nodes.map(node => node.events.length)
  const calls = { settled: 0, ok: 0, errors: {} as Record<string, number> }
  let running = true
  let failure: unknown

  const callLoop = (async () => {
    while (running) {
      const next = Date.now() + 1000
      const at = caller.events.length
      caller.send('calls api echo 20 4 "soak"')
      const settled = await caller.next(event => event.event === 'calls:settled', 60_000, at)
      calls.settled += settled.settled as number
      calls.ok += settled.ok as number
      for (const [code, n] of Object.entries(settled.errors as Record<string, number>)) calls.errors[code] = (calls.errors[code] ?? 0) + n
      await sleep(Math.max(0, next - Date.now()))
    }
  })().catch(err => { failure = err })
  const loadLoop = (async () => {
    while (running) {
      nodes[1 + Math.floor(Math.random() * (count - 1))]!.send(`load api ${Math.floor(Math.random() * 1000)}`)
      await sleep(2000)
    }
  })()

  const samples: Sample[][] = nodes.map(() => [])
  while (Date.now() - startedAt < durationMs) {
    const taken = await Promise.all(nodes.map(async node => await sample(node, startedAt)))
    taken.forEach((s, i) => samples[i]!.push(s))
    if (failure !== undefined) throw failure
    const crashed = nodes.filter(node => !node.running)
    if (crashed.length > 0) throw new Error(`${crashed.map(node => node.name).join(', ')} exited: ${crashed[0]!.stderr.slice(-2000)}`)
    const elapsed = Date.now() - startedAt
    console.log(`  ${(elapsed / 60_000).toFixed(1)} min: live heap ${(median(taken.map(s => s.heap)) / 2 ** 20).toFixed(2)} MiB (median node), ${calls.settled} calls`)
    await sleep(Math.min(sampleMs, Math.max(0, durationMs - elapsed)))
  }
  const last = await Promise.all(nodes.map(async node => await sample(node, startedAt)))
  last.forEach((s, i) => samples[i]!.push(s))
  running = false
  await Promise.all([callLoop, loadLoop])

  const changes = nodes.flatMap((node, i) => node.events.slice(from[i]).filter(isFalseAlarm).map(event => ({ observer: node.name, event })))
  const settling = nodes.flatMap((node, i) => node.events.slice(settleFrom[i], from[i]).filter(isFalseAlarm).map(event => ({ observer: node.name, event })))
  const heapRows = nodes.map((node, i) => {
    const own = samples[i]!
    const first = median(own.filter(s => s.at >= windowMs && s.at < 2 * windowMs).map(s => s.heap))
    const final = median(own.filter(s => s.at >= durationMs - windowMs).map(s => s.heap))
    const trend = slope(own.filter(s => s.at >= windowMs).map(s => [s.at / 60_000, s.heap / 1024] as const))
    return { name: node.name, first, final, growth: final / first - 1, trend }
  })
  const rate = (f: (s: Sample) => number): number => median(samples.map(own => (f(own.at(-1)!) - f(own[0]!)) / ((own.at(-1)!.at - own[0]!.at) / 1000)))
  const maxGrowth = Math.max(...heapRows.map(row => row.growth))
  const rejected = samples.reduce((a, own) => a + own.at(-1)!.rejected - own[0]!.rejected, 0)
  if (failure !== undefined) throw failure
  const passed = changes.length === 0 && maxGrowth <= MAX_HEAP_GROWTH && rejected === 0
  exitCode = passed ? 0 : 1

  const verdict = table(['check', 'measured', 'target', ''], [
    ['false alarms: suspicions, removals and rejoins seen by any node', String(changes.length), '0', changes.length === 0 ? 'met' : 'NOT met'],
    ['live heap growth, worst node, first vs last fifth', `${(maxGrowth * 100).toFixed(1)} %`, `≤ ${MAX_HEAP_GROWTH * 100} %`, maxGrowth <= MAX_HEAP_GROWTH ? 'met' : 'NOT met'],
    ['records rejected (all nodes)', String(rejected), '0', rejected === 0 ? 'met' : 'NOT met']
  ])
  const rates = table(['per node (median)', 'value'], [
    ['records published per s', rate(s => s.published).toFixed(2)],
    ['records accepted per s', rate(s => s.accepted).toFixed(2)],
    ['KiB read + written per s (all protocols)', (rate(s => s.bytes) / 1024).toFixed(1)],
    ['CPU, % of one core', (rate(s => s.cpu) * 100).toFixed(2)],
    ['RSS at the end, MiB', (median(last.map(s => s.rss)) / 2 ** 20).toFixed(1)]
  ])
  const callLine = `${calls.settled} calls settled over the run (${(calls.settled / (durationMs / 1000)).toFixed(1)} per s): ${calls.ok} ok` +
    Object.entries(calls.errors).map(([code, n]) => `, ${code} ${n}`).join('')
  const heapTable = table(['node', 'live heap, 2nd fifth, MiB', 'last fifth, MiB', 'growth', 'trend after warm-up, KiB/min'], heapRows.map(row => [
    row.name, (row.first / 2 ** 20).toFixed(2), (row.final / 2 ** 20).toFixed(2), `${(row.growth * 100).toFixed(1)} %`, row.trend.toFixed(1)
  ]))
  const report = [
    '# Soak',
    '',
    `Written by \`pnpm soak -- --write\`; do not edit by hand. ${count} \`meshbalancer node\` processes on 127.0.0.1 with the`,
    'default timings, under a light, steady workload: one node calls `echo` on the others about 20 times a second,',
    'and a random node changes its load every two seconds. Nothing is injected, so any suspicion is false. The live',
    'heap is `heapUsed` right after a full garbage collection (`stats gc`, node run with `--expose-gc`), sampled',
    `every ${sampleMs / 1000} s; growth compares the median of the second fifth of the run (after a fifth of warm-up)`,
    'with the median of the last fifth. The run begins after the views converged and then',
    `${settleMs / 1000} s of idling (\`--settle-seconds\`): what happens meanwhile belongs to the startup, and is reported apart.`,
    '',
    ...describeMachine(),
    `- Command: \`pnpm soak${count === 10 && durationMs === 600_000 ? '' : ` -- --nodes ${count} --minutes ${durationMs / 60_000}`}\`, ${count} nodes, ${durationMs / 60_000} minutes`,
    '',
    verdict,
    '',
    `False alarms in the ${settleMs / 1000} s of idling after the views converged, before the run, not counted above: ${settling.length}` +
      (settling.length === 0 ? '.' : ` (${[...new Set(settling.map(({ event }) => event.member?.name ?? '?'))].join(', ')} suspected).`),
    '',
    rates,
    '',
    callLine,
    '',
    heapTable,
    ''
  ].join('\n')
  console.log(`\n${report}`)
  for (const { observer, event } of settling) console.log(`false alarm while settling, on ${observer}: ${JSON.stringify(event)}`)
  for (const { observer, event } of changes) console.log(`false alarm on ${observer}: ${JSON.stringify(event)}`)
  if (values.write) {
    const target = join(import.meta.dirname, '..', '..', 'docs', 'SOAK.md')
    writeFileSync(target, report)
    console.log(`wrote ${target}`)
  }
} finally {
  await Promise.all(nodes.map(async node => { await node.kill() }))
}
process.exit(exitCode)

/** A member suspected, removed as dead, or joining again: none of these should happen when nothing fails. */
function isFalseAlarm (event: PrintedEvent): boolean {
  return event.event === 'member:suspect' || event.event === 'member:join' || (event.event === 'member:leave' && event.reason !== 'left')
}
