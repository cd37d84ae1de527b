/**
 * The load of the node-cluster suite, in a process of its own as real clients are: `REQUESTS` requests,
 * `CONCURRENCY` at a time, each on a new connection, to `127.0.0.1:<port>`. Prints one JSON line: every latency
 * in milliseconds, how many the worker `<slow id>` answered, and how many failed.
 */
import { request } from 'node:http'

const [port, slowId, requests, concurrency] = process.argv.slice(2).map(Number) as [number, number, number, number]

async function get (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve(Number(body)) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const latencies: number[] = []
let slow = 0
let failed = 0
let started = 0
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (started++ < requests) {
    const at = performance.now()
    try {
      if (await get() === slowId) slow++
      latencies.push(performance.now() - at)
    } catch {
      failed++
    }
  }
}))
console.log(JSON.stringify({ latencies, slow, failed }))
