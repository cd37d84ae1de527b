import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { do_not_optimize } from 'mitata'
import { decodeRecord, encodeRecord, memberRecord, MemberTable } from '@meshbalancer/core/protocol'
import { converged, startProcesses } from '@meshbalancer/testing'
import { median, nanosecondsPerCall } from '../measure.js'
import { cpuSeconds, ioBytes, rssMiB } from '../process-stats.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { MemberRecord } from '@meshbalancer/core'
import type { NodeProcess } from '@meshbalancer/testing'

const SIZES = [5, 10, 20]
const WINDOW_MS = 10_000
/**
 * Views converge before every connection is made: on 2 cores, 20 processes go on dialling (and republishing for
 * each new subscriber) for some 20 s after they all see each other, which made their record rates look a third higher.
 */
const SETTLE_MS = 30_000
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

/** What a member costs the others, as the cluster grows: real processes at 5, 10 and 20, and per member in process. */
export const scaling: Suite = {
  name: 'scaling',
  summary: 'what grows with cluster size: records, bytes, CPU and memory per node at 5, 10 and 20 processes',
  async run () {
    const rows: string[][] = []
    let atTen: Idle | undefined
    for (const size of SIZES) {
      console.log(`scaling: ${size} processes`)
      const idle = await measureIdle(size)
      if (size === 10) atTen = idle
      rows.push([String(size), idle.published.toFixed(2), idle.records.toFixed(1), idle.kib.toFixed(1), idle.cpu.toFixed(2), idle.rss.toFixed(1)])
    }
    // The same 10 processes with heartbeats 4× as often: the difference is what one more record costs a node,
    // everything included (noise, yamux, gossipsub and its duplicates, signature checks, the core).
    console.log('scaling: 10 processes, heartbeat 250 ms')
    const fast = await measureIdle(10, ['--heartbeat-ms', '250', '--suspect-after-ms', '500', '--dead-after-ms', '750'])
    const extraRecords = fast.records - atTen!.records
    const cpuPerRecordUs = (fast.cpu - atTen!.cpu) / 100 / extraRecords * 1e6
    const bytesPerRecord = (fast.kib - atTen!.kib) * 1024 / extraRecords
    const processes = table(['processes', 'records published per node per s', 'records accepted per node per s', 'KiB read + written per node per s', 'CPU per node, %', 'RSS per node, MiB'], rows)

    const recordBytes = encodeRecord(record(1)).byteLength
    const memberBytes = bytesPerMember()
    let sequence = 2
    const encoded = Array.from({ length: 1000 }, (_, i) => encodeRecord(record(i)))
    const table1000 = new MemberTable({ localId: 'self', suspectAfterMs: 2000, deadAfterMs: 3000 })
    for (const bytes of encoded) table1000.apply(decodeRecord(bytes), 0)
    let n = 0
    const perRecord = await nanosecondsPerCall(() => {
      // A heartbeat: decode, validate, and refresh the member in a table of 1,000.
      const next = decodeRecord(encodeRecord(record(n % 1000, sequence + Math.floor(n / 1000))))
      do_not_optimize(table1000.apply(next, 0))
      n++
    })
    sequence++
    const encodeOnly = await nanosecondsPerCall(() => { do_not_optimize(encodeRecord(record(n++ % 1000))) })
    const inProcess = table(['measure', 'value'], [
      ['bytes of a typical record (1 group, 1 tag, 1 address)', String(recordBytes)],
      ['10 processes, heartbeat 250 ms: records accepted per node per s / CPU per node', `${fast.records.toFixed(1)} / ${fast.cpu.toFixed(2)} %`],
      ['CPU of one more record received, per node, everything included (from the two runs at 10)', `${cpuPerRecordUs.toFixed(0)} µs`],
      ['bytes read + written per node for one more record, all copies and framing included', `${bytesPerRecord.toFixed(0)} B`],
      ['heap per member in the member table (10,000 members)', `${memberBytes.toFixed(0)} B`],
      ['CPU of one received record in core: decode, validate, apply (excluding encode)', `${((perRecord - encodeOnly) / 1000).toFixed(2)} µs`]
    ])
    console.log(processes)
    console.log(inProcess)
    return [
      '## Scaling',
      '',
      `Idle \`meshbalancer node\` processes on this machine (default timings), over ${WINDOW_MS / 1000} s after ${SETTLE_MS / 1000} s of settling, median node. Every`,
      'member hears every other member\'s heartbeat once a second, so records per node grow with the cluster (n − 1),',
      'and cluster-wide traffic with its square. Bytes are what each process read and wrote (/proc/<pid>/io), all',
      'protocols included. Figures are absolute; docs/SCALING.md reads them.',
      '',
      processes,
      '',
      inProcess
    ].join('\n')
  }
}

interface Sample { published: number, accepted: number, bytes: number, cpu: number, rss: number }

/** Medians over the nodes of `size` idle processes, over WINDOW_MS. */
interface Idle { published: number, records: number, kib: number, cpu: number, rss: number }

async function measureIdle (size: number, args: string[] = []): Promise<Idle> {
  const nodes = await startProcesses(size, args)
  try {
    await converged(nodes, 60_000)
    await sleep(SETTLE_MS)
    const before = await Promise.all(nodes.map(async node => await sample(node)))
    await sleep(WINDOW_MS)
    const after = await Promise.all(nodes.map(async node => await sample(node)))
    const seconds = WINDOW_MS / 1000
    const per = (f: (a: Sample, b: Sample) => number): number => median(nodes.map((_, i) => f(before[i]!, after[i]!)))
    return {
      published: per((a, b) => (b.published - a.published) / seconds),
      records: per((a, b) => (b.accepted - a.accepted) / seconds),
      kib: per((a, b) => (b.bytes - a.bytes) / seconds) / 1024,
      cpu: per((a, b) => (b.cpu - a.cpu) / seconds * 100),
      rss: median(after.map(s => s.rss))
    }
  } finally {
    await Promise.all(nodes.map(async node => { await node.kill() }))
  }
}

async function sample (node: NodeProcess): Promise<Sample> {
  const stats = await node.ask('stats', 'stats')
  return { published: stats.recordsPublished as number, accepted: stats.recordsAccepted as number, bytes: ioBytes(node.pid), cpu: cpuSeconds(node.pid), rss: rssMiB(node.pid) }
}

/** Heap growth of a member table per member, with a garbage collection before each reading. */
function bytesPerMember (): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const members = 10_000
  const records = Array.from({ length: members }, (_, i) => decodeRecord(encodeRecord(record(i))))
  gc()
  const before = process.memoryUsage().heapUsed
  const memberTable = new MemberTable({ localId: 'self', suspectAfterMs: 2000, deadAfterMs: 3000 })
  for (const r of records) memberTable.apply(r, 0)
  memberTable.members()
  gc()
  const after = process.memoryUsage().heapUsed
  do_not_optimize(memberTable)
  return (after - before) / members
}
