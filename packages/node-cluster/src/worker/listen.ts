import cluster from 'node:cluster'
import { assertFunction, assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
import { ClusterRoleError } from '../errors.js'
import { asPrimaryMessage } from '../protocol.js'
import { DEFAULT_LAG_RESOLUTION_MS } from '../constants.js'
import { HandedConnections } from './connections.js'
import { LagSampler } from './lag.js'
import type { PrimaryMessage, WorkerMessage } from '../protocol.js'
import type { Server, Socket } from 'node:net'

/** Options of {@link listen}. */
export interface ListenOptions {
  /**
   * Closes `count` of this worker's connections when the primary sheds, and returns (or resolves with) how many
   * it closed; `connections` are the open ones, oldest first. Give it to close them your way (a WebSocket close
   * frame with a reconnect hint).
   * @default ends idle connections first, then the others after their current response, oldest first
   */
  shed?: (count: number, connections: readonly Socket[]) => number | Promise<number>
  /**
   * How often the event-loop lag timer ticks, in milliseconds. A finer tick sees shorter blocks and costs more
   * wake-ups.
   * @default 10
   */
  lagResolutionMs?: number
}

/** What {@link listen} returns. */
export interface WorkerListener {
  /** The connections handed to this worker that are still open. */
  readonly connections: number
  /** Stops taking connections from the primary (those already handed stay open). */
  close(): void
}

const LISTEN_OPTIONS = ['shed', 'lagResolutionMs']

function send (message: WorkerMessage): void {
  // The channel closes when the primary disconnects this worker; what is left to say then has no reader.
  if (process.connected) process.send?.(message)
}

/**
 * In a worker: serves the connections the primary's balancer hands over on `server` (an `http.Server`, a
 * `net.Server`, anything that takes `'connection'`), answers the primary's pings with this process's event-loop
 * lag, and when the primary disconnects this worker (a reload), closes each connection once it is idle. Call
 * {@link ready} when the worker can serve; `server` is not to listen on a port itself.
 *
 * @throws ClusterRoleError outside a node:cluster worker
 */
export function listen (server: Server, options: ListenOptions = {}): WorkerListener {
  if (!cluster.isWorker || process.send === undefined) throw new ClusterRoleError('listen() runs in a node:cluster worker')
  assertKnownOptions('listen', options, LISTEN_OPTIONS)
  if (typeof (server as { emit?: unknown })?.emit !== 'function') throw new ClusterRoleError('listen(server) needs a server that takes "connection" events')
  const shed = options.shed === undefined ? undefined : assertFunction<NonNullable<ListenOptions['shed']>>('listen.shed', options.shed)
  const lag = new LagSampler(assertInteger('listen.lagResolutionMs', options.lagResolutionMs ?? DEFAULT_LAG_RESOLUTION_MS, 1, 1000))
  const handed = new HandedConnections(server, () => { send({ meshbalancer: 'closed' }) })

  function onMessage (raw: unknown, handle: unknown): void {
    const message = asPrimaryMessage(raw)
    if (message === undefined) return
    handleMessage(message, handle)
  }

  function handleMessage (message: PrimaryMessage, handle: unknown): void {
    switch (message.meshbalancer) {
      case 'connection': {
        const socket = handle as Socket | undefined
        if (socket === undefined) return
        send({ meshbalancer: 'accepted' })
        handed.add(socket)
        server.emit('connection', socket)
        // The primary accepted the connection paused, so that no byte was read before it reached this worker.
        socket.resume()
        return
      }
      case 'ping':
        send({ meshbalancer: 'pong', seq: message.seq, lagMs: lag.take() })
        return
      case 'shed':
        void Promise.resolve()
          .then(async () => shed === undefined ? handed.shed(message.count) : await shed(message.count, handed.list()))
          .catch(() => 0)
          .then(closed => { send({ meshbalancer: 'shed:done', seq: message.seq, closed: Number.isSafeInteger(closed) && closed >= 0 ? closed : 0 }) })
    }
  }

  function onDisconnect (): void {
    lag.stop()
    handed.drain()
  }

  process.on('message', onMessage)
  process.once('disconnect', onDisconnect)
  return {
    get connections () { return handed.size },
    close () {
      process.off('message', onMessage)
      process.off('disconnect', onDisconnect)
      lag.stop()
    }
  }
}

/**
 * In a worker: tells the primary that this worker can take connections. Until then, and from the moment the
 * primary starts disconnecting it, the balancer hands it none. Sends `{ cmd: 'ready' }`, the message recluster's
 * `readyWhen: 'ready'` also waits for.
 *
 * @throws ClusterRoleError outside a node:cluster worker
 */
export function ready (): void {
  if (!cluster.isWorker || process.send === undefined) throw new ClusterRoleError('ready() runs in a node:cluster worker')
  send({ meshbalancer: 'ready', cmd: 'ready' })
}
