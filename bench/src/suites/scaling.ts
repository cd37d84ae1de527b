import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { do_not_optimize } from 'mitata'
import { defaults } from '@meshbalancer/core'
import { decodeRecord, encodeRecord, memberRecord, MemberTable, REFRESH_JITTER, refreshIntervalFor } from '@meshbalancer/core/protocol'
import { converged, startProcesses } from '@meshbalancer/testing'
import { startBareCluster } from '../bare.js'
import { median, nanosecondsPerCall } from '../measure.js'
import { cpuSeconds, ioBytes, rssMiB } from '../process-stats.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { MemberRecord } from '@meshbalancer/core'
import type { NodeProcess } from '@meshbalancer/testing'

const SIZES = [5, 10, 20]
/** Sizes of the run with loads changing on every node. */
const LOADED_SIZES = [10, 20]
/** The shortest window; bare nodes and the loaded runs use it. */
const WINDOW_MS = 30_000
/**
 * Views converge before every connection is made: on 2 cores, 20 processes go on dialling for some 20 s after
 * they all see each other. Bare nodes are connected by the suite itself, and settle sooner.
 */
const SETTLE_MS = 30_000
const BARE_SETTLE_MS = 10_000

/**
 * When an idle run of `size` members is measured: after every member's first refresh (each is due up to 1.25 ×
 * the interval after the member's start, which publishes too), so that the window holds the steady state, not the
 * burst of starts. Every size is measured over the same window, the longest refresh interval of {@link SIZES}
 * (142.5 s at 20): each window holds on average one refresh of every member at 20 (the jitter spreads a member's
 * gaps over 107 to 178 s there), about 2 at 10 and 4.75 at 5. A window of one interval at each size held only 4 to
 * 5 refreshes per node at 5 members (30 s), so the bytes of that size moved from run to run.
 */
function idleTiming (size: number): { settleMs: number, windowMs: number } {
  const refreshMs = refreshIntervalFor(defaults.DEFAULT_REFRESH_INTERVAL_MS, size)
  return { settleMs: Math.max(SETTLE_MS, refreshMs * (1 + REFRESH_JITTER) + 5000), windowMs: IDLE_WINDOW_MS }
}
/** The idle window of every size (see {@link idleTiming}). */
const IDLE_WINDOW_MS = Math.max(WINDOW_MS, ...SIZES.map(members => refreshIntervalFor(defaults.DEFAULT_REFRESH_INTERVAL_MS, members)))
/** Every node's load changes this often per second in the loaded run (one `load` command every 10 ms). */
const LOAD_CHANGES_PER_SECOND = 100
/**
 * The cluster-wide budget of load records per second, which bounds what each node receives whatever n: the
 * cluster's default (option `loadRecordsPerSecond`).
 */
const LOAD_BUDGET = defaults.DEFAULT_LOAD_RECORDS_PER_SECOND
/**
 * Extra flags for every `meshbalancer node` of the suite, for example
 * `MESHBALANCER_SCALING_FLAGS='--probe-interval-ms 2000'` (space-separated).
 */
const EXTRA_FLAGS = (process.env.MESHBALANCER_SCALING_FLAGS ?? '').split(/\s+/).filter(flag => flag !== '')
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

const record = (i: number, sequence = 1): MemberRecord => memberRecord({
  origin: `12D3KooW${String(i).padStart(44, 'x')}`,
  name: `api-${i}`,
  incarnation: 1_795_000_000_000 + i,
  sequence,
  status: 'active',
  groups: new Map([['ws', 500 + i % 50]]),
  weight: 1,
  tags: { zone: 'eu-west-1a' },
  eventLoopLagMs: 10,
  clientAddress: `ws://10.0.${i >> 8}.${i & 255}:8080`,
  addresses: [`/ip4/10.0.${i >> 8}.${i & 255}/tcp/4001`]
})

/** Medians over the nodes of one run, over its window; `counters` are rates of the detector's stats. */
interface Idle { published: number, records: number, kib: number, cpu: number, rss: number, counters: Record<string, number> }

