import { createServer } from 'node:http'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { createNode, readClusterKey } from '@meshbalancer/gossip'
import { MeshbalancerError, silentLogger } from '@meshbalancer/core'
import { instrumentCluster, metricsHandler, Registry } from '@meshbalancer/metrics'
import { ALGORITHMS, DEFAULT_ALGORITHM, isAlgorithmName } from './algorithm.js'
import { serveDemoMethods } from './demo-methods.js'
import { humanOutput, jsonOutput, memberFields } from './output.js'
import type { AlgorithmName } from './algorithm.js'
import type { Output } from './output.js'
import type { Cluster, ClusterMember, LoadBalancer } from '@meshbalancer/core'
import type { GossipNodeInit } from '@meshbalancer/gossip'

export const NODE_USAGE = `usage: meshbalancer node --name NAME [options]

Runs a cluster node and prints membership and load changes as they happen.

  --name NAME              this node's name (required)
  --listen MULTIADDR       address to listen on, repeatable (default /ip4/127.0.0.1/tcp/0)
  --announce MULTIADDR     address to announce instead, repeatable
  --join MULTIADDR         address of any member, with or without /p2p/<id>, repeatable
  --cluster NAME           cluster name (default "default")
  --cluster-key FILE       private-network key (swarm key format); see "meshbalancer cluster-key"
  --key-file FILE          keeps this node's identity across restarts (created when missing)
  --allow-peer ID          accept only these peers (connections and records), repeatable
  --group NAME             serve this balancer group, repeatable
  --algorithm NAME         how this node's balancers select: ${Object.keys(ALGORITHMS).join(', ')}
                           (default ${DEFAULT_ALGORITHM})
  --load GROUP=N           announce a load in a group, repeatable
  --weight N               relative capacity (default 1)
  --tag KEY=VALUE          announce a tag, repeatable
  --client-address URL     where this node's own clients connect
  --refresh-interval-ms N  republish this node's record this often when unchanged (default 30000)
  --probe-interval-ms N    probe one member this often (default 1000)
  --probe-timeout-ms N     wait this long for a probe's answer (default 500)
  --indirect-probes N      members asked to probe one that did not answer (default 3)
  --suspicion-multiplier X a confirmed suspicion lasts X × max(1, log10 n) probe intervals (default 2)
  --suspicion-max-multiplier X  an unconfirmed one lasts X times longer (default 3)
  --mdns                   discover members on the local network by multicast DNS
  --metrics-port P         serve Prometheus metrics at http://127.0.0.1:P/metrics
  --explain-picks          print every pick of the node's callers (balancer:pick), not a sample
  --demo-methods           serve echo, sleep and fail (for trying a mesh and for tests)
  --json                   print one JSON object per line
  --stop-on-stdin-end      leave the cluster when standard input ends (for a parent that may die first)
  --verbose                also print warnings of the cluster to stderr

Commands read from standard input, one per line:
  load GROUP N             set this node's load in GROUP
  call GROUP METHOD [JSON] call METHOD on a member of GROUP (chosen by --algorithm)
  call --to MEMBER METHOD [JSON]  call METHOD on the member of this id or name
  cast --to MEMBER METHOD [JSON]  send METHOD to the member of this id or name, without a result
  calls GROUP METHOD N C [JSON]  make N calls, C at a time, and print how they settled
  members                  print every member
  stats [gc]               print records published, accepted and rejected, members, connected peers and memory
                           (gc: collect garbage first, when node runs with --expose-gc)
  drain                    announce draining: no balancer selects this node
  stop                     leave the cluster and exit
SIGINT and SIGTERM leave the cluster gracefully too.`

