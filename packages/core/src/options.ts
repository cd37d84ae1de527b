import { InvalidOptionError } from './errors.js'

/**
 * @meshbalancer/core/options: the option checks shared by every factory, for packages that write factories of their
 * own (selection algorithms, transports). Each throws an {@link InvalidOptionError} that names the option, so a
 * typo or a bad value fails loudly at construction rather than silently falling back to a default.
 *
 * @example
 * ```ts
 * import { assertInteger, assertKnownOptions } from '@meshbalancer/core/options'
 *
 * export function myAlgorithm (init: { sample?: number } = {}): SelectionAlgorithm {
 *   assertKnownOptions('myAlgorithm', init, ['sample'])
 *   const sample = assertInteger('myAlgorithm.sample', init.sample ?? 2, 1, 64)
 *   // …
 * }
 * ```
 *
 * @packageDocumentation
 */

/** Throws when `options` has a key that is not in `known`. `scope` prefixes the option name in the error. */
export function assertKnownOptions (scope: string, options: object | undefined, known: readonly string[]): void {
  if (options == null) return
  if (typeof options !== 'object') {
    throw new InvalidOptionError(scope, 'expected an object of options')
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(`${scope}.${key}`, `unknown option; known options are ${known.join(', ')}`)
    }
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function assertInteger (option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidOptionError(option, `expected an integer, got ${describe(value)}`)
  }
  if (value < min || value > max) {
    throw new InvalidOptionError(option, `expected ${min} ≤ value ≤ ${max}, got ${value}`)
  }
  return value
}

/** Throws unless `value` is a finite number in [min, max]. */
export function assertNumber (option: string, value: unknown, min: number, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidOptionError(option, `expected a finite number, got ${describe(value)}`)
  }
  if (value < min || value > max) {
    throw new InvalidOptionError(option, `expected ${min} ≤ value ≤ ${max}, got ${value}`)
  }
  return value
}

/** Throws unless `value` is a non-empty string of at most `maxLength` characters. */
export function assertName (option: string, value: unknown, maxLength = 128): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(option, `expected a non-empty string, got ${describe(value)}`)
  }
  if (value.length > maxLength) {
    throw new InvalidOptionError(option, `expected at most ${maxLength} characters, got ${value.length}`)
  }
  return value
}

/** Throws unless `value` is a function. */
export function assertFunction<T extends (...args: never[]) => unknown> (option: string, value: unknown): T {
  if (typeof value !== 'function') {
    throw new InvalidOptionError(option, `expected a function, got ${describe(value)}`)
  }
  return value as T
}

function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
