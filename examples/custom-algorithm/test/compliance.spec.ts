import { describe, expect, it } from '@jest/globals'
import { describeCompliance, testMembers } from '@meshbalancer/algorithms/compliance'
import { InvalidOptionError } from '@meshbalancer/core'
import { leastLoadedTagged } from '../src/index.js'

// The contract every algorithm owes the balancer, checked with the suite that @meshbalancer/algorithms exports.
describeCompliance('leastLoadedTagged (no member tagged: falls back to all)', ({ random }) => leastLoadedTagged({ tag: 'zone', value: 'a', random }))
describeCompliance('leastLoadedTagged (half the members tagged)', ({ random }) => leastLoadedTagged({ tag: 'zone', value: 'a', random }), {
  members: (count) => testMembers(count, i => ({ tags: { zone: i % 2 === 0 ? 'a' : 'b' } })),
  everyMemberReachable: false
})

describe('leastLoadedTagged', () => {
  it('picks only tagged members, the least loaded first', () => {
    const nodes = testMembers(6, i => ({ tags: { zone: i < 3 ? 'a' : 'b' }, load: [5, 2, 9, 0, 0, 0][i]! }))
    const algorithm = leastLoadedTagged({ tag: 'zone', value: 'a' })
    const picks = Array.from({ length: 4 }, () => algorithm.chooseFromNodes(nodes, {}).name)
    // node-1 (load 2) until its picks in flight bring it to node-0's load of 5.
    expect(picks).toEqual(['node-1', 'node-1', 'node-1', expect.stringMatching(/^node-[01]$/)])
  })

  it('rejects missing or unknown options, naming them', () => {
    expect(() => leastLoadedTagged({ tag: '', value: 'a' })).toThrow(InvalidOptionError)
    expect(() => leastLoadedTagged({ tag: 'zone', value: 'a', zone: 'b' } as never)).toThrow(/leastLoadedTagged.zone/)
  })
})
