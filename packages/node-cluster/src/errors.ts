import { MeshbalancerError } from '@meshbalancer/core'

/**
 * A primary-side function ran in a worker, or a worker-side one in the primary (or outside node:cluster): the
 * balancer runs in the primary, `listen()` and `ready()` in workers.
 */
export class ClusterRoleError extends MeshbalancerError {
  readonly code = 'CLUSTER_ROLE'
  override readonly name = 'ClusterRoleError'
}

/**
 * A worker forked by `reload()` did not say it was ready within `readyTimeoutMs`. The reload stops there: the new
 * worker is killed, and the old one keeps serving.
 */
export class WorkerStartTimeoutError extends MeshbalancerError {
  readonly code = 'WORKER_START_TIMEOUT'
  override readonly name = 'WorkerStartTimeoutError'

  constructor (message: string, readonly timeoutMs: number) {
    super(message)
  }
}