/**
 * Numeric fields of a node's `stats` read as membership counters: the failure detector's (`probes…`,
 * `indirectProbes…`, `claims…`, `suspicions…`, `refutations`, `falseClaims`) and push-pull's (`sync…`).
 */
const DETECTOR_COUNTER = /^(probes|indirectProbes|claims|suspicions|refutations|falseClaims|sync)/

/** What a member costs the others as the cluster grows: real processes at 5, 10 and 20, against bare libp2p nodes. */
export const scaling: Suite = {
  name: 'scaling',
  summary: 'what grows with cluster size: CPU, bytes and records per node at 5, 10 and 20 processes, against bare libp2p + gossipsub nodes',
  async run () {
    const ours = new Map<number, Idle>()
    const bare = new Map<number, Idle>()
    for (const size of SIZES) {
      console.log(`scaling: ${size} meshbalancer processes, idle`)
      ours.set(size, await measureNodes(size))
      console.log(`scaling: ${size} bare libp2p + gossipsub processes (default settings), idle`)
      bare.set(size, await measureBare(size))
    }
    const loaded = new Map<number, Idle>()
    for (const size of LOADED_SIZES) {
      console.log(`scaling: ${size} meshbalancer processes, loads changing ${LOAD_CHANGES_PER_SECOND}×/s on every node`)
      loaded.set(size, await measureNodes(size, true))
    }

    const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '—')
    const processes = table(
      ['processes', 'records published / accepted per node per s', 'KiB read + written per node per s (bare)', 'CPU per node, % (bare)', 'CPU over bare', 'RSS per node, MiB (bare)'],
      SIZES.map(size => {
        const o = ours.get(size)!
        const b = bare.get(size)!
        return [String(size), `${o.published.toFixed(2)} / ${o.records.toFixed(1)}`, `${o.kib.toFixed(1)} (${b.kib.toFixed(1)})`, `${o.cpu.toFixed(2)} (${b.cpu.toFixed(2)})`, ratio(o.cpu, b.cpu), `${o.rss.toFixed(1)} (${b.rss.toFixed(1)})`]
      })
    )
    const first = ours.get(SIZES[0]!)!
    const last = ours.get(SIZES.at(-1)!)!
    const ten = ours.get(10)!
    const yes = (ok: boolean): string => (ok ? 'yes' : '**no**')
    const acceptance = table(['acceptance', 'measured', 'bar', 'met'], [
      ['idle CPU per node at 10 processes', `${ten.cpu.toFixed(2)} %`, '≤ 1.5 %', yes(ten.cpu <= 1.5)],
      ['idle CPU per node, 20 / 5 processes', ratio(last.cpu, first.cpu), '≤ 1.3×', yes(last.cpu <= 1.3 * first.cpu)],
      ['idle bytes per node, 20 / 5 processes', ratio(last.kib, first.kib), '≤ 1.3×', yes(last.kib <= 1.3 * first.kib)],
      ...LOADED_SIZES.map(size => {
        const l = loaded.get(size)!
        return [`loads changing ${LOAD_CHANGES_PER_SECOND}×/s on every node, ${size} processes: records accepted per node per s`, l.records.toFixed(1), `≤ ${LOAD_BUDGET} (the budget) + 10 %`, yes(l.records <= LOAD_BUDGET * 1.1)]
      })
    ])
    const loadedTable = table(['processes', 'records published / accepted per node per s', 'KiB per node per s', 'CPU per node, %'],
      LOADED_SIZES.map(size => {
        const l = loaded.get(size)!
        return [String(size), `${l.published.toFixed(2)} / ${l.records.toFixed(1)}`, l.kib.toFixed(1), l.cpu.toFixed(2)]
      }))
    const counterKeys = [...new Set(SIZES.flatMap(size => Object.keys(ours.get(size)!.counters)))].sort()
    const counters = counterKeys.length === 0
      ? 'The nodes report no failure-detector counters (`probes…`, `claims…` in `stats`).'
      : table(['processes', ...counterKeys.map(key => `${key} per node per s`)], SIZES.map(size => [String(size), ...counterKeys.map(key => (ours.get(size)!.counters[key] ?? 0).toFixed(2))]))
    const loadedTen = loaded.get(10)!
    const cpuPerRecordUs = (loadedTen.cpu - ten.cpu) / 100 / (loadedTen.records - ten.records) * 1e6
    const bytesPerRecord = (loadedTen.kib - ten.kib) * 1024 / (loadedTen.records - ten.records)
    const inProcess = table(['measure', 'value'], [
      ['bytes of a typical record (1 group, 1 tag, 1 address)', String(encodeRecord(record(1)).byteLength)],
      ['CPU of one more record received, per node, everything included (idle and loaded runs at 10)', Number.isFinite(cpuPerRecordUs) && cpuPerRecordUs > 0 ? `${cpuPerRecordUs.toFixed(0)} µs` : '—'],
      ['bytes read + written per node for one more record received, all copies and framing included', Number.isFinite(bytesPerRecord) && bytesPerRecord > 0 ? `${bytesPerRecord.toFixed(0)} B` : '—'],
      ['heap per member in the member table (10,000 members)', `${bytesPerMember().toFixed(0)} B`],
      ['CPU of one received record in core: decode, validate, apply (excluding encode)', `${(await coreCostPerRecordNs() / 1000).toFixed(2)} µs`]
    ])
    console.log(acceptance)
    console.log(processes)
    console.log(loadedTable)
    console.log(counters)
    console.log(inProcess)
    return [
      '## Scaling',
      '',
      `Idle \`meshbalancer node\` processes on this machine (default timings${EXTRA_FLAGS.length > 0 ? `, plus \`${EXTRA_FLAGS.join(' ')}\`` : ''}), median node, over the same window at`,
      `every size, the longest refresh interval (${(IDLE_WINDOW_MS / 1000).toFixed(1)} s, at ${SIZES.at(-1)} members), once every member has refreshed at least once (${SIZES.map(size => `${size}: after ${Math.round(idleTiming(size).settleMs / 1000)} s`).join(', ')});`,
      `beside each, in the same run, as many bare libp2p 3 + gossipsub processes over ${WINDOW_MS / 1000} s after ${BARE_SETTLE_MS / 1000} s (the same stack with the libraries\'`,
      'default settings, every pair dialled, subscribed to one topic, publishing nothing): what the stack costs before',
      `meshbalancer does anything. Bytes are what each process read and wrote (/proc/<pid>/io), all protocols included.`,
      `The loaded runs change every node's load ${LOAD_CHANGES_PER_SECOND} times a second (\`load ws N\`, N alternating between 100 and`,
      `200, so that every change is significant): what each node receives is bounded by the cluster-wide budget of ${LOAD_BUDGET} load`,
      'records a second, whatever n. Figures are absolute; docs/SCALING.md reads them.',
      '',
      acceptance,
      '',
      processes,
      '',
      loadedTable,
      '',
      counters,
      '',
      inProcess
    ].join('\n')
  }
}

