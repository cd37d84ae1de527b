import { InvalidRecordError } from '../errors.js'
import type { GroupLoad } from '../pb/record.js'

/**
 * How one field of the member record is checked, compared and carried on the wire. The record's declaration
 * (`RECORD_FIELDS` in member/record.ts) maps every field to one of these; the codec, validation, equality and
 * snapshots are derived from it.
 *
 * @typeParam T - the field's type in the record
 * @typeParam W - the field's type in the protons-generated wire message
 */
export interface Field<T, W> {
  /** @throws InvalidRecordError with reason `out-of-range`, naming `field`, when the value is out of bounds */
  validate(value: T, field: string): void
  /** Whether two values are the same content; a change a receiver must see is never equal. */
  equal(a: T, b: T): boolean
  toWire(value: T): W
  /** @throws InvalidRecordError when the wire value has no record value (an unknown enum, a duplicate key) */
  fromWire(wire: W, field: string): T
  /** Entries accepted on decode for a repeated or map field, enforced by the generated decoder as it reads. */
  readonly maxEntries?: number
  /**
   * False for a field that changes with every publish without the member changing (the sequence): such a field
   * never makes a record an update.
   * @default true
   */
  readonly content?: boolean
  /** The value a record built by `memberRecord()` takes when none is given. */
  readonly empty: T
}

/** Names and tag keys are identifiers that end up in logs, metrics labels and terminals: no whitespace or controls. */
export const IDENTIFIER = /^[^\s\p{Cc}]+$/u
/** Free text (tag values, addresses) may contain spaces but never control characters. */
export const NO_CONTROLS = /^[^\p{Cc}]*$/u

const same = <T>(a: T, b: T): boolean => a === b
const identity = <T>(value: T): T => value

export interface TextBounds {
  min: number
  max: number
  pattern: RegExp
}

/** A string of `min` to `max` characters matching `pattern` (when not empty). */
export function text (bounds: TextBounds): Field<string, string> {
  return {
    validate: (value, field) => { checkText(field, value, bounds) },
    equal: same,
    toWire: identity,
    fromWire: identity,
    empty: ''
  }
}

/** An integer in [min, max]. */
export function integer (min: number, max: number): Field<number, number> {
  return {
    validate: (value, field) => { checkInteger(field, value, min, max) },
    equal: same,
    toWire: identity,
    fromWire: identity,
    empty: min
  }
}

/** One of the keys of `toWire`, carried as its enum value. */
export function oneOf<T extends string, W> (toWire: Readonly<Record<T, W>>, empty: T): Field<T, W> {
  const fromWire = new Map<W, T>(Object.entries(toWire).map(([value, wire]) => [wire as W, value as T]))
  return {
    validate: (value, field) => { if (!Object.hasOwn(toWire, value)) outOfRange(field, String(value)) },
    equal: same,
    toWire: value => toWire[value],
    fromWire: (wire, field) => fromWire.get(wire) ?? outOfRange(field, String(wire)),
    empty
  }
}

export interface LoadsBounds {
  maxEntries: number
  maxNameLength: number
  maxLoad: number
  /** What an entry is called in errors (`group`, `namespace`). */
  entry: string
  /** What its number is called in errors (`load`, `count`). */
  amount: string
}

/** Names with a number each (groups with loads, namespaces with counts), carried as a list of `GroupLoad`. */
export function loads (bounds: LoadsBounds): Field<ReadonlyMap<string, number>, GroupLoad[]> {
  const { maxEntries, maxNameLength, maxLoad, entry, amount } = bounds
  return {
    validate: (value, field) => {
      if (value.size > maxEntries) outOfRange(field, `${value.size} entries`)
      for (const [name, load] of value) {
        checkText(`${entry} name`, name, { min: 1, max: maxNameLength, pattern: IDENTIFIER })
        checkInteger(`${amount} of ${entry} "${name}"`, load, 0, maxLoad)
      }
    },
    equal: (a, b) => {
      if (a.size !== b.size) return false
      for (const [key, value] of a) if (b.get(key) !== value) return false
      return true
    },
    toWire: value => [...value].map(([name, load]) => ({ name, load })),
    fromWire: wire => {
      const value = new Map<string, number>()
      for (const { name, load } of wire) {
        if (value.has(name)) throw new InvalidRecordError('out-of-range', `${entry} "${name}" listed twice`)
        value.set(name, load)
      }
      return value
    },
    maxEntries,
    empty: new Map()
  }
}

export interface StringMapBounds {
  maxEntries: number
  maxKeyLength: number
  maxValueLength: number
  /** What an entry is called in errors (`tag`). */
  entry: string
}

/** String keys (identifiers) with free-text values, carried as a protobuf map. */
export function stringMap (bounds: StringMapBounds): Field<Readonly<Record<string, string>>, Map<string, string>> {
  const { maxEntries, maxKeyLength, maxValueLength, entry } = bounds
  return {
    validate: (value, field) => {
      const entries = Object.entries(value)
      if (entries.length > maxEntries) outOfRange(field, `${entries.length} entries`)
      for (const [key, text] of entries) {
        checkText(`${entry} key`, key, { min: 1, max: maxKeyLength, pattern: IDENTIFIER })
        checkText(`${entry} "${key}"`, text, { min: 0, max: maxValueLength, pattern: NO_CONTROLS })
      }
    },
    equal: (a, b) => {
      if (a === b) return true
      const keys = Object.keys(a)
      return keys.length === Object.keys(b).length && keys.every(key => a[key] === b[key])
    },
    toWire: value => new Map(Object.entries(value)),
    fromWire: wire => Object.freeze(Object.fromEntries(wire)),
    maxEntries,
    empty: Object.freeze({})
  }
}

export interface StringListBounds extends TextBounds {
  maxEntries: number
  /** What an entry is called in errors. */
  entry: string
}

/** An ordered list of strings, carried as a repeated string. */
export function stringList (bounds: StringListBounds): Field<readonly string[], string[]> {
  return {
    validate: (value, field) => {
      if (value.length > bounds.maxEntries) outOfRange(field, `${value.length} entries`)
      for (const item of value) checkText(bounds.entry, item, bounds)
    },
    equal: (a, b) => a === b || (a.length === b.length && a.every((item, i) => item === b[i])),
    toWire: value => [...value],
    fromWire: wire => Object.freeze(wire),
    maxEntries: bounds.maxEntries,
    empty: Object.freeze([])
  }
}

function checkText (field: string, value: unknown, { min, max, pattern }: TextBounds): void {
  if (typeof value !== 'string') outOfRange(field, `expected a string, got ${typeof value}`)
  if (value.length < min || value.length > max) outOfRange(field, `length ${value.length} not in [${min}, ${max}]`)
  if (value.length > 0 && !pattern.test(value)) outOfRange(field, 'contains whitespace or control characters')
}

function checkInteger (field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    outOfRange(field, `${String(value)} not an integer in [${min}, ${max}]`)
  }
}

function outOfRange (field: string, detail: string): never {
  throw new InvalidRecordError('out-of-range', `${field}: ${detail}`)
}
