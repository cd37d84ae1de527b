import { parseArgs } from 'node:util'
import { PLACEMENT_ALGORITHMS } from './placement.js'
import type { ShedMode } from '@meshbalancer/core'

export interface MeshOptions {
  nodes: number
  clients: number
  /** The modes to run, in order: one for a live run, both (exact, then parallel) for a report by default. */
  modes: ShedMode[]
  roundSeconds: number
  deploy: boolean
  front: 'none' | 'haproxy'
  /** HAProxy's `balance`, with `--front haproxy`. */
  balance: 'roundrobin' | 'leastconn'
  /** The servers run HAProxy agents and the front door asks them for weights (the recommended configuration). */
  agent: boolean
  /** A server to SIGKILL once the mesh is balanced after the deploy (or after connecting, without one). */
  kill: string | undefined
  json: boolean
  /** Clients follow the servers' reconnect hints, or reconnect at random. */
  reconnect: 'hint' | 'random'
  dashboardPort: number
  /** Place new clients with this algorithm over the servers' gossiped counts, instead of at random. */
  algorithm: string | undefined
  /** After a live run, keep the mesh and dashboard up until Ctrl-C. */
  linger: boolean
}

export const USAGE = `usage: pnpm example:mesh [-- options]

Starts N WebSocket servers that each embed a meshbalancer node, connects M clients that reconnect when closed,
restarts every server in turn (a rolling deploy), and shows how the servers shed their own excess until balanced.

  --nodes N              servers (default 4)
  --clients M            WebSocket clients (default 2000)
  --mode MODE            exact, parallel or both (default parallel; both with --json)
  --round-seconds S      shedding round duration (default 2)
  --no-deploy            only connect and balance; no restarts
  --front haproxy        put Debian's HAProxy in front, configured as websocket-service/HAPROXY.md
                         recommends (apt-get install haproxy)
  --balance HOW          HAProxy's balance, roundrobin (default) or leastconn; with --front haproxy
  --no-agent             no agent checks: HAProxy balances on its own, health checks only; to compare
  --kill NAME            SIGKILL server NAME (ws1 to wsN) once the mesh is balanced after the deploy (after
                         connecting with --no-deploy), and report how its clients came back and the rest rebalanced
  --reconnect HOW        hint (follow the servers' reconnect hints, default) or random
  --algorithm NAME       place new clients with this selection algorithm instead of at random: random,
                         roundRobin, powerOfTwo, leastConnections, leastLatency, weightedRoundRobin, hashRing,
                         or leastLoadedTagged (from the custom-algorithm example: zone a only)
  --dashboard-port P     port of the web dashboard (default: a free one)
  --json                 run to the end and print a JSON report instead of the live table
  --help                 this text`

/** Reads the command line; throws an Error whose message names the bad flag. */
export function parseMeshOptions (args: string[]): MeshOptions | undefined {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: 'string', default: '4' },
      clients: { type: 'string', default: '2000' },
      mode: { type: 'string' },
      'round-seconds': { type: 'string', default: '2' },
      'no-deploy': { type: 'boolean', default: false },
      front: { type: 'string', default: 'none' },
      balance: { type: 'string' },
      'no-agent': { type: 'boolean', default: false },
      kill: { type: 'string' },
      reconnect: { type: 'string', default: 'hint' },
      'dashboard-port': { type: 'string', default: '0' },
      algorithm: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    },
    allowPositionals: false
  })
  if (values.help) return undefined
  const integer = (flag: string, text: string, min: number, max: number): number => {
    const value = Number(text)
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${flag} expects an integer from ${min} to ${max}, got "${text}"`)
    return value
  }
  const mode = values.mode ?? (values.json ? 'both' : 'parallel')
  if (!['exact', 'parallel', 'both'].includes(mode)) throw new Error(`--mode expects exact, parallel or both, got "${mode}"`)
  if (values.front !== 'none' && values.front !== 'haproxy') throw new Error(`--front expects haproxy, got "${values.front}"`)
  if (values.reconnect !== 'hint' && values.reconnect !== 'random') throw new Error(`--reconnect expects hint or random, got "${values.reconnect}"`)
  if (values.algorithm !== undefined && !(values.algorithm in PLACEMENT_ALGORITHMS)) {
    throw new Error(`--algorithm expects one of ${Object.keys(PLACEMENT_ALGORITHMS).join(', ')}, got "${values.algorithm}"`)
  }
  if (values.balance !== undefined && values.balance !== 'roundrobin' && values.balance !== 'leastconn') {
    throw new Error(`--balance expects roundrobin or leastconn, got "${values.balance}"`)
  }
  if (values.balance !== undefined && values.front !== 'haproxy') throw new Error('--balance needs --front haproxy')
  const nodes = integer('nodes', values.nodes, 2, 16)
  if (values.kill !== undefined && !Array.from({ length: nodes }, (_, i) => `ws${i + 1}`).includes(values.kill)) {
    throw new Error(`--kill expects a server's name, ws1 to ws${nodes}, got "${values.kill}"`)
  }
  if (values.kill !== undefined && nodes < 3) throw new Error('--kill needs --nodes 3 or more, so that two servers are left to balance')
  const roundSeconds = Number(values['round-seconds'])
  if (!Number.isFinite(roundSeconds) || roundSeconds < 0.2 || roundSeconds > 60) throw new Error(`--round-seconds expects a number from 0.2 to 60, got "${values['round-seconds']}"`)
  return {
    nodes,
    clients: integer('clients', values.clients, 1, 20_000),
    modes: mode === 'both' ? ['exact', 'parallel'] : [mode as ShedMode],
    roundSeconds,
    deploy: !values['no-deploy'],
    front: values.front,
    balance: values.balance ?? 'roundrobin',
    agent: !values['no-agent'],
    kill: values.kill,
    json: values.json,
    reconnect: values.reconnect,
    dashboardPort: integer('dashboard-port', values['dashboard-port'], 0, 65_535),
    algorithm: values.algorithm,
    linger: !values.json && process.stdout.isTTY === true
  }
}