interface Sample { published: number, accepted: number, bytes: number, cpu: number, rss: number, counters?: Record<string, number> }

/** `size` meshbalancer nodes, idle or with every node's load changing LOAD_CHANGES_PER_SECOND times a second. */
async function measureNodes (size: number, loadsChanging = false): Promise<Idle> {
  const nodes = await startProcesses(size, ['--load', 'ws=100', ...EXTRA_FLAGS])
  let timer: NodeJS.Timeout | undefined
  try {
    await converged(nodes, 60_000)
    if (loadsChanging) {
      let high = false
      timer = setInterval(() => {
        high = !high
        for (const node of nodes) node.send(`load ws ${high ? 200 : 100}`)
      }, 1000 / LOAD_CHANGES_PER_SECOND)
    }
    const { settleMs, windowMs } = loadsChanging ? { settleMs: SETTLE_MS, windowMs: WINDOW_MS } : idleTiming(size)
    await sleep(settleMs)
    const sample = async (node: NodeProcess): Promise<Sample> => {
      const stats = await node.ask('stats', 'stats')
      const counters = Object.fromEntries(Object.entries(stats).filter(([key, value]) => DETECTOR_COUNTER.test(key) && typeof value === 'number')) as Record<string, number>
      return { published: stats.recordsPublished as number, accepted: stats.recordsAccepted as number, bytes: ioBytes(node.pid), cpu: cpuSeconds(node.pid), rss: rssMiB(node.pid), counters }
    }
    return await window(nodes.map(node => async () => await sample(node)), windowMs)
  } finally {
    if (timer !== undefined) clearInterval(timer)
    await Promise.all(nodes.map(async node => { await node.kill() }))
  }
}

