/**
 * A node:cluster worker of the node-cluster suite: answers every request with its worker id. With
 * `MODE=shared` it listens itself, on port 0, which node:cluster makes one port shared by every worker, dealt by
 * its own round robin in the primary; its ready message says which port. Otherwise it serves
 * what the meshbalancer balancer hands over. `BLOCK_MS` blocks its event loop for that long out of every
 * 2 × BLOCK_MS, half of the time.
 */
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { listen, ready } from '@meshbalancer/node-cluster'
import type { AddressInfo } from 'node:net'

const id = String(cluster.worker?.id ?? 0)
const server = createServer((_req, res) => { res.end(id) })
if (process.env.MODE === 'shared') {
  server.listen(0, '127.0.0.1', () => { process.send?.({ cmd: 'ready', port: (server.address() as AddressInfo).port }) })
} else {
  listen(server)
  ready()
}

const block = Number(process.env.BLOCK_MS ?? 0)
if (block > 0) {
  setInterval(() => {
    const until = performance.now() + block
    while (performance.now() < until) { /* the loop is blocked */ }
  }, 2 * block)
}
