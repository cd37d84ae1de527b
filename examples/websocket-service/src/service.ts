import { createServer } from 'node:http'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { WebSocketServer } from 'ws'
import { consoleLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'
import { instrumentCluster, metricsHandler, Registry } from '@meshbalancer/metrics'
import { agentReply, startAgent } from './agent.js'
import { startChat } from './chat.js'
import { NAMESPACE, RECONNECT_CLOSE_CODE, reconnectHint } from './protocol.js'
import type { AddressInfo, Server } from 'node:net'
import type { Cluster, ClusterMember, Logger, ShedHint, ShedKnobs, Shedder } from '@meshbalancer/core'
import type { WebSocket } from 'ws'

export interface WebsocketServiceOptions {
  /** The node's name. */
  name: string
  /** WebSocket port; 0 picks a free one. @default 0 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** The cluster node's listen address. @default '/ip4/127.0.0.1/tcp/0' */
  clusterListen?: string
  /** Addresses of cluster members to join through. @default [] */
  join?: readonly string[]
  /** Keeps the node's identity across restarts. */
  keyFile?: string
  /** Tags the node announces (a zone, say), for algorithms that select by them. @default {} */
  tags?: Record<string, string>
  /** Shedding knobs; see `ShedKnobs` of @meshbalancer/core. */
  shed?: Partial<ShedKnobs>
  /** Time a stopping service has to hand its connections to the others. @default 2000 */
  drainWithinMs?: number
  /**
   * Port of its HAProxy agent (see HAPROXY.md), which answers a weight from this server's place against the mean of
   * the namespace, or `drain`; 0 picks a free one. @default no agent
   */
  agentPort?: number
  logger?: Logger
}

export interface WebsocketService {
  readonly node: Cluster
  readonly shedder: Shedder
  /** The address clients connect to, `ws://host:port`. */
  readonly url: string
  /** The port of its HAProxy agent, when it runs one. */
  readonly agentPort: number | undefined
  /** Open sockets. */
  count(): number
  /** Drains (hands connections over), closes what is left with the reconnect code, leaves the cluster. */
  stop(): Promise<void>
}

/**
 * Starts a WebSocket server that embeds a cluster node: it announces its open sockets as its load in the `ws`
 * namespace, and its shedder closes some of them, with the reconnect code and a hinted address, when it holds more
 * than its share (see protocol.ts for the hint's form). Its HTTP side answers `/health` (readiness) and `/metrics`
 * (Prometheus); with `agentPort`, an HAProxy agent steers a front door's new connections to the servers below the mean.
 */
export async function startWebsocketService (options: WebsocketServiceOptions): Promise<WebsocketService> {
  const host = options.host ?? '127.0.0.1'
  let node: Cluster | undefined
  const registry = new Registry()
  const serveMetrics = metricsHandler(registry)
  // /health is the readiness check of a front door: 503 while draining, so that it stops sending clients here.
  const server = createServer((request, response) => {
    if (request.url === '/metrics') {
      serveMetrics(request, response)
    } else if (request.url === '/health') {
      const ready = node?.self().status === 'active'
      response.writeHead(ready ? 200 : 503).end(ready ? 'ready\n' : 'draining\n')
    } else {
      response.writeHead(426).end('WebSocket only\n')
    }
  })
  const wss = new WebSocketServer({ server })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve() })
  })
  const url = `ws://${host}:${(server.address() as AddressInfo).port}`

  node = await createNode({
    name: options.name,
    listen: [options.clusterListen ?? '/ip4/127.0.0.1/tcp/0'],
    join: [...(options.join ?? [])],
    clientAddress: url,
    tags: options.tags ?? {},
    // libp2p's metrics through libp2p's own option; the cluster's below, into the same registry.
    metrics: prometheusMetrics({ registry }),
    ...(options.keyFile === undefined ? {} : { keyFile: options.keyFile }),
    ...(options.logger === undefined ? {} : { logger: options.logger })
  })
  const cluster = node
  // The chat room: a `{ "chat": text }` from any client reaches every client of every server, once.
  const chat = startChat(cluster, () => wss.clients, options.logger ?? consoleLogger)
  const metrics = instrumentCluster(cluster, { registry })
  cluster.once('cluster:stop', () => { metrics.stop() })
  const shedder = cluster.shedder({
    namespace: NAMESPACE,
    ...options.shed,
    implementation: {
      count: () => wss.clients.size,
      killProcesses: async (count, hint) => closeWithHints(pickSockets([...wss.clients], count), hint)
    }
  })
  // The socket count goes out on every change, twice: to the shedders of the namespace, so that they decide from
  // fresh counts, and as the load of the balancer group of the same name, through which brokers place new clients.
  const announce = (): void => {
    shedder.announce(wss.clients.size)
    cluster.setLoad(NAMESPACE, wss.clients.size)
  }
  wss.on('connection', socket => {
    // A front door notices a drain only at its next health check: a client it sends here meanwhile is sent on at
    // once, as a planned close, rather than taken in and dropped when the server stops.
    if (cluster.self().status === 'draining' || cluster.self().status === 'left') {
      socket.close(RECONNECT_CLOSE_CODE, '')
      return
    }
    // The greeting names this server, so that a client behind a front door knows where it landed.
    socket.send(JSON.stringify({ server: url, name: options.name }))
    socket.on('message', (data, isBinary) => { if (isBinary || !chat.receive(socket, data)) socket.send(data) })
    socket.on('close', announce)
    announce()
  })
  announce()
  const weigh = (): string => {
    // Once stopped the node has no record of its own: it takes no one.
    const status = (cluster.self() as ClusterMember | undefined)?.status ?? 'left'
    return agentReply(
      { count: wss.clients.size, draining: status === 'draining' || status === 'left' },
      // The others as this node hears them; one it does not hear from takes no one, and its clients are elsewhere now.
      cluster.members().filter(member => !member.local && member.liveness === 'alive' && member.shedding.has(NAMESPACE))
        .map(member => ({ count: member.shedding.get(NAMESPACE) ?? 0, draining: member.status === 'draining' })),
      shedder.knobs.allowedAverageDeviationPercent
    )
  }
  let agent: Server | undefined
  try {
    agent = options.agentPort === undefined ? undefined : await startAgent(options.agentPort, host, weigh)
  } catch (err) {
    await cluster.stop()
    await close(wss, new Promise<void>(resolve => { server.close(() => { resolve() }) }))
    throw err
  }

  let stopping: Promise<void> | undefined
  return {
    node: cluster,
    shedder,
    url,
    agentPort: agent === undefined ? undefined : (agent.address() as AddressInfo).port,
    count: () => wss.clients.size,
    stop: async () => {
      stopping ??= (async () => {
        await cluster.drain({ withinMs: options.drainWithinMs ?? 2000 })
        // Stop listening before the last closes, so that no client can arrive after them and be cut off. A front
        // door that still routes here meets a refused connection, which it retries on another server.
        const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
        closeWithHints([...wss.clients], { targets: [] })
        await cluster.stop()
        await close(wss, closed)
        if (agent !== undefined) await closeAgent(agent)
      })()
      await stopping
    }
  }
}

