/**
 * A compliance suite for selection algorithms: the behaviour every algorithm owes the balancer, whatever it
 * optimises. Run it from any algorithm package's jest tests:
 *
 * ```ts
 * import { describeCompliance } from '@meshbalancer/algorithms/compliance'
 * describeCompliance('myAlgorithm', ({ random }) => myAlgorithm({ random }))
 * ```
 *
 * @packageDocumentation
 */
import { describe, expect, it } from '@jest/globals'
import { seededRandom } from '@meshbalancer/core'
import { testMember, testMembers } from './members.js'
import type { Member, NodeChange, RandomSource, SelectionAlgorithm, SelectOptions } from '@meshbalancer/core'

export { testMember, testMembers } from './members.js'

/** What a factory under test receives: a seeded random source it should use for every draw. */
export interface ComplianceContext {
  random: RandomSource
}

export interface ComplianceOptions {
  /**
   * Whether every member must be picked at least once over many picks (varying keys, releasing every pick).
   * Algorithms that deliberately exclude members (by tag, say) set this to false.
   * @default true
   */
  everyMemberReachable?: boolean
  /** Members the suite builds for a test of size n; defaults to plain members of load 0 and weight 1. */
  members?: (count: number) => readonly Member[]
  /** Options passed with every pick, besides the suite's own keys. @default {} */
  selectOptions?: SelectOptions
}

const SIZES = [1, 2, 3, 10, 50]

/** Registers jest tests that check `factory`'s algorithms against the selection contract. */
export function describeCompliance (name: string, factory: (context: ComplianceContext) => SelectionAlgorithm, options: ComplianceOptions = {}): void {
  const members = options.members ?? ((count: number) => testMembers(count))
  const selectOptions = options.selectOptions ?? {}
  const make = (seed = 1): SelectionAlgorithm => factory({ random: seededRandom(seed) })
  const pick = (algorithm: SelectionAlgorithm, nodes: readonly Member[], i: number): Member => {
    const member = algorithm.chooseFromNodes(nodes, { ...selectOptions, key: `key-${i}` })
    algorithm.releaseNode?.(member)
    return member
  }
  const change = (nodes: readonly Member[], previous: readonly Member[]): NodeChange => ({
    nodes,
    joined: nodes.filter(node => !previous.some(p => p.id === node.id)),
    left: previous.filter(node => !nodes.some(n => n.id === node.id)),
    updated: []
  })

  describe(`${name} (selection algorithm compliance)`, () => {
    it('has a non-empty name', () => {
      const algorithm = make()
      expect(typeof algorithm.name).toBe('string')
      expect(algorithm.name.length).toBeGreaterThan(0)
    })

    it.each(SIZES)('picks one of the %i given members, from the very array it was given', (size) => {
      const algorithm = make()
      algorithm.init?.({ balancer: 'compliance' })
      const nodes = members(size)
      for (let i = 0; i < 200; i++) expect(nodes).toContain(pick(algorithm, nodes, i))
    })

    it('follows membership changes, told or not, and never returns a member that left', () => {
      const algorithm = make()
      let nodes = members(10)
      for (let i = 0; i < 50; i++) pick(algorithm, nodes, i)
      const fewer = Object.freeze(nodes.slice(3))
      algorithm.onNodeChange?.(change(fewer, nodes))
      nodes = fewer
      for (let i = 0; i < 200; i++) expect(nodes).toContain(pick(algorithm, nodes, i))
      const untold = Object.freeze(members(12).slice(5))
      for (let i = 0; i < 200; i++) expect(untold).toContain(pick(algorithm, untold, i))
    })

    it('makes the same picks from the same random seed', () => {
      const nodes = members(20)
      const run = (): string[] => {
        const algorithm = make(42)
        return Array.from({ length: 100 }, (_, i) => pick(algorithm, nodes, i).id)
      }
      expect(run()).toEqual(run())
    })

    it('does not modify the members or the array it is given', () => {
      const algorithm = make()
      const nodes = members(10)
      const copy = nodes.map(node => ({ ...node }))
      for (let i = 0; i < 100; i++) pick(algorithm, nodes, i)
      expect(nodes.map(node => ({ ...node }))).toEqual(copy)
    })

    it('ignores the release of a member it never picked, or picked and released already', () => {
      const algorithm = make()
      const nodes = members(3)
      expect(() => { algorithm.releaseNode?.(testMember(999)) }).not.toThrow()
      const member = algorithm.chooseFromNodes(nodes, selectOptions)
      algorithm.releaseNode?.(member)
      expect(() => { algorithm.releaseNode?.(member) }).not.toThrow()
      expect(nodes).toContain(algorithm.chooseFromNodes(nodes, selectOptions))
    })

    if (options.everyMemberReachable !== false) {
      it('reaches every member over many picks', () => {
        const algorithm = make()
        const nodes = members(10)
        const seen = new Set<string>()
        for (let i = 0; i < 2000; i++) seen.add(pick(algorithm, nodes, i).id)
        expect(seen.size).toBe(nodes.length)
      })
    }

    it.each([1, 2, 5, 12])('returns min(%i, n) distinct given members from chooseNodes, when it has one', (count) => {
      const algorithm = make()
      if (algorithm.chooseNodes === undefined) return
      for (const size of SIZES) {
        const nodes = members(size)
        for (let i = 0; i < 20; i++) {
          const chosen = algorithm.chooseNodes(nodes, count, { ...selectOptions, key: `key-${i}` })
          expect(chosen).toHaveLength(Math.min(count, size))
          expect(new Set(chosen.map(node => node.id)).size).toBe(chosen.length)
          for (const node of chosen) expect(nodes).toContain(node)
        }
      }
    })
  })
}
