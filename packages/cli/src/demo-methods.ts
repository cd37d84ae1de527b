import { BadRequestError } from '@meshbalancer/core'
import type { Cluster } from '@meshbalancer/core'

/**
 * Methods a CLI node serves with `--demo-methods`, for trying a mesh by hand and for tests across processes:
 * `echo` returns its arguments with the serving node's name, `sleep` waits `{ ms }` (stopping early if the caller
 * goes away), `fail` throws an Error with `{ message }`.
 */
export function serveDemoMethods (cluster: Cluster): void {
  cluster.handle('echo', (args: unknown) => ({ args, node: cluster.name }))
  cluster.handle('sleep', async (args: { ms?: unknown } | undefined, { signal }) => {
    const ms = args?.ms
    if (typeof ms !== 'number' || ms < 0) throw new BadRequestError('sleep expects { ms: number ≥ 0 }')
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
    return { slept: ms, node: cluster.name }
  })
  cluster.handle('fail', (args: { message?: unknown } | undefined) => {
    throw new Error(typeof args?.message === 'string' ? args.message : 'failed on purpose')
  })
}
