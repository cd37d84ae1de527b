#!/usr/bin/env node
/**
 * Runs one WebSocket service node and prints what it does as JSON lines, each with the time `t` (ms since the
 * epoch), the `event` and the server's `name`: `ready`, `count` (every `--report-ms`), `round` (every shedding
 * round), `member` (another member suspected, alive again, or gone), `stopping` and `stopped`. SIGTERM and SIGINT
 * stop it gracefully: it drains, then leaves. `--help` lists every flag with its default.
 */
import { silentLogger } from '@meshbalancer/core'
import { parseServiceArgs, USAGE } from './options.js'
import { startWebsocketService } from './service.js'
import type { ServiceArgs } from './options.js'

let args: ServiceArgs | undefined
try {
  args = parseServiceArgs(process.argv.slice(2).filter(arg => arg !== '--'))
} catch (err) {
  console.error(`websocket-service: ${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (args === undefined) {
  console.log(USAGE)
  process.exit(0)
}

const name = args.service.name
const print = (event: string, fields: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ t: performance.timeOrigin + performance.now(), event, name, ...fields })}\n`)
}

const service = await startWebsocketService({ ...args.service, logger: silentLogger })
const { node } = service
print('ready', { id: node.id, url: service.url, agentPort: service.agentPort ?? null, cluster: node.self().addresses })

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
// Liveness changes explain a round skipped for an incomplete view.
node.on('member:suspect', member => { print('member', { member: member.name, change: 'suspect' }) })
node.on('member:alive', member => { print('member', { member: member.name, change: 'alive' }) })
node.on('member:leave', (member, reason) => { print('member', { member: member.name, change: reason }) })
const report = setInterval(() => {
  print('count', { count: service.count(), members: node.members().length, rounds: service.shedder.rounds, shed: service.shedder.shed })
}, args.reportMs)

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
