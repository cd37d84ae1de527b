import cluster from 'node:cluster'
import { EventEmitter } from 'node:events'
import { createServer } from 'node:net'
import { ClusterRoleError } from '../errors.js'
import { asWorkerMessage } from '../protocol.js'
import { resolveBalancerOptions } from './options.js'
import { reloadWorkers } from './reload.js'
import { PingRounds } from './ping-rounds.js'
import { ShedRequests } from './shed.js'
import { WorkerEntry } from './worker-entry.js'
import type { BalancerOptions, ResolvedBalancerOptions } from './options.js'
import type { ReloadOptions } from './reload.js'
import type { WorkerMember } from './worker-entry.js'
import type { PrimaryMessage } from '../protocol.js'
import type { ShedImplementation } from '@meshbalancer/core'
import type { Worker } from 'node:cluster'
import type { AddressInfo, Server, Socket } from 'node:net'

/** Why a worker stopped taking connections. */
export type WorkerLeaveReason = 'draining' | 'disconnect' | 'exit'
/**
 * Why an accepted connection reached no worker; the balancer closes it. `worker-gone`: the worker it was sent to
 * left before it took it.
 */
export type DropReason = 'no-worker' | 'send-failed' | 'worker-gone'

/** The events of a {@link ClusterBalancer}. */
export interface ClusterBalancerEvents {
  /** A worker said it is ready and takes connections from now on. */
  'worker:ready': [member: WorkerMember]
  /** A worker takes no more connections: it is being disconnected, its channel closed, or it exited. */
  'worker:leave': [member: WorkerMember, reason: WorkerLeaveReason]
  /** A connection was handed over to `member`. */
  'connection:handed': [member: WorkerMember]
  /** A connection reached no worker and was closed. */
  'connection:dropped': [reason: DropReason]
  /** The open connections over all workers changed: what a host in a mesh announces as its load. */
  'load:change': [connections: number]
}

/**
 * The primary's side: a `net.Server` ({@link server}) that hands every connection it accepts to the worker that
 * its algorithm picks among the ready ones, over node:cluster's IPC channel. Made by {@link createBalancer}.
 */
export class ClusterBalancer extends EventEmitter<ClusterBalancerEvents> {
  /** The server to listen on; it accepts connections paused, so that every byte reaches the worker. */
  readonly server: Server
  private readonly options: ResolvedBalancerOptions
  private readonly entries = new Map<number, WorkerEntry>()
  private readonly sheds: ShedRequests
  private nodes: readonly WorkerMember[] = []
  private dirty = true
  private readonly rounds = new PingRounds()
  private readonly timer: NodeJS.Timeout
  private reloading: Promise<void> | undefined

