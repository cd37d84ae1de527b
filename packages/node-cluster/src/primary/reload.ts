import cluster from 'node:cluster'
import { once } from 'node:events'
import { assertFunction, assertKnownOptions } from '@meshbalancer/core/options'
import { WorkerStartTimeoutError } from '../errors.js'
import type { ResolvedBalancerOptions } from './options.js'
import type { WorkerEntry } from './worker-entry.js'
import type { Worker } from 'node:cluster'

/** Options of `balancer.reload()`. */
export interface ReloadOptions {
  /**
   * Starts one new worker. Give it to fork with an environment of your own.
   * @default () => cluster.fork()
   */
  fork?: () => Worker
}

/** What a reload needs from the balancer. */
export interface ReloadHost {
  readonly options: ResolvedBalancerOptions
  /** The workers to replace: those ready or starting now. */
  current(): WorkerEntry[]
  track(worker: Worker): void
  entry(worker: Worker): WorkerEntry | undefined
  /** Takes a worker out of rotation before it is disconnected. */
  drain(entry: WorkerEntry): void
}

/**
 * Replaces the workers one at a time (a rolling reload): a new one is forked and must be ready before the old one
 * leaves rotation, so that the number of ready workers never drops below what it was. Resolves once every old
 * worker has exited.
 */
export async function reloadWorkers (host: ReloadHost, options: ReloadOptions): Promise<void> {
  assertKnownOptions('reload', options, ['fork'])
  const fork = options.fork === undefined ? () => cluster.fork() : assertFunction<() => Worker>('reload.fork', options.fork)
  const exits: Array<Promise<void>> = []
  try {
    for (const old of host.current()) {
      if (old.state === 'gone') continue
      const fresh = fork()
      host.track(fresh)
      await untilReady(host, fresh)
      exits.push(retire(host, old))
    }
  } finally {
    await Promise.all(exits)
  }
}

async function untilReady (host: ReloadHost, worker: Worker): Promise<void> {
  const timeoutMs = host.options.readyTimeoutMs
  const entry = host.entry(worker)
  if (entry === undefined) throw new WorkerStartTimeoutError(`new worker ${worker.id} exited before it was ready`, timeoutMs)
  let timer: NodeJS.Timeout | undefined
  let onExit: (() => void) | undefined
  try {
    await Promise.race([
      entry.ready,
      new Promise<never>((_resolve, reject) => {
        onExit = () => { reject(new WorkerStartTimeoutError(`new worker ${worker.id} exited before it was ready`, timeoutMs)) }
        worker.once('exit', onExit)
        timer = setTimeout(() => { reject(new WorkerStartTimeoutError(`new worker ${worker.id} was not ready within ${timeoutMs} ms`, timeoutMs)) }, timeoutMs)
      })
    ])
  } catch (err) {
    if (!worker.isDead()) worker.process.kill('SIGKILL')
    throw err
  } finally {
    clearTimeout(timer)
    if (onExit !== undefined) worker.off('exit', onExit)
  }
}

/** Takes `entry` out of rotation, disconnects it once its handovers are sent, kills it if it outlives the grace. */
async function retire (host: ReloadHost, entry: WorkerEntry): Promise<void> {
  host.drain(entry)
  const { worker } = entry
  if (worker.isDead()) return
  const exited = once(worker, 'exit').then(() => {})
  // A socket whose send is still in flight would be lost if the channel closed under it.
  while (entry.unconfirmed.length > 0 && worker.isConnected()) await new Promise(resolve => setTimeout(resolve, 5))
  if (worker.isConnected()) worker.disconnect()
  const timer = setTimeout(() => { if (!worker.isDead()) worker.process.kill('SIGKILL') }, host.options.disconnectTimeoutMs)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
