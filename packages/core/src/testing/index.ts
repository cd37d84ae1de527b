/**
 * @meshbalancer/core/testing: test doubles and the transport compliance suite, for tests and simulations only.
 *
 * - {@link ManualClock}: virtual time, advanced by the test.
 * - {@link MemoryNetwork} and its {@link MemoryTransport}s: an in-process network with delay, loss, partitions
 *   and disconnections.
 * - {@link describeTransportCompliance}: the jest suite every `Transport` implementation should pass.
 * - {@link until}: waits for a condition, with a deadline, for tests over real transports.
 *
 * @example
 * ```ts
 * import { createCluster } from '@meshbalancer/core'
 * import { ManualClock, MemoryNetwork } from '@meshbalancer/core/testing'
 *
 * const clock = new ManualClock()
 * const network = new MemoryNetwork({ clock, delayMs: 1 })
 * const cluster = await createCluster({ name: 'n1', transport: network.createTransport(), clock })
 * ```
 *
 * @packageDocumentation
 */
export { ConditionTimeoutError, ManualClock } from '../manual-clock.js'
export { MemoryNetwork } from '../transport/memory/network.js'
export type { LinkDelay, MemoryNetworkInit } from '../transport/memory/network.js'
export { MemoryTransport } from '../transport/memory/transport.js'
export { DEFAULT_COMPLIANCE_WAIT_MS, describeTransportCompliance } from './transport-compliance/index.js'
export { until } from './transport-compliance/harness.js'
export { TestEnvironmentError } from './transport-compliance/jest-api.js'
export type {
  OptionalTransportFeature, TransportComplianceFactory, TransportComplianceOptions, TransportPeers
} from './transport-compliance/index.js'
