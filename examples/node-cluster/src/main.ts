/**
 * One HTTP server per core behind the node:cluster connection balancer. This file is both the primary and the
 * workers: node:cluster runs it again in each worker.
 *
 *   node dist/main.js [--port 8080] [--workers <cores>] [--name host-1 --join <multiaddr> --cluster-listen <multiaddr>]
 *
 * `kill -USR2 <primary pid>` replaces the workers one at a time. With `--name`, the primary is also a member of a
 * meshbalancer mesh: it announces its workers' open connections in the shedding namespace `http`, and when it
 * holds more than its share of the fleet's, the shedder has the workers close some, so that a fleet of such
 * hosts sheds as one.
 */
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { listen, ready } from '@meshbalancer/node-cluster'
import { startPrimary } from './primary.js'

const USAGE = `usage: node dist/main.js [options]
  --port <n>                 where clients connect (default 8080; 0 picks a free port)
  --workers <n>              HTTP workers (default: the number of cores, ${availableParallelism()} here)
  --name <name>              join a meshbalancer mesh under this name (default: no mesh)
  --join <multiaddr>         a mesh member to join through (repeatable)
  --cluster-listen <addr>    the mesh's libp2p listen address (default /ip4/127.0.0.1/tcp/0)
  --help                     this text
signals: SIGUSR2 reloads the workers one at a time; SIGTERM and SIGINT stop.
output: one JSON line per event (listening, worker:ready, worker:leave, reload, shed, mesh, stopping).`

if (cluster.isPrimary) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      workers: { type: 'string', default: String(availableParallelism()) },
      name: { type: 'string' },
      join: { type: 'string', multiple: true, default: [] },
      'cluster-listen': { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  await startPrimary({
    port: Number(values.port),
    workers: Number(values.workers),
    ...(values.name === undefined ? {} : { mesh: { name: values.name, join: values.join, listen: values['cluster-listen'] } })
  })
} else {
  const id = cluster.worker?.id ?? 0
  const server = createServer((_req, res) => { res.end(`worker ${id}\n`) })
  // Clients that keep their connection are what a host holds, and what the mesh's shedders compare; node:http
  // would otherwise close an idle one after 5 s.
  server.keepAliveTimeout = 120_000
  listen(server)
  ready()
}