const OPTIONS = {
  name: { type: 'string' },
  listen: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  join: { type: 'string', multiple: true },
  cluster: { type: 'string' },
  'cluster-key': { type: 'string' },
  'key-file': { type: 'string' },
  'allow-peer': { type: 'string', multiple: true },
  group: { type: 'string', multiple: true },
  algorithm: { type: 'string' },
  load: { type: 'string', multiple: true },
  weight: { type: 'string' },
  tag: { type: 'string', multiple: true },
  'client-address': { type: 'string' },
  'refresh-interval-ms': { type: 'string' },
  'probe-interval-ms': { type: 'string' },
  'probe-timeout-ms': { type: 'string' },
  'indirect-probes': { type: 'string' },
  'suspicion-multiplier': { type: 'string' },
  'suspicion-max-multiplier': { type: 'string' },
  // Flags of earlier releases, refused with their replacement (see REMOVED_FLAGS).
  'heartbeat-ms': { type: 'string' },
  'suspect-after-ms': { type: 'string' },
  'dead-after-ms': { type: 'string' },
  mdns: { type: 'boolean', default: false },
  'metrics-port': { type: 'string' },
  'explain-picks': { type: 'boolean', default: false },
  'demo-methods': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  'stop-on-stdin-end': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false }
} as const

/** Thrown for a command line that cannot run; the message says which flag is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/**
 * Flags that no longer exist, with what replaces them: members are probed rather than timed out on silence, and
 * records go out when they change, refreshed slowly, rather than on a heartbeat.
 */
const REMOVED_FLAGS = {
  'heartbeat-ms': '--refresh-interval-ms and --probe-interval-ms',
  'suspect-after-ms': '--probe-interval-ms and --probe-timeout-ms',
  'dead-after-ms': '--suspicion-multiplier and --suspicion-max-multiplier'
} as const

export async function runNode (args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false })
  if (values.help) {
    console.log(NODE_USAGE)
    return
  }
  for (const [flag, replacement] of Object.entries(REMOVED_FLAGS)) {
    if (values[flag as keyof typeof REMOVED_FLAGS] !== undefined) throw new UsageError(`--${flag} was removed; use ${replacement}`)
  }
  if (values.name === undefined) throw new UsageError('--name is required')
  const algorithm = values.algorithm ?? DEFAULT_ALGORITHM
  if (!isAlgorithmName(algorithm)) {
    throw new UsageError(`--algorithm expects one of ${Object.keys(ALGORITHMS).join(', ')}, got "${algorithm}"`)
  }
  const output = values.json ? jsonOutput(line => { process.stdout.write(`${line}\n`) }) : humanOutput(line => { process.stdout.write(`${line}\n`) })

  const init: GossipNodeInit = {
    name: values.name,
    listen: values.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    join: values.join ?? [],
    mdns: values.mdns,
    ...(values.verbose ? {} : { logger: silentLogger }),
    ...(values.announce === undefined ? {} : { announce: values.announce }),
    ...(values.cluster === undefined ? {} : { cluster: values.cluster }),
    ...(values['key-file'] === undefined ? {} : { keyFile: values['key-file'] }),
    ...(values['allow-peer'] === undefined ? {} : { allowPeers: values['allow-peer'] }),
    ...(values['explain-picks'] ? { explainOnePickIn: 1 } : {}),
    ...(values['cluster-key'] === undefined ? {} : { clusterKey: await readClusterKey(values['cluster-key']) }),
    ...(values.weight === undefined ? {} : { weight: integer('--weight', values.weight) }),
    ...(values.tag === undefined ? {} : { tags: Object.fromEntries(values.tag.map(tag => pair('--tag', tag))) }),
    ...(values['client-address'] === undefined ? {} : { clientAddress: values['client-address'] }),
    ...(values['refresh-interval-ms'] === undefined ? {} : { refreshIntervalMs: integer('--refresh-interval-ms', values['refresh-interval-ms']) }),
    ...(values['probe-interval-ms'] === undefined ? {} : { probeIntervalMs: integer('--probe-interval-ms', values['probe-interval-ms']) }),
    ...(values['probe-timeout-ms'] === undefined ? {} : { probeTimeoutMs: integer('--probe-timeout-ms', values['probe-timeout-ms']) }),
    ...(values['indirect-probes'] === undefined ? {} : { indirectProbes: integer('--indirect-probes', values['indirect-probes']) }),
    ...(values['suspicion-multiplier'] === undefined ? {} : { suspicionMultiplier: decimal('--suspicion-multiplier', values['suspicion-multiplier']) }),
    ...(values['suspicion-max-multiplier'] === undefined ? {} : { suspicionMaxMultiplier: decimal('--suspicion-max-multiplier', values['suspicion-max-multiplier']) })
  }
  const loads = (values.load ?? []).map(load => pair('--load', load))
  const port = values['metrics-port'] === undefined ? undefined : integer('--metrics-port', values['metrics-port'])
  // One registry for libp2p's metrics (through libp2p's own metrics option) and the cluster's.
  const registry = port === undefined ? undefined : new Registry()
  if (registry !== undefined) init.metrics = prometheusMetrics({ registry })

  const cluster = await createNode(init)
  if (registry !== undefined && port !== undefined) {
    const metrics = instrumentCluster(cluster, { registry })
    cluster.once('cluster:stop', () => { metrics.stop() })
    const server = createServer(metricsHandler(registry))
    await new Promise<void>((resolve, reject) => { server.once('error', reject).listen(port, '127.0.0.1', resolve) })
    server.unref()
  }
  for (const group of values.group ?? []) cluster.loadBalancer({ name: group, algorithm: ALGORITHMS[algorithm]() })
  for (const [group, load] of loads) cluster.setLoad(group, integer('--load', load))
  if (values['demo-methods']) serveDemoMethods(cluster)
  output.event('node:ready', { id: cluster.id, name: cluster.name, incarnation: cluster.self().incarnation, addresses: cluster.self().addresses })
  watch(cluster, output)

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await cluster.stop()
    output.event('node:stopped', { id: cluster.id })
    process.exit(0)
  }
  process.once('SIGINT', () => { void stop() })
  process.once('SIGTERM', () => { void stop() })
  readCommands(cluster, output, stop, values['stop-on-stdin-end'], algorithm)
}

