import { InvalidOptionError } from '../errors.js'

/**
 * Which nodes join a balancer's group (**contract**): `'all'`, or a list of exact names and regular expressions of
 * which a node's name must match at least one.
 */
export type NodeMatch = 'all' | ReadonlyArray<string | RegExp>

/** Throws an error naming `nodeMatch` unless it is `'all'` or a list of strings and RegExps. */
export function validateNodeMatch (nodeMatch: unknown): NodeMatch {
  if (nodeMatch === 'all') return nodeMatch
  if (!Array.isArray(nodeMatch)) {
    throw new InvalidOptionError('nodeMatch', "expected 'all' or a list of names and regular expressions")
  }
  nodeMatch.forEach((entry: unknown, i) => {
    if (!(entry instanceof RegExp) && (typeof entry !== 'string' || entry.length === 0)) {
      throw new InvalidOptionError(`nodeMatch[${i}]`, 'expected a non-empty name or a regular expression')
    }
  })
  return nodeMatch as NodeMatch
}

/** True when a node named `name` belongs to a group with this match list. */
export function matchesNode (nodeMatch: NodeMatch, name: string): boolean {
  if (nodeMatch === 'all') return true
  return nodeMatch.some(entry => {
    if (typeof entry === 'string') return entry === name
    entry.lastIndex = 0 // a /g or /y expression keeps state between tests
    return entry.test(name)
  })
}
