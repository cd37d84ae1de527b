import cluster from 'node:cluster'
import { once } from 'node:events'
import * as http from 'node:http'
import { join } from 'node:path'
import { afterEach } from '@jest/globals'
import { createBalancer } from '../src/index.js'
import type { ClusterBalancer, WorkerMember } from '../src/index.js'
import type { Worker } from 'node:cluster'

export const WORKER = join(import.meta.dirname, 'fixtures', 'http-worker.mjs')

/** Points node:cluster at the fixture worker, without the test runner's flags. */
export function setupWorkers (): void {
  cluster.setupPrimary({ exec: WORKER, execArgv: [], silent: false })
}

/**
 * One request on a connection of its own, or on `agent`'s kept-alive connection when given; resolves with the id
 * of the worker that answered.
 */
export async function request (port: number, timeoutMs = 10_000, agent?: http.Agent): Promise<number> {
  const connection = agent === undefined ? { agent: false as const, headers: { connection: 'close' } } : { agent }
  return await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs, ...connection }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => {
        if (res.statusCode === 200) resolve(Number(body))
        else reject(new Error(`status ${res.statusCode}`))
      })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error('request timed out')) })
    req.on('error', reject)
  })
}

export interface Load { readonly answers: number[], readonly failures: Error[] }

/** Keeps `concurrency` requests in flight until `done(requests made)` is true (checked between requests). */
export async function load (port: number, concurrency: number, done: (made: number) => boolean): Promise<Load> {
  const answers: number[] = []
  const failures: Error[] = []
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!done(answers.length + failures.length)) {
      try {
        answers.push(await request(port))
      } catch (err) {
        failures.push(err as Error)
      }
    }
  }))
  return { answers, failures }
}

/** Waits until `condition()` holds, polling, or throws after `timeoutMs` naming `what`. */
export async function until (what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Forks `count` workers and waits until the balancer has them all ready. */
export async function forkReady (balancer: ClusterBalancer, count: number, env: Record<string, string> = {}): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => cluster.fork(env))
  await until(`${count} workers ready`, () => workers.every(worker => balancer.selectable().some(member => member.workerId === worker.id)))
  return workers
}

/** Kills every worker and waits for their exits. */
export async function killAll (): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined)
  await Promise.all(workers.map(async worker => {
    if (worker.isDead()) return
    const exited = once(worker, 'exit')
    worker.process.kill('SIGKILL')
    await exited
  }))
}

export function byWorker (members: readonly WorkerMember[], id: number): WorkerMember | undefined {
  return members.find(member => member.workerId === id)
}

/**
 * Registers the cleanup of a spec file's balancers and workers, and returns how the file starts a balancer
 * (pinging every 100 ms) in front of the fixture workers, listening on a free port.
 */
export function balancerStarter (): (options?: Parameters<typeof createBalancer>[0]) => Promise<{ balancer: ClusterBalancer, port: number }> {
  let current: ClusterBalancer | undefined
  afterEach(async () => {
    await current?.close()
    current = undefined
    await killAll()
  })
  return async (options = {}) => {
    setupWorkers()
    const balancer = createBalancer({ pingIntervalMs: 100, ...options })
    current = balancer
    const { port } = await balancer.listen(0, '127.0.0.1')
    return { balancer, port }
  }
}