/** Prints membership events; updates only when something an operator cares about changed. */
function watch (cluster: Cluster, output: Output): void {
  cluster.on('member:join', member => { output.member('member:join', member) })
  cluster.on('member:leave', (member, reason) => { output.member('member:leave', member, { reason }) })
  cluster.on('member:suspect', member => { output.member('member:suspect', member) })
  cluster.on('member:alive', member => { output.member('member:alive', member) })
  cluster.on('member:update', (member, previous) => {
    if (visible(member) !== visible(previous)) output.member('member:update', member)
  })
  cluster.on('record:reject', (reason, from) => { output.event('record:reject', { reason, from }) })
  cluster.on('claim:reject', (reason, from) => { output.event('claim:reject', { reason, from }) })
  cluster.on('balancer:pick', pick => { output.event('balancer:pick', { balancer: pick.balancer, chosen: pick.chosen.name, id: pick.chosen.id, snapshotVersion: pick.snapshotVersion }) })
}

function visible (member: ClusterMember): string {
  return JSON.stringify([member.status, [...member.groups], member.weight, member.tags, member.clientAddress])
}

function readCommands (cluster: Cluster, output: Output, stop: () => Promise<void>, stopOnEnd: boolean, algorithm: AlgorithmName): void {
  const callers = new Map<string, LoadBalancer>()
  /** A balancer that only calls: its empty node match keeps this node out of the group. */
  const caller = (group: string): LoadBalancer => {
    let balancer = callers.get(group)
    if (balancer === undefined) {
      balancer = cluster.loadBalancer({ name: group, algorithm: ALGORITHMS[algorithm](), nodeMatch: [] })
      callers.set(group, balancer)
    }
    return balancer
  }
  const lines = createInterface({ input: process.stdin })
  lines.on('line', line => {
    const [command = '', ...rest] = line.trim().split(/\s+/)
    void execute(command, rest).catch((err: Error) => { output.event('command:error', { command, message: err.message }) })
  })
  // Standard input ends when it is /dev/null (a service manager), or when a parent that pipes commands dies.
  if (stopOnEnd) lines.once('close', () => { void stop() })

  async function execute (command: string, rest: string[]): Promise<void> {
    switch (command) {
      case '': return
      case 'load': {
        const [group = '', load = ''] = rest
        cluster.setLoad(group, integer('load', load))
        output.event('load:set', { group, load: integer('load', load) })
        return
      }
      case 'call': {
        if (rest[0] === '--to') {
          const [, to = '', method = '', ...json] = rest
          await settle(output, { to, method }, async () => await cluster.call(to, method, argsOf(json)))
          return
        }
        const [group = '', method = '', ...json] = rest
        await settle(output, { group, method }, async () => await caller(group).call(method, argsOf(json)))
        return
      }
      case 'cast': {
        if (rest[0] !== '--to') throw new Error('usage: cast --to MEMBER METHOD [JSON]')
        const [, to = '', method = '', ...json] = rest
        try {
          await cluster.cast(to, method, argsOf(json))
          output.event('cast:sent', { to, method })
        } catch (err) {
          output.event('cast:error', { to, method, ...errorFields(err) })
        }
        return
      }
      case 'calls': {
        const [group = '', method = '', count = '0', concurrency = '1', ...json] = rest
        const settled = await manyCalls(caller(group), method, argsOf(json), integer('count', count), integer('concurrency', concurrency))
        output.event('calls:settled', { group, method, ...settled })
        return
      }
      case 'members':
        output.event('members', { members: cluster.members().map(memberFields) })
        return
      case 'stats': {
        // `stats gc` collects garbage first (when node runs with --expose-gc): heapUsed is then the live heap.
        const collected = rest[0] === 'gc' && globalThis.gc !== undefined
        if (collected) globalThis.gc!()
        const { heapUsed, rss, arrayBuffers } = process.memoryUsage()
        output.event('stats', { ...cluster.stats(), heapUsed, arrayBuffers, rss, collected, members: cluster.members().length, connectedPeers: cluster.connectedPeers().length })
        return
      }
      case 'drain':
        cluster.drain()
        return
      case 'stop':
        await stop()
        return
      default:
        throw new Error(`unknown command "${command}"; known: load, call, cast, calls, members, stats, drain, stop`)
    }
  }
}

