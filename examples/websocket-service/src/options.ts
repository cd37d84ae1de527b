import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { ShedKnobs, ShedMode } from '@meshbalancer/core'
import type { WebsocketServiceOptions } from './service.js'

/**
 * The command's help. Four defaults differ from the library's, for a demo of a few servers on one machine that
 * balances in seconds; README.md says why each.
 */
export const USAGE = `usage: websocket-service --name NAME [options]

Runs one WebSocket server that embeds a meshbalancer node and sheds its own excess connections. Prints one JSON
line per event (ready, count, round, stopping, stopped), each naming the server; SIGTERM or SIGINT drains it to
the others and stops it.

  --name NAME            the server's name (required); its hints and greeting carry it
  --host HOST            address the WebSocket server and the agent listen on (default 127.0.0.1)
  --port P               WebSocket port; 0 picks a free one (default 0)
  --cluster-listen ADDR  the cluster node's listen multiaddr (default /ip4/127.0.0.1/tcp/0)
  --join ADDR            a member's multiaddr to join through; repeat for more (default: none, a new cluster)
  --key-file PATH        keeps the node's identity across restarts (default: a new identity each start)
  --tag KEY=VALUE        a tag to announce, such as zone=a; repeat for more (default: none)
  --agent-port P         run an HAProxy agent on this port; 0 picks a free one (default: no agent; HAPROXY.md)
  --mode MODE            shedding mode, exact or parallel (default parallel, as the library)
  --round-seconds S      time between shedding rounds (default 2; the library's is 10)
  --deviation PCT        allowed deviation from the mean, in percent (default 2; the library's is 25)
  --min-shed N           a round that would shed fewer sheds nothing (default 5; the library's is 10)
  --max-shed N           most connections shed in one round (default 100, as the library)
  --shed-percentage PCT  share of the allowed amount shed per round (default the library's: 50 exact, 100 parallel)
  --drain-ms MS          time a stopping server has to hand its clients over (default 2000; the library's is 30000)
  --report-ms MS         interval of the count line (default 250)
  --help                 this text`

/** Every flag of the command, for node:util parseArgs; each is listed in USAGE and README.md. */
export const SERVICE_FLAGS = {
  name: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  'cluster-listen': { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
  join: { type: 'string', multiple: true, default: [] },
  'key-file': { type: 'string' },
  tag: { type: 'string', multiple: true, default: [] },
  'agent-port': { type: 'string' },
  mode: { type: 'string', default: 'parallel' },
  'round-seconds': { type: 'string', default: '2' },
  deviation: { type: 'string', default: '2' },
  'min-shed': { type: 'string', default: '5' },
  'max-shed': { type: 'string', default: '100' },
  'shed-percentage': { type: 'string' },
  'drain-ms': { type: 'string', default: '2000' },
  'report-ms': { type: 'string', default: '250' },
  help: { type: 'boolean', default: false }
} satisfies NonNullable<ParseArgsConfig['options']>

/** What the command line asks for. */
export interface ServiceArgs {
  service: WebsocketServiceOptions
  /** Interval of the `count` line. */
  reportMs: number
}

/**
 * Reads the command line; undefined for `--help`. Throws an Error whose message names the bad flag, also for an
 * unknown one.
 */
export function parseServiceArgs (args: string[]): ServiceArgs | undefined {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: SERVICE_FLAGS
  })
  if (values.help) return undefined
  if (values.name === undefined || values.name === '') throw new Error('--name is required')
  const number = (flag: string, text: string, min: number, max: number, integer = false): number => {
    const value = Number(text)
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`--${flag} expects ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${text}"`)
    }
    return value
  }
  if (values.mode !== 'exact' && values.mode !== 'parallel') throw new Error(`--mode expects exact or parallel, got "${values.mode}"`)
  const tags: Record<string, string> = {}
  for (const tag of values.tag) {
    const at = tag.indexOf('=')
    if (at <= 0) throw new Error(`--tag expects KEY=VALUE, got "${tag}"`)
    tags[tag.slice(0, at)] = tag.slice(at + 1)
  }
  const shed: Partial<ShedKnobs> = {
    mode: values.mode as ShedMode,
    roundDurationSeconds: number('round-seconds', values['round-seconds'], 0.05, 86_400),
    allowedAverageDeviationPercent: number('deviation', values.deviation, 0, 10_000),
    minShedCount: number('min-shed', values['min-shed'], 0, Number.MAX_SAFE_INTEGER, true),
    maxShedCount: number('max-shed', values['max-shed'], 1, Number.MAX_SAFE_INTEGER, true),
    ...(values['shed-percentage'] === undefined ? {} : { shedPercentage: number('shed-percentage', values['shed-percentage'], Number.MIN_VALUE, 100) })
  }
  return {
    service: {
      name: values.name,
      host: values.host,
      port: number('port', values.port, 0, 65_535, true),
      clusterListen: values['cluster-listen'],
      join: values.join,
      ...(values['key-file'] === undefined ? {} : { keyFile: values['key-file'] }),
      ...(values['agent-port'] === undefined ? {} : { agentPort: number('agent-port', values['agent-port'], 0, 65_535, true) }),
      tags,
      drainWithinMs: number('drain-ms', values['drain-ms'], 0, 86_400_000, true),
      shed
    },
    reportMs: number('report-ms', values['report-ms'], 10, 86_400_000)
  }
}
