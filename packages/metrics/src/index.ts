/**
 * @meshbalancer/metrics: Prometheus metrics of a cluster node.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { instrumentCluster, metricsHandler } from '@meshbalancer/metrics'
 *
 * const { registry } = instrumentCluster(cluster)
 * createServer(metricsHandler(registry)).listen(9464)
 * ```
 *
 * @packageDocumentation
 */
export { instrumentCluster, UNKNOWN_METHOD } from './cluster-metrics.js'
export type { ClusterMetrics, ClusterMetricsInit } from './cluster-metrics.js'
export { metricsHandler } from './handler.js'
export { Registry } from 'prom-client'