/** Prints how one call settled, as `call:result` or `call:error`, with what identifies the call. */
async function settle (output: Output, fields: Record<string, string>, call: () => Promise<unknown>): Promise<void> {
  const started = performance.now()
  try {
    const result = await call()
    output.event('call:result', { ...fields, result, ms: performance.now() - started })
  } catch (err) {
    output.event('call:error', { ...fields, ...errorFields(err), ms: performance.now() - started })
  }
}

function errorFields (err: unknown): { code: string, name: string, message: string } {
  const error = err as Error
  return { code: err instanceof MeshbalancerError ? err.code : 'UNKNOWN', name: error.name, message: error.message }
}

/** The arguments of a command: the JSON after the method, which may contain spaces; none when absent. */
function argsOf (json: readonly string[]): unknown {
  return json.length > 0 ? JSON.parse(json.join(' ')) : undefined
}

/** Makes `count` calls, `concurrency` at a time; counts results and errors by code (`untyped` for anything else). */
async function manyCalls (balancer: LoadBalancer, method: string, args: unknown, count: number, concurrency: number): Promise<{ settled: number, ok: number, errors: Record<string, number>, untyped: number }> {
  const tally = { settled: 0, ok: 0, errors: {} as Record<string, number>, untyped: 0 }
  let next = 0
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
    while (next < count) {
      next++
      try {
        await balancer.call(method, args, { timeoutMs: 5000 })
        tally.ok++
      } catch (err) {
        if (err instanceof MeshbalancerError) tally.errors[err.code] = (tally.errors[err.code] ?? 0) + 1
        else tally.untyped++
      }
      tally.settled++
    }
  }))
  return tally
}

function integer (flag: string, text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value)) throw new UsageError(`${flag} expects an integer, got "${text}"`)
  return value
}

function decimal (flag: string, text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} expects a number, got "${text}"`)
  return value
}

function pair (flag: string, text: string): [string, string] {
  const at = text.indexOf('=')
  if (at <= 0) throw new UsageError(`${flag} expects KEY=VALUE, got "${text}"`)
  return [text.slice(0, at), text.slice(at + 1)]
}
