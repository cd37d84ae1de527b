#!/usr/bin/env node
/**
 * Runs one WebSocket service node and prints what it does as JSON lines: `ready`, `count` (every
 * `--report-ms`), `round` (every shedding round) and `stopped`. SIGTERM and SIGINT stop it gracefully: it drains,
 * then leaves.
 */
import { parseArgs } from 'node:util'
import { silentLogger } from '@meshbalancer/core'
import { startWebsocketService } from './service.js'
import type { ShedKnobs, ShedMode } from '@meshbalancer/core'

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    port: { type: 'string', default: '0' },
    'cluster-listen': { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
    join: { type: 'string', multiple: true, default: [] },
    'key-file': { type: 'string' },
    tag: { type: 'string', multiple: true, default: [] },
    mode: { type: 'string', default: 'parallel' },
    'round-seconds': { type: 'string', default: '2' },
    deviation: { type: 'string', default: '2' },
    'min-shed': { type: 'string', default: '5' },
    'max-shed': { type: 'string', default: '100' },
    'shed-percentage': { type: 'string' },
    'drain-ms': { type: 'string', default: '2000' },
    'report-ms': { type: 'string', default: '250' }
  }
})

const print = (event: string, fields: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: performance.timeOrigin + performance.now(), event, ...fields })}\n`)
}
const number = (flag: string, text: string): number => {
  const value = Number(text)
  if (!Number.isFinite(value)) {
    console.error(`websocket-service: --${flag} expects a number, got "${text}"`)
    process.exit(2)
  }
  return value
}

if (values.name === undefined) {
  console.error('websocket-service: --name is required')
  process.exit(2)
}

const shed: Partial<ShedKnobs> = {
  mode: values.mode as ShedMode,
  roundDurationSeconds: number('round-seconds', values['round-seconds']),
  allowedAverageDeviationPercent: number('deviation', values.deviation),
  minShedCount: number('min-shed', values['min-shed']),
  maxShedCount: number('max-shed', values['max-shed']),
  ...(values['shed-percentage'] === undefined ? {} : { shedPercentage: number('shed-percentage', values['shed-percentage']) })
}
const service = await startWebsocketService({
  name: values.name,
  port: number('port', values.port),
  clusterListen: values['cluster-listen'],
  join: values.join,
  ...(values['key-file'] === undefined ? {} : { keyFile: values['key-file'] }),
  tags: Object.fromEntries(values.tag.map(tag => [tag.slice(0, Math.max(0, tag.indexOf('='))), tag.slice(tag.indexOf('=') + 1)])),
  drainWithinMs: number('drain-ms', values['drain-ms']),
  shed,
  logger: silentLogger
})
const { node } = service
print('ready', { name: node.name, id: node.id, url: service.url, cluster: node.self().addresses })

node.on('shed:round', round => {
  print('round', {
    round: round.round,
    skipped: round.skipped ?? null,
    reason: round.decision?.reason ?? null,
    amount: round.decision?.amount ?? 0,
    killed: round.killed,
    mean: round.decision?.mean ?? null,
    threshold: round.decision?.threshold ?? null,
    counts: Object.fromEntries(round.members.map(member => [member.name, member.count]))
  })
})
const report = setInterval(() => {
  print('count', { count: service.count(), members: node.members().length, rounds: service.shedder.rounds, shed: service.shedder.shed })
}, number('report-ms', values['report-ms']))

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  print('stopping', { count: service.count() })
  clearInterval(report)
  await service.stop()
  print('stopped', {})
  process.exit(0)
}
process.once('SIGTERM', () => { void stop() })
process.once('SIGINT', () => { void stop() })