/** `count` sockets chosen at random, so that no client is shed more often than another. */
function pickSockets (sockets: WebSocket[], count: number): WebSocket[] {
  for (let i = 0; i < Math.min(count, sockets.length); i++) {
    const j = i + Math.floor(Math.random() * (sockets.length - i))
    ;[sockets[i], sockets[j]] = [sockets[j]!, sockets[i]!]
  }
  return sockets.slice(0, count)
}

/** Closes sockets with the reconnect code, telling each where to go according to the hint's shares. */
function closeWithHints (sockets: WebSocket[], hint: ShedHint): number {
  const destinations = hint.targets.flatMap(target => Array<string>(target.share).fill(reconnectHint(target.clientAddress, target.name)))
  sockets.forEach((socket, i) => { socket.close(RECONNECT_CLOSE_CODE, destinations[i] ?? '') })
  return sockets.length
}

/** Ends what is left (clients that did not answer their close frame in time) once the listener is closed. */
async function close (wss: WebSocketServer, listenerClosed: Promise<void>): Promise<void> {
  for (const socket of wss.clients) socket.terminate()
  await new Promise<void>(resolve => { wss.close(() => { resolve() }) })
  await listenerClosed
}

async function closeAgent (agent: Server): Promise<void> {
  await new Promise<void>(resolve => { agent.close(() => { resolve() }) })
}
