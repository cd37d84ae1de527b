/**
 * A compliance suite for transports: the behaviour the cluster relies on from any `Transport`, held against
 * the memory and libp2p transports alike. Run it from a transport package's jest tests:
 *
 * ```ts
 * import { describeTransportCompliance } from '@meshbalancer/core/testing'
 * describeTransportCompliance('MyTransport', {
 *   async createPeers (count) {
 *     const transports = await startConnectedTransports(count)
 *     return { transports, disconnect: async (a, b) => { await cut(a, b) }, close: async () => { await stopAll(transports) } }
 *   }
 * })
 * ```
 *
 * @packageDocumentation
 */
import { until } from './harness.js'
import { jestApi } from './jest-api.js'
import { peerTests } from './peers.js'
import { requestTests } from './requests.js'
import { signingTests } from './signing.js'
import { topicTests } from './topics.js'
import type { SuiteContext } from './context.js'
import type { TransportComplianceFactory, TransportComplianceOptions, TransportPeers } from './harness.js'

export type { OptionalTransportFeature, TransportComplianceFactory, TransportComplianceOptions, TransportPeers } from './harness.js'

/** Default of {@link TransportComplianceOptions.waitMs}. */
export const DEFAULT_COMPLIANCE_WAIT_MS = 10_000

/**
 * Registers jest tests that check the transports `factory` makes against the `Transport` contract: identity
 * and addresses, idempotent start and stop, topic delivery (to every other subscriber, validated first, with
 * `from` and `via`), subscription notices, requests (responses, one-way sends, failures as
 * `SERVICE_UNAVAILABLE`, aborts on both ends), signatures (a peer's verify as its own and as nothing else) and
 * connectivity (every peer listener called, connected peers, forgetting peers, pings, penalties).
 */
export function describeTransportCompliance (name: string, factory: TransportComplianceFactory, options: TransportComplianceOptions = {}): void {
  const waitMs = options.waitMs ?? DEFAULT_COMPLIANCE_WAIT_MS
  const without = new Set(options.without ?? [])
  const jest = jestApi()
  const { afterEach, describe } = jest
  const open: TransportPeers[] = []
  const context: SuiteContext = {
    jest,
    peers: async (count) => {
      const peers = await factory.createPeers(count)
      open.push(peers)
      return peers
    },
    until: async (condition, what) => { await until(condition, what, waitMs) },
    has: feature => !without.has(feature)
  }

  describe(`${name} (transport compliance)`, () => {
    afterEach(async () => {
      for (const peers of open.splice(0)) await peers.close()
    })
    describe('peers', () => { peerTests(context) })
    describe('topics', () => { topicTests(context) })
    describe('requests', () => { requestTests(context) })
    describe('signatures', () => { signingTests(context) })
  })
}
