import { assertFunction, assertKnownOptions } from '@meshbalancer/core/options'
import { defaultRandom } from './random.js'
import type { RandomSource } from '@meshbalancer/core'

/** Validates a factory's options object and returns its random source (default: {@link defaultRandom}). */
export function randomFrom (algorithm: string, options: { random?: RandomSource } | undefined, known: readonly string[] = []): RandomSource {
  assertKnownOptions(algorithm, options, ['random', ...known])
  if (options?.random === undefined) return defaultRandom()
  return assertFunction<RandomSource>(`${algorithm}.random`, options.random)
}
