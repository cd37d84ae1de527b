import cluster from 'node:cluster'
import { createNode } from '@meshbalancer/gossip'
import { createBalancer } from '@meshbalancer/node-cluster'
import { silentLogger } from '@meshbalancer/core'
import type { Cluster } from '@meshbalancer/core'

/** How the primary runs. */
export interface PrimaryOptions {
  readonly port: number
  readonly workers: number
  /** Join a mesh, and shed with its other hosts. */
  readonly mesh?: { readonly name: string, readonly join: readonly string[], readonly listen: string }
}

/** The shedding namespace in which the hosts compare their connections. */
export const NAMESPACE = 'http'

function print (event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ event, ...fields }))
}

/** Starts the balancer, forks the workers, and with `mesh` joins the mesh and sheds with it. */
export async function startPrimary (options: PrimaryOptions): Promise<void> {
  // Before the first fork, so that the balancer hears every worker's ready message.
  const balancer = createBalancer()
  balancer.on('worker:ready', member => { print('worker:ready', { worker: member.workerId }) })
  balancer.on('worker:leave', (member, reason) => { print('worker:leave', { worker: member.workerId, reason }) })
  // A worker that dies is replaced; one that a reload disconnects was replaced already.
  cluster.on('exit', worker => { if (!worker.exitedAfterDisconnect && !stopping) cluster.fork() })
  for (let i = 0; i < options.workers; i++) cluster.fork()
  const { port } = await balancer.listen(options.port, '127.0.0.1')
  print('listening', { port, pid: process.pid })

  let node: Cluster | undefined
  if (options.mesh !== undefined) {
    node = await createNode({ name: options.mesh.name, join: [...options.mesh.join], listen: [options.mesh.listen], logger: silentLogger })
    const shedder = node.shedder({ namespace: NAMESPACE, implementation: balancer.shedImplementation() })
    // The count goes out on every change, so that the fleet's shedders decide from fresh counts.
    balancer.on('load:change', connections => { shedder.announce(connections) })
    shedder.on('round', round => { if (round.killed > 0) print('shed', { round: round.round, closed: round.killed }) })
    print('mesh', { name: options.mesh.name, addresses: node.self().addresses })
  }

  let stopping = false
  process.on('SIGUSR2', () => {
    print('reload')
    balancer.reload().then(() => { print('reload:done') }, (err: Error) => { print('reload:failed', { error: err.message }) })
  })
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    print('stopping')
    await node?.stop()
    await balancer.close()
    for (const worker of Object.values(cluster.workers ?? {})) worker?.disconnect()
  }
  process.once('SIGTERM', () => { void stop() })
  process.once('SIGINT', () => { void stop() })
}
