import { fork } from 'node:child_process'
import { join } from 'node:path'
import { RECOMMENDED_NODE_FLAGS } from '@meshbalancer/testing'
import { median, ROUNDS } from '../measure.js'
import { percentile } from '../stats.js'
import { table } from '../suite.js'
import { PAYLOAD } from '../rpc/messages.js'
import type { ChildProcess } from 'node:child_process'
import type { FromPeer, Kind, RunOrder, RunResult, ServerReady } from '../rpc/messages.js'
import type { Suite } from '../suite.js'

const KINDS: readonly Kind[] = ['meshbalancer', 'http', 'ws']
const LABELS: Record<Kind, string> = { meshbalancer: 'meshbalancer `call`', http: 'node:http keep-alive', ws: 'WebSocket RPC (`ws`)' }
/** Calls of each run one at a time, for p50 and p99. */
const LATENCY_CALLS = 1000
/** Calls of each run at {@link IN_FLIGHT} at a time, for throughput. */
const THROUGHPUT_CALLS = 5000
const IN_FLIGHT = 64
/** Calls made, and not counted, before every run: connections open, code optimised, buffers sized. */
const WARM_CALLS = 200
const PEER = join(import.meta.dirname, '..', 'rpc', 'peer.js')

interface Runs { perSecond: number[], p50: number[], p99: number[], failed: number }

/**
 * meshbalancer's `call` against what a service would use instead, between the same two processes in the same run:
 * node:http with keep-alive, and request ids over one WebSocket.
 */
export const rpc: Suite = {
  name: 'rpc',
  summary: 'cluster.call against node:http keep-alive and a ws RPC, between the same two processes, 1 and 64 in flight',
  async run () {
    const server = await start(['server'])
    const target = await receive<ServerReady>(server, 'server-ready')
    const client = await start(['client', JSON.stringify(target)])
    const runs = new Map<Kind, Runs>(KINDS.map(kind => [kind, { perSecond: [], p50: [], p99: [], failed: 0 }]))
    try {
      await receive(client, 'client-ready')
      for (let round = 0; round < ROUNDS; round++) {
        // Kinds take turns within a round, starting with another each time, so that drift of the machine (other
        // load, frequency) spreads over all three.
        for (let k = 0; k < KINDS.length; k++) {
          const kind = KINDS[(round + k) % KINDS.length]!
          const totals = runs.get(kind)!
          await order(client, { kind, calls: WARM_CALLS, concurrency: 1, samples: false })
          const latency = await order(client, { kind, calls: LATENCY_CALLS, concurrency: 1, samples: true })
          await order(client, { kind, calls: WARM_CALLS, concurrency: IN_FLIGHT, samples: false })
          const throughput = await order(client, { kind, calls: THROUGHPUT_CALLS, concurrency: IN_FLIGHT, samples: false })
          totals.p50.push(percentile(latency.samples, 50))
          totals.p99.push(percentile(latency.samples, 99))
          totals.perSecond.push(THROUGHPUT_CALLS / (throughput.elapsedMs / 1000))
          totals.failed += latency.failed + throughput.failed
          const error = latency.firstError ?? throughput.firstError
          console.log(`rpc: round ${round + 1} ${kind}: p50 ${totals.p50.at(-1)!.toFixed(3)} ms, ${totals.perSecond.at(-1)!.toFixed(0)} calls/s${error === undefined ? '' : `, failed: ${error}`}`)
        }
      }
    } finally {
      await stop(client)
      await stop(server)
    }
    return render(runs)
  }
}

