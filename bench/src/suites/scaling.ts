import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { do_not_optimize } from 'mitata'
import { decodeRecord, encodeRecord, MemberTable } from '@meshbalancer/core'
import { converged, startProcesses } from '@meshbalancer/gossip/testing'
import { median, nanosecondsPerCall } from '../measure.js'
import { cpuSeconds, rssMiB } from '../process-stats.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { MemberRecord } from '@meshbalancer/core'
import type { NodeProcess } from '@meshbalancer/gossip/testing'

const SIZES = [5, 10, 20]
const WINDOW_MS = 10_000
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

const record = (i: number, sequence = 1): MemberRecord => ({
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
    for (const size of SIZES) {
      console.log(`scaling: ${size} processes`)
      const nodes = await startProcesses(size)
      try {
        await converged(nodes, 60_000)
        await sleep(3000)
        const before = await Promise.all(nodes.map(async node => await sample(node)))
        await sleep(WINDOW_MS)
        const after = await Promise.all(nodes.map(async node => await sample(node)))
        const seconds = WINDOW_MS / 1000
        const per = (f: (a: Sample, b: Sample) => number): number => median(nodes.map((_, i) => f(before[i]!, after[i]!)))
        rows.push([
          String(size),
          per((a, b) => (b.accepted - a.accepted) / seconds).toFixed(1),
          (per((a, b) => (b.bytes - a.bytes) / seconds) / 1024).toFixed(1),
          per((a, b) => (b.cpu - a.cpu) / seconds * 100).toFixed(2),
          median(after.map(s => s.rss)).toFixed(1)
        ])
      } finally {
        await Promise.all(nodes.map(async node => { await node.kill() }))
      }
    }
    const processes = table(['processes', 'records accepted per node per s', 'KiB read + written per node per s', 'CPU per node, %', 'RSS per node, MiB'], rows)

    const bytesPerRecord = encodeRecord(record(1)).byteLength
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
      ['bytes of a typical record (1 group, 1 tag, 1 address)', String(bytesPerRecord)],
      ['heap per member in the member table (10,000 members)', `${memberBytes.toFixed(0)} B`],
      ['CPU of one received record in core: decode, validate, apply (excluding encode)', `${((perRecord - encodeOnly) / 1000).toFixed(2)} µs`]
    ])
    console.log(processes)
    console.log(inProcess)
    return [
      '## Scaling',
      '',
      `Idle \`meshbalancer node\` processes on this machine (default timings), over ${WINDOW_MS / 1000} s, median node. Every`,
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

interface Sample { accepted: number, bytes: number, cpu: number, rss: number }

async function sample (node: NodeProcess): Promise<Sample> {
  const from = node.events.length
  node.send('stats')
  const stats = await node.next(event => event.event === 'stats', 10_000, from)
  const io = readFileSync(`/proc/${node.pid}/io`, 'utf8')
  const field = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(io)?.[1] ?? 0)
  return { accepted: stats.recordsAccepted as number, bytes: field('rchar') + field('wchar'), cpu: cpuSeconds(node.pid), rss: rssMiB(node.pid) }
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
