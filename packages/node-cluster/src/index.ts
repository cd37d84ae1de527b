/**
 * @meshbalancer/node-cluster: a connection balancer for node:cluster. In the primary, {@link createBalancer}
 * makes a `net.Server` that hands each accepted connection to the worker a meshbalancer algorithm picks
 * (`leastLatency()` by default, from the workers' answers to IPC pings and their event-loop lag). In each worker,
 * {@link listen} serves the connections handed over and {@link ready} says when it can.
 *
 * @example
 * ```ts
 * if (cluster.isPrimary) {
 *   const balancer = createBalancer()
 *   for (let i = 0; i < 4; i++) cluster.fork()
 *   await balancer.listen(8080)
 *   process.on('SIGUSR2', () => { void balancer.reload() })
 * } else {
 *   listen(http.createServer((req, res) => { res.end('hello') }))
 *   ready()
 * }
 * ```
 *
 * @packageDocumentation
 */
export { ClusterBalancer, createBalancer } from './primary/balancer.js'
export type { ClusterBalancerEvents, DropReason, WorkerLeaveReason } from './primary/balancer.js'
export { resolveBalancerOptions } from './primary/options.js'
export type { BalancerOptions, ResolvedBalancerOptions } from './primary/options.js'
export type { ReloadOptions } from './primary/reload.js'
export type { WorkerMember, WorkerState } from './primary/worker-entry.js'
export { listen, ready } from './worker/listen.js'
export type { ListenOptions, WorkerListener } from './worker/listen.js'
export { ClusterRoleError, WorkerStartTimeoutError } from './errors.js'
export * as defaults from './constants.js'