function render (runs: Map<Kind, Runs>): string {
  const of = (kind: Kind): Runs => runs.get(kind)!
  const cell = (values: number[], digits: number, unit = ''): string =>
    `${format(median(values), digits)}${unit} (${format(Math.min(...values), digits)}–${format(Math.max(...values), digits)})`
  const ratio = (values: (kind: Kind) => number[], peer: Kind): number => median(values('meshbalancer')) / median(values(peer))
  const perSecond = (kind: Kind): number[] => of(kind).perSecond
  const p50 = (kind: Kind): number[] => of(kind).p50
  const p99 = (kind: Kind): number[] => of(kind).p99
  const throughputRatio = ratio(perSecond, 'http')
  const p50Ratio = ratio(p50, 'http')
  const rows = [
    [`calls per second, ${IN_FLIGHT} in flight`, ...KINDS.map(kind => cell(perSecond(kind), 0)), `${throughputRatio.toFixed(2)}×`, `${ratio(perSecond, 'ws').toFixed(2)}×`, `≥ 1.0× (${throughputRatio >= 1 ? 'yes' : '**no**'})`],
    ['p50, one call at a time', ...KINDS.map(kind => cell(p50(kind), 3, ' ms')), `${p50Ratio.toFixed(2)}×`, `${ratio(p50, 'ws').toFixed(2)}×`, `≤ 1.5× (${p50Ratio <= 1.5 ? 'yes' : '**no**'})`],
    ['p99, one call at a time', ...KINDS.map(kind => cell(p99(kind), 3, ' ms')), `${ratio(p99, 'http').toFixed(2)}×`, `${ratio(p99, 'ws').toFixed(2)}×`, '—'],
    ['calls failed (all runs)', ...KINDS.map(kind => String(of(kind).failed)), '—', '—', '—']
  ]
  const rendered = table(['measure', ...KINDS.map(kind => LABELS[kind]), 'meshbalancer ÷ http', 'meshbalancer ÷ ws', 'target for ÷ http'], rows)
  console.log(rendered)
  return [
    '## RPC against plain HTTP and WebSocket',
    '',
    'Two processes on this machine, started with `--max-semi-space-size=2`: a server that is a meshbalancer node',
    '(libp2p over TCP on 127.0.0.1) serving `echo`, and also a node:http server and a `ws` WebSocket server; and a',
    'client that is a meshbalancer node joined to it, and calls `echo` three ways, taking turns in one run:',
    '`cluster.call(serverId, \'echo\', payload)`; a POST through an `http.Agent` with keep-alive (one connection per',
    'call in flight); and request ids with JSON over one WebSocket. Each answers with the JSON it was sent, decoding',
    `and encoding it on both sides; the payload is \`${JSON.stringify(PAYLOAD)}\`.`,
    `Every run is preceded by ${WARM_CALLS} calls that are not counted, at its own concurrency; a run is`,
    `${LATENCY_CALLS} calls one at a time (p50, p99) and ${THROUGHPUT_CALLS} calls ${IN_FLIGHT} at a time (calls per`,
    `second). Each figure is the median over ${ROUNDS} runs, the lowest and highest run in parentheses; times are`,
    'absolute (they depend on the machine), the ratios (ours ÷ theirs: above 1 is more calls per second, or a',
    'longer time) compare across machines.',
    '',
    rendered
  ].join('\n')
}

function format (value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

async function start (args: string[]): Promise<ChildProcess> {
  const child = fork(PEER, args, { execArgv: [...RECOMMENDED_NODE_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  child.once('exit', code => { if (code !== 0 && code !== null) console.error(`rpc: peer ${args[0]!} exited with ${code}`) })
  return child
}

/** The next message of type `type` from a peer; rejects when the peer exits first or after 60 s. */
async function receive<T extends FromPeer> (child: ChildProcess, type: T['type']): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error(`no ${type} from the peer within 60 s`)) }, 60_000)
    const onMessage = (message: FromPeer): void => {
      if (message.type !== type) return
      done()
      resolve(message as T)
    }
    const onExit = (code: number | null): void => { done(); reject(new Error(`the peer exited with ${code} before ${type}`)) }
    const done = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function order (client: ChildProcess, run: Omit<RunOrder, 'type'>): Promise<RunResult> {
  const result = receive<RunResult>(client, 'result')
  client.send({ type: 'run', ...run } satisfies RunOrder)
  return await result
}

async function stop (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => { child.once('exit', resolve) })
  child.send({ type: 'stop' })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
  await exited
  clearTimeout(timer)
}
