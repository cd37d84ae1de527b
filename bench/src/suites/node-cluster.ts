import cluster from 'node:cluster'
import { once } from 'node:events'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createBalancer } from '@meshbalancer/node-cluster'
import { median, ROUNDS } from '../measure.js'
import { percentile } from '../stats.js'
import { table } from '../suite.js'
import type { Suite } from '../suite.js'
import type { Worker } from 'node:cluster'
import type { AddressInfo } from 'node:net'

const WORKERS = 4
const BLOCK_MS = 50
const REQUESTS = 1000
const CONCURRENCY = 4
const WORKER_SCRIPT = join(import.meta.dirname, 'node-cluster-worker.js')
const CLIENT_SCRIPT = join(import.meta.dirname, 'node-cluster-client.js')

interface Run { readonly latencies: number[], readonly slowShare: number, readonly failed: number }

/** One run of the client process against `port`. */
async function run (port: number, slowId: number): Promise<Run> {
  const client = spawn(process.execPath, [CLIENT_SCRIPT, String(port), String(slowId), String(REQUESTS), String(CONCURRENCY)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  client.stdout.setEncoding('utf8')
  client.stdout.on('data', (chunk: string) => { output += chunk })
  const [code] = await once(client, 'exit') as [number | null]
  if (code !== 0) throw new Error(`node-cluster client exited with ${code}`)
  const { latencies, slow, failed } = JSON.parse(output) as { latencies: number[], slow: number, failed: number }
  return { latencies, slowShare: slow / Math.max(1, latencies.length), failed }
}

/** Forks a worker and waits for its ready message; resolves with it and the port it says it listens on. */
async function fork (env: Record<string, string>): Promise<Worker & { port?: number }> {
  const worker: Worker & { port?: number } = cluster.fork(env)
  await new Promise<void>(resolve => {
    worker.on('message', (message: { cmd?: string, port?: number }) => {
      if (message?.cmd !== 'ready') return
      if (message.port !== undefined) worker.port = message.port
      resolve()
    })
  })
  return worker
}

async function stopAll (workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map(async worker => {
    const exited = once(worker, 'exit')
    worker.process.kill('SIGKILL')
    await exited
  }))
}

/** node:cluster's own round robin: the workers listen on one port, the primary deals connections in turn. */
async function roundRobinRuns (blockMs = BLOCK_MS): Promise<Run[]> {
  const env = { MODE: 'shared' }
  const workers = [...await Promise.all(Array.from({ length: WORKERS - 1 }, async () => await fork(env))), await fork({ ...env, BLOCK_MS: String(blockMs) })]
  const port = workers[0]!.port!
  try {
    await run(port, -1) // warm-up
    const runs: Run[] = []
    for (let round = 0; round < ROUNDS; round++) runs.push(await run(port, workers[WORKERS - 1]!.id))
    return runs
  } finally {
    await stopAll(workers)
  }
}

/** The meshbalancer balancer, with its default algorithm (leastLatency) and options. */
async function balancerRuns (): Promise<Run[]> {
  const balancer = createBalancer()
  const { port } = await balancer.listen(0, '127.0.0.1') as AddressInfo
  const workers = [...await Promise.all(Array.from({ length: WORKERS - 1 }, async () => await fork({}))), await fork({ BLOCK_MS: String(BLOCK_MS) })]
  try {
    const deadline = Date.now() + 10_000
    while (balancer.selectable().some(member => member.latencyMs === undefined) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await run(port, -1) // warm-up
    const runs: Run[] = []
    for (let round = 0; round < ROUNDS; round++) runs.push(await run(port, workers[WORKERS - 1]!.id))
    return runs
  } finally {
    await balancer.close()
    await stopAll(workers)
  }
}

const ms = (value: number): string => `${value.toFixed(2)} ms`
const spread = (values: readonly number[], format: (v: number) => string): string => `${format(Math.min(...values))}–${format(Math.max(...values))}`
const pct = (value: number): string => `${(value * 100).toFixed(1)} %`

/** p99 request latency through the node:cluster balancer with one slow worker, against node:cluster's round robin. */
export const nodeCluster: Suite = {
  name: 'node-cluster',
  summary: `${WORKERS} node:cluster workers, one blocked half of the time: p99 through the balancer vs node:cluster round robin`,
  async run () {
    // Round robin in the primary is node:cluster's default on Linux; set here so that it is what is measured.
    cluster.schedulingPolicy = cluster.SCHED_RR
    cluster.setupPrimary({ exec: WORKER_SCRIPT, execArgv: [], silent: false })
    console.log('node-cluster: node:cluster round robin')
    const rr = await roundRobinRuns()
    console.log('node-cluster: meshbalancer balancer, leastLatency')
    const ours = await balancerRuns()
    console.log('node-cluster: node:cluster round robin, no slow worker (the machine\'s own p99)')
    const floor = await roundRobinRuns(0)
    const p = (runs: Run[], q: number): number[] => runs.map(r => percentile(r.latencies, q))
    const ratios = ours.map((r, i) => percentile(r.latencies, 99) / percentile(rr[i]!.latencies, 99))
    const ratio = median(ratios)
    const rows = [
      ['p50 request latency', ms(median(p(ours, 50))), spread(p(ours, 50), ms), ms(median(p(rr, 50))), spread(p(rr, 50), ms), '—', '—'],
      ['p99 request latency', ms(median(p(ours, 99))), spread(p(ours, 99), ms), ms(median(p(rr, 99))), spread(p(rr, 99), ms), '—', '—'],
      ['p99 ours / round robin (ratio)', `${ratio.toFixed(2)}×`, spread(ratios, v => `${v.toFixed(2)}×`), '—', '—', '≤ 0.5×', ratio <= 0.5 ? 'yes' : '**no**'],
      ['share of connections to the slow worker', pct(median(ours.map(r => r.slowShare))), spread(ours.map(r => r.slowShare), pct), pct(median(rr.map(r => r.slowShare))), spread(rr.map(r => r.slowShare), pct), '≤ 10 % (ours)', median(ours.map(r => r.slowShare)) <= 0.1 ? 'yes' : '**no**'],
      ['p99 with no slow worker, round robin (the machine\'s own)', '—', '—', ms(median(p(floor, 99))), spread(p(floor, 99), ms), '—', '—'],
      ['failed requests (all runs)', String(ours.reduce((n, r) => n + r.failed, 0)), '—', String(rr.reduce((n, r) => n + r.failed, 0)), '—', '0', ours.every(r => r.failed === 0) ? 'yes' : '**no**']
    ]
    const rendered = table(['measure', 'balancer (leastLatency)', 'spread', 'node:cluster round robin', 'spread', 'target', 'meets'], rows)
    console.log(rendered)
    return [
      '## node:cluster connection balancer',
      '',
      `${WORKERS} node:cluster workers serving HTTP on 127.0.0.1, one of them with its event loop blocked for ${BLOCK_MS} ms out of`,
      `every ${2 * BLOCK_MS} ms. ${REQUESTS} requests per run, ${CONCURRENCY} at a time, each on a new connection (so that each is a balancing`,
      'decision), timed by a client in a process of its own. Against: node:cluster\'s own round robin (`SCHED_RR`, workers',
      'listening on one shared port), measured in the same run with the same workers and client. Through ours: the',
      '`@meshbalancer/node-cluster` balancer with its defaults (leastLatency, pings every 250 ms). Each figure is the',
      `median over ${ROUNDS} runs; latencies are absolute, the ratio is comparable across machines. The row with no slow`,
      'worker is the p99 that the machine itself (other processes, scheduling) gives every request: what is above it',
      'is the slow worker\'s doing.',
      '',
      rendered
    ].join('\n')
  }
}
