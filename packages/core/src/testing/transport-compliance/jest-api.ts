import { MeshbalancerError } from '../../errors.js'
import type { afterEach, describe, expect, it } from '@jest/globals'

/** The parts of jest the suite registers and checks with. */
export interface JestApi {
  describe: typeof describe
  it: typeof it
  expect: typeof expect
  afterEach: typeof afterEach
}

/** {@link describeTransportCompliance} was called outside a jest test file, where jest's globals do not exist. */
export class TestEnvironmentError extends MeshbalancerError {
  readonly code = 'TEST_ENVIRONMENT'
  override readonly name = 'TestEnvironmentError'
}

/**
 * jest's globals, looked up when a suite is registered rather than imported: importing `@jest/globals` fails
 * outside jest, and `@meshbalancer/core/testing` is also imported by simulations and benchmarks for its clock and
 * network.
 */
export function jestApi (): JestApi {
  const api = globalThis as Partial<JestApi>
  if (typeof api.describe !== 'function' || typeof api.it !== 'function' || typeof api.expect !== 'function' || typeof api.afterEach !== 'function') {
    throw new TestEnvironmentError('describeTransportCompliance registers jest tests: call it from a jest test file (with injectGlobals, the default)')
  }
  return api as JestApi
}