/** `size` bare libp2p + gossipsub nodes with default settings, connected, idle. */
async function measureBare (size: number): Promise<Idle> {
  const nodes = await startBareCluster(size)
  try {
    await sleep(BARE_SETTLE_MS)
    return await window(nodes.map(node => () => ({ published: 0, accepted: 0, bytes: ioBytes(node.pid), cpu: cpuSeconds(node.pid), rss: rssMiB(node.pid) })), WINDOW_MS)
  } finally {
    await Promise.all(nodes.map(async node => { await node.kill() }))
  }
}

/** Samples every node before and after `windowMs`; medians over nodes of the rates. */
async function window (samplers: ReadonlyArray<() => Sample | Promise<Sample>>, windowMs: number): Promise<Idle> {
  const before = await Promise.all(samplers.map(async sample => await sample()))
  await sleep(windowMs)
  const after = await Promise.all(samplers.map(async sample => await sample()))
  const seconds = windowMs / 1000
  const per = (f: (a: Sample, b: Sample) => number): number => median(samplers.map((_, i) => f(before[i]!, after[i]!)))
  return {
    published: per((a, b) => (b.published - a.published) / seconds),
    records: per((a, b) => (b.accepted - a.accepted) / seconds),
    kib: per((a, b) => (b.bytes - a.bytes) / seconds) / 1024,
    cpu: per((a, b) => (b.cpu - a.cpu) / seconds * 100),
    rss: median(after.map(s => s.rss)),
    counters: Object.fromEntries(Object.keys(after[0]?.counters ?? {}).map(key => [key, per((a, b) => ((b.counters?.[key] ?? 0) - (a.counters?.[key] ?? 0)) / seconds)]))
  }
}

/** A member table for the in-process figures: liveness is the failure detector's, so it takes no timers. */
function memberTable (): MemberTable {
  return new MemberTable({ localId: 'self' })
}

/** Nanoseconds of decoding, validating and applying one record to a table of 1,000, encoding excluded. */
async function coreCostPerRecordNs (): Promise<number> {
  const table1000 = memberTable()
  for (let i = 0; i < 1000; i++) table1000.apply(decodeRecord(encodeRecord(record(i))), 0)
  let n = 0
  const sequence = 2
  const perRecord = await nanosecondsPerCall(() => {
    const next = decodeRecord(encodeRecord(record(n % 1000, sequence + Math.floor(n / 1000))))
    do_not_optimize(table1000.apply(next, 0))
    n++
  })
  const encodeOnly = await nanosecondsPerCall(() => { do_not_optimize(encodeRecord(record(n++ % 1000))) })
  return perRecord - encodeOnly
}

/** Heap growth of a member table per member, with a garbage collection before each reading. */
function bytesPerMember (): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const members = 10_000
  const records = Array.from({ length: members }, (_, i) => decodeRecord(encodeRecord(record(i))))
  gc()
  const before = process.memoryUsage().heapUsed
  const table10000 = memberTable()
  for (const r of records) table10000.apply(r, 0)
  table10000.members()
  gc()
  const after = process.memoryUsage().heapUsed
  do_not_optimize(table10000)
  return (after - before) / members
}
