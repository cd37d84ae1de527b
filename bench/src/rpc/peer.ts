/**
 * One of the two processes of the RPC suite, started by it with `child_process.fork`:
 *
 * - `server`: a meshbalancer node serving `echo`, a node:http server and a `ws` WebSocket server, each answering
 *   with the JSON it was sent;
 * - `client`: a meshbalancer node that joins the server's, an http.Agent with keep-alive and one WebSocket; it makes
 *   the calls the suite orders and reports their times.
 *
 * Every kind decodes the request and encodes the answer as JSON on both sides, so that each does the same work.
 */
import { createServer, request, Agent } from 'node:http'
import { silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { WebSocket, WebSocketServer } from 'ws'
import { PAYLOAD } from './messages.js'
import type { AddressInfo } from 'node:net'
import type { Cluster } from '@meshbalancer/core'
import type { FromPeer, Kind, RunOrder, RunResult, ServerReady, ToClient } from './messages.js'

/** Long enough that a keep-alive connection outlives the pauses between runs. */
const KEEP_ALIVE_MS = 120_000

function tell (message: FromPeer): void {
  process.send!(message)
}

async function server (): Promise<void> {
  const cluster = await createNode({ name: 'rpc-server', logger: silentLogger })
  cluster.handle('echo', args => args)

  const http = createServer({ noDelay: true, keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise<void>(resolve => { http.listen(0, '127.0.0.1', resolve) })

  const ws = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise<void>(resolve => { ws.once('listening', resolve) })
  ws.on('connection', socket => {
    socket.on('message', data => {
      const { id, args } = JSON.parse((data as Buffer).toString('utf8')) as { id: number, args: unknown }
      socket.send(JSON.stringify({ id, result: args }))
    })
  })

  const self = cluster.self()
  tell({
    type: 'server-ready',
    address: `${self.addresses[0]!}/p2p/${cluster.id}`,
    peerId: cluster.id,
    httpPort: (http.address() as AddressInfo).port,
    wsPort: (ws.address() as AddressInfo).port
  })
  process.on('message', (message: ToClient) => {
    if (message.type !== 'stop') return
    ws.close()
    http.close()
    http.closeAllConnections()
    void cluster.stop().then(() => { process.exit(0) })
  })
}

type Call = () => Promise<unknown>

async function client (target: ServerReady): Promise<void> {
  const cluster = await createNode({ name: 'rpc-client', join: [target.address], logger: silentLogger })
  await until(() => cluster.member(target.peerId)?.liveness === 'alive', 30_000, 'the server as an alive member')
  const calls: Record<Kind, Call> = {
    meshbalancer: meshCall(cluster, target.peerId),
    http: httpCall(target.httpPort),
    ws: await wsCall(target.wsPort)
  }
  tell({ type: 'client-ready' })
  process.on('message', (message: ToClient) => {
    if (message.type === 'stop') {
      void cluster.stop().then(() => { process.exit(0) })
      return
    }
    void run(calls[message.kind], message).then(tell)
  })
}

function meshCall (cluster: Cluster, peerId: string): Call {
  return async () => await cluster.call(peerId, 'echo', PAYLOAD)
}

function httpCall (port: number): Call {
  // One connection per call in flight, each kept open: how a service calls another over plain HTTP.
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: KEEP_ALIVE_MS, maxSockets: 64, noDelay: true })
  return async () => await new Promise((resolve, reject) => {
    const body = JSON.stringify(PAYLOAD)
    const req = request({
      agent, host: '127.0.0.1', port, method: 'POST', path: '/echo',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => { chunks.push(chunk) })
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (err) {
          reject(err as Error)
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Request ids and JSON over one WebSocket: the RPC a service would write on `ws` itself. */
async function wsCall (port: number): Promise<Call> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => { socket.once('open', resolve).once('error', reject) })
  const pending = new Map<number, (result: unknown) => void>()
  let nextId = 0
  socket.on('message', data => {
    const { id, result } = JSON.parse((data as Buffer).toString('utf8')) as { id: number, result: unknown }
    const resolve = pending.get(id)
    pending.delete(id)
    resolve?.(result)
  })
  return async () => await new Promise(resolve => {
    const id = nextId++
    pending.set(id, resolve)
    socket.send(JSON.stringify({ id, args: PAYLOAD }))
  })
}

/** Makes `order.calls` calls, `order.concurrency` at a time, and times them. */
async function run (call: Call, order: RunOrder): Promise<RunResult> {
  const samples: number[] = []
  let failed = 0
  let firstError: string | undefined
  let started = 0
  const began = performance.now()
  await Promise.all(Array.from({ length: order.concurrency }, async () => {
    while (started < order.calls) {
      started++
      const t0 = performance.now()
      try {
        const answer = await call() as { id?: unknown } | undefined
        if (answer?.id !== PAYLOAD.id) throw new Error(`unexpected answer ${JSON.stringify(answer)}`)
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
      }
      if (order.samples) samples.push(performance.now() - t0)
    }
  }))
  return { type: 'result', elapsedMs: performance.now() - began, samples, failed, ...(firstError === undefined ? {} : { firstError }) }
}

async function until (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const [role, target] = process.argv.slice(2)
if (role === 'server') await server()
else if (role === 'client') await client(JSON.parse(target ?? '{}') as ServerReady)
else throw new Error(`unknown role "${role ?? ''}"; expected server or client`)