  /** @throws InvalidOptionError naming a bad option; ClusterRoleError outside the cluster's primary */
  constructor (options: BalancerOptions = {}) {
    super()
    if (!cluster.isPrimary) throw new ClusterRoleError('createBalancer() runs in the node:cluster primary')
    this.options = resolveBalancerOptions(options)
    this.sheds = new ShedRequests(this.options.shedTimeoutMs)
    this.server = createServer({ pauseOnConnect: true }, socket => { this.handOver(socket, 0) })
    this.options.algorithm.init?.({ balancer: 'node-cluster' })
    for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined) this.track(worker)
    cluster.on('fork', this.onFork)
    cluster.on('message', this.onMessage)
    this.timer = setInterval(() => { this.pingAll() }, this.options.pingIntervalMs)
    this.timer.unref()
  }

  /** Listens on `port` (0 for any) and `host`; resolves with the address. */
  async listen (port: number, host?: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    return this.server.address() as AddressInfo
  }

  /** Every worker the balancer knows of that is not gone, with its state as `status`. */
  members (): WorkerMember[] {
    return [...this.entries.values()].filter(entry => entry.state !== 'gone').map(entry => entry.member())
  }

  /** The workers that take new connections now, as the algorithm sees them (sorted by id). */
  selectable (): readonly WorkerMember[] {
    if (this.dirty) this.rebuild()
    return this.nodes
  }

  /** The open connections over all workers: what this host announces as its load. */
  connections (): number {
    let total = 0
    for (const entry of this.entries.values()) total += entry.connections
    return total
  }

  /**
   * Asks the workers to close `count` connections in all, most loaded first; resolves with how many they closed
   * (a worker that does not answer within `shedTimeoutMs` counts 0).
   */
  async shed (count: number): Promise<number> {
    const live = [...this.entries.values()].filter(entry => entry.state !== 'gone' && entry.worker.isConnected())
    return await this.sheds.shed(live, count, (entry, message) => { this.send(entry, message) })
  }

  /** This host's connections as a meshbalancer shedder's implementation: `cluster.shedder({ implementation })`. */
  shedImplementation (): ShedImplementation {
    return {
      count: () => this.connections(),
      killProcesses: async count => await this.shed(count)
    }
  }

  /**
   * Replaces every current worker, one at a time: forks the new one, waits until it says it is ready, then takes
   * the old one out of rotation and disconnects it (killed if it has not exited after `disconnectTimeoutMs`).
   * Connections keep flowing to the other workers throughout. A second call while one runs returns the first.
   *
   * @throws WorkerStartTimeoutError when a new worker is not ready within `readyTimeoutMs` (the old one stays)
   */
  async reload (options: ReloadOptions = {}): Promise<void> {
    this.reloading ??= reloadWorkers(this.reloadHost(), options).finally(() => { this.reloading = undefined })
    await this.reloading
  }

  /** Stops listening and pinging; workers and their connections are left alone. */
  async close (): Promise<void> {
    clearInterval(this.timer)
    cluster.off('fork', this.onFork)
    cluster.off('message', this.onMessage)
    this.sheds.close()
    // Not close(callback): Node calls it only once every connection handed to a worker has closed there, and
    // never once every worker that was handed one has exited (net.Server keeps _usingWorkers with no worker left
    // to ask). Stopping to listen is synchronous: the port is free when this resolves.
    if (this.server.listening) this.server.close()
  }

  private readonly onFork = (worker: Worker): void => { this.track(worker) }

  private readonly onMessage = (worker: Worker, raw: unknown): void => {
    const message = asWorkerMessage(raw)
    const entry = this.entries.get(worker.id)
    if (message === undefined || entry === undefined) return
    switch (message.meshbalancer) {
      case undefined:
      case 'ready':
        if (!entry.becomeReady()) return
        this.dirty = true
        this.ping(entry)
        this.emit('worker:ready', entry.member())
        return
      case 'pong':
        if (entry.pong(message.seq, message.lagMs, performance.now(), this.rounds)) this.dirty = true
        return
      case 'accepted':
        // The snapshot of the entry is renewed at its next change; a pick meanwhile sees it as it was.
        entry.confirmed()?.destroy()
        return
      case 'closed': {
        if (entry.connections === 0) return
        const member = entry.member()
        entry.connections--
        this.changed(entry)
        this.options.algorithm.releaseNode?.(member)
        this.loadChanged()
        return
      }
      case 'shed:done':
        this.sheds.done(entry, message.seq, message.closed)
    }
  }

  private track (worker: Worker): void {
    if (this.entries.has(worker.id)) return
    const entry = new WorkerEntry(worker, this.options.latencyDecayMs)
    this.entries.set(worker.id, entry)
    worker.once('disconnect', () => { this.leave(entry, 'disconnect') })
    worker.once('exit', () => {
      this.leave(entry, 'exit')
      this.entries.delete(worker.id)
      // Its connections died with it.
      if (entry.connections > 0) this.loadChanged()
    })
  }

  private leave (entry: WorkerEntry, reason: WorkerLeaveReason): void {
    if (entry.state === 'gone' || (reason === 'draining' && entry.state === 'draining')) return
    const wasServing = entry.state === 'ready'
    entry.state = reason === 'draining' ? 'draining' : 'gone'
    if (entry.state === 'gone') {
      this.sheds.gone(entry)
      // Sent but never taken: closing them tells their clients at once, instead of leaving them to time out. No
      // send callback can be waited for: node:cluster drops handles still queued behind an unacknowledged one.
      const untaken = entry.unhand()
      // The worker counts and reports only what it took.
      entry.connections -= untaken.length
      for (const socket of untaken) {
        socket.destroy()
        this.emit('connection:dropped', 'worker-gone')
      }
      if (untaken.length > 0) this.loadChanged()
    }
    this.changed(entry)
    if (wasServing) this.emit('worker:leave', entry.member(), reason)
  }

  private changed (entry: WorkerEntry): void {
    entry.changed()
    this.dirty = true
  }

  private loadChanged (): void {
    this.emit('load:change', this.connections())
  }

  private rebuild (): void {
    const previous = this.nodes
    const nodes = [...this.entries.values()].filter(entry => entry.selectable).map(entry => entry.member())
    nodes.sort((a, b) => a.workerId - b.workerId)
    this.nodes = Object.freeze(nodes)
    this.dirty = false
    const before = new Map(previous.map(member => [member.id, member]))
    const ids = new Set(nodes.map(member => member.id))
    const joined = nodes.filter(member => !before.has(member.id))
    const left = previous.filter(member => !ids.has(member.id))
    const updated = nodes.filter(member => before.has(member.id) && before.get(member.id) !== member)
    this.options.algorithm.onNodeChange?.({ nodes: this.nodes, joined, left, updated })
  }

  private handOver (socket: Socket, attempt: number): void {
    const now = performance.now()
    for (const entry of this.entries.values()) {
      if (entry.unconfirmed.length === 0) continue
      entry.refresh(now)
      this.dirty = true
    }
    // A worker can leave between the pick and the send, without the balancer having heard yet.
    let nodes = this.selectable()
    if (nodes.some(member => !this.entries.get(member.workerId)?.selectable)) {
      this.dirty = true
      nodes = this.selectable()
    }
    if (nodes.length === 0 || attempt > nodes.length) {
      socket.destroy()
      this.emit('connection:dropped', nodes.length === 0 ? 'no-worker' : 'send-failed')
      return
    }
    const member = this.options.algorithm.chooseFromNodes(nodes, {}) as WorkerMember
    const entry = this.entries.get(member.workerId)
    if (entry === undefined) {
      this.options.algorithm.releaseNode?.(member)
      this.dirty = true
      this.handOver(socket, attempt + 1)
      return
    }
    entry.connections++
    entry.handing(socket, performance.now())
    this.changed(entry)
    const message: PrimaryMessage = { meshbalancer: 'connection' }
    // keepOpen: the primary's copy stays open until the worker confirms (see WorkerEntry.unconfirmed).
    entry.worker.send(message, socket, { keepOpen: true }, err => {
      // The worker left while the send was under way, and leave() closed the connection.
      if (entry.state === 'gone') return
      if (err == null) {
        this.emit('connection:handed', member)
        this.loadChanged()
        return
      }
      entry.unhand(socket)
      entry.connections--
      this.changed(entry)
      this.options.algorithm.releaseNode?.(member)
      // Not sent, so no byte of it was read: another worker can have it.
      if (!socket.destroyed) this.handOver(socket, attempt + 1)
    })
  }

  private pingAll (): void {
    const round = this.rounds.next()
    for (const entry of this.entries.values()) if (entry.state === 'ready') this.ping(entry, round)
  }

  private ping (entry: WorkerEntry, round = this.rounds.next()): void {
    const seq = entry.nextPing(round, performance.now())
    if (seq === undefined) {
      this.dirty = true
      return
    }
    this.send(entry, { meshbalancer: 'ping', seq })
  }

  private send (entry: WorkerEntry, message: PrimaryMessage): void {
    // The channel may close between a check and the send; the 'disconnect' event takes the worker out.
    if (entry.worker.isConnected()) entry.worker.send(message, undefined, undefined, () => {})
  }

  private reloadHost (): Parameters<typeof reloadWorkers>[0] {
    return {
      options: this.options,
      current: () => [...this.entries.values()].filter(entry => entry.state === 'ready' || entry.state === 'starting'),
      track: worker => { this.track(worker) },
      entry: worker => this.entries.get(worker.id),
      drain: entry => { this.leave(entry, 'draining') }
    }
  }
}

/**
 * In the node:cluster primary: makes the connection balancer. Listen on its `server` (or call `listen()`); each
 * worker calls `listen(server)` and `ready()` from this package. Create it before forking the workers, so that it
 * hears each one's ready message.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ algorithm: leastLatency() })
 * for (let i = 0; i < availableParallelism(); i++) cluster.fork()
 * await balancer.listen(8080)
 * process.on('SIGUSR2', () => { void balancer.reload() })
 * ```
 *
 * @throws InvalidOptionError naming a bad option; ClusterRoleError outside the cluster's primary
 */
export function createBalancer (options: BalancerOptions = {}): ClusterBalancer {
  return new ClusterBalancer(options)
}
