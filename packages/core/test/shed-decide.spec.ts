import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { apportion, createShedKnobs, decideShed, InvalidOptionError } from '../src/index.js'
import type { ShedKnobs, ShedMember } from '../src/index.js'

const member = (id: string, count: number, draining = false): ShedMember => ({ id, name: id, count, draining, clientAddress: `ws://${id}` })
const cluster = (...counts: number[]): ShedMember[] => counts.map((count, i) => member(`n${i + 1}`, count))
const exact = createShedKnobs({ mode: 'exact' })
const parallel = createShedKnobs({ mode: 'parallel' })
const decide = (members: ShedMember[], self: string, knobs: ShedKnobs): ReturnType<typeof decideShed> => decideShed({ self, members }, knobs)

describe('the shedding rule, exact mode (ClusterLoadBalancer)', () => {
  it('makes one of two equally loaded nodes shed 100 and the other none, for counts [1000, 1000, 0]', () => {
    const members = cluster(1000, 1000, 0)
    const first = decide(members, 'n1', exact)
    const second = decide(members, 'n2', exact)
    expect([first.amount, second.amount].sort()).toEqual([0, 100])
    // The tie goes to the same node on every node: a fixed order of ids.
    expect(first).toMatchObject({ reason: 'shed', amount: 100 })
    expect(second).toMatchObject({ reason: 'not-highest', amount: 0 })
    expect(decide(members, 'n3', exact).amount).toBe(0)
  })

  it('sheds trunc((count − mean) × shedPercentage / 100), at most maxShedCount', () => {
    expect(decide(cluster(300, 100, 100), 'n1', exact)).toMatchObject({ amount: 66, mean: 500 / 3 })
    expect(decide(cluster(300, 100, 100), 'n1', createShedKnobs({ mode: 'exact', maxShedCount: 40 })).amount).toBe(40)
    expect(decide(cluster(300, 100, 100), 'n1', createShedKnobs({ mode: 'exact', shedPercentage: 100 })).amount).toBe(100)
  })

  it('sheds nothing within the allowed deviation above the mean', () => {
    // mean 106.7, threshold 133.3
    expect(decide(cluster(120, 100, 100), 'n1', exact)).toMatchObject({ reason: 'balanced', amount: 0 })
  })

  it('sheds nothing when the amount would be below minShedCount', () => {
    const knobs = createShedKnobs({ mode: 'exact', allowedAverageDeviationPercent: 10 })
    expect(decide(cluster(130, 100, 100), 'n1', knobs)).toMatchObject({ reason: 'shed', amount: 10 })
    expect(decide(cluster(128, 100, 100), 'n1', knobs)).toMatchObject({ reason: 'below-minimum', amount: 0 })
  })

  it('never sheds alone', () => {
    expect(decide(cluster(5000), 'n1', exact)).toMatchObject({ reason: 'alone', amount: 0 })
    expect(decide(cluster(5000), 'n1', parallel)).toMatchObject({ reason: 'alone', amount: 0 })
  })

  it('points the shed connections at the members below the mean, in proportion to their room', () => {
    const decision = decide(cluster(600, 400, 100, 300), 'n1', exact)
    expect(decision.amount).toBe(100)
    // mean 350: n3 has room for 250, n4 for 50.
    expect(decision.targets.map(t => [t.name, t.share])).toEqual([['n3', 83], ['n4', 17]])
    expect(decision.targets[0]?.clientAddress).toBe('ws://n3')
  })
})

describe('the shedding rule, parallel mode', () => {
  it('lets every node above the mean shed its share at once, for counts [1000, 1000, 0]', () => {
    const members = cluster(1000, 1000, 0)
    expect(decide(members, 'n1', parallel)).toMatchObject({ reason: 'shed', amount: 100 })
    expect(decide(members, 'n2', parallel)).toMatchObject({ reason: 'shed', amount: 100 })
    expect(decide(members, 'n3', parallel).amount).toBe(0)
  })

  it('acts on a member far below the mean even when none is far above it', () => {
    // mean 500: nobody above 625, but n4 is below 375.
    const members = cluster(600, 600, 600, 200)
    // Each holds a third of the 300 moves; by default parallel mode sheds all of its share.
    for (const self of ['n1', 'n2', 'n3']) expect(decide(members, self, parallel)).toMatchObject({ reason: 'shed', amount: 100 })
    const damped = createShedKnobs({ mode: 'parallel', shedPercentage: 50 })
    expect(decide(members, 'n1', damped)).toMatchObject({ reason: 'shed', amount: 50 })
    expect(decide(cluster(600, 600, 600, 200), 'n1', exact)).toMatchObject({ reason: 'balanced' })
  })

  const counts = fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 2, maxLength: 12 })
  const knobs = fc.record({
    allowedAverageDeviationPercent: fc.integer({ min: 0, max: 50 }),
    shedPercentage: fc.integer({ min: 1, max: 100 }),
    maxShedCount: fc.integer({ min: 1, max: 1000 }),
    minShedCount: fc.integer({ min: 0, max: 20 })
  }).map(k => createShedKnobs({ ...k, minShedCount: Math.min(k.minShedCount, k.maxShedCount), mode: 'parallel' }))

  it('never sheds, all nodes together, more than the members below the mean can take', () => {
    fc.assert(fc.property(counts, knobs, (values, k) => {
      const members = cluster(...values)
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const room = values.reduce((sum, c) => sum + Math.max(0, Math.floor(mean) - c), 0)
      const total = members.reduce((sum, m) => sum + decide(members, m.id, k).amount, 0)
      expect(total).toBeLessThanOrEqual(room)
    }))
  })

  it('never takes a node below the mean by its own shedding, nor beyond maxShedCount', () => {
    fc.assert(fc.property(counts, knobs, (values, k) => {
      const members = cluster(...values)
      for (const m of members) {
        const decision = decide(members, m.id, k)
        expect(decision.amount).toBeLessThanOrEqual(k.maxShedCount)
        if (decision.amount > 0) expect(m.count - decision.amount).toBeGreaterThanOrEqual(Math.ceil(decision.mean))
      }
    }))
  })

  it('never sends any member more than its room, summed over every node that sheds', () => {
    fc.assert(fc.property(counts, knobs, (values, k) => {
      const members = cluster(...values)
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const received = new Map<string, number>()
      for (const m of members) {
        for (const target of decide(members, m.id, k).targets) received.set(target.id, (received.get(target.id) ?? 0) + target.share)
      }
      for (const m of members) {
        if (received.has(m.id)) expect(m.count + received.get(m.id)!).toBeLessThanOrEqual(Math.floor(mean))
      }
    }))
  })

  it('gives targets whose shares add up to the amount shed', () => {
    fc.assert(fc.property(counts, knobs, (values, k) => {
      const members = cluster(...values)
      for (const m of members) {
        const decision = decide(members, m.id, k)
        if (decision.amount > 0) expect(decision.targets.reduce((sum, t) => sum + t.share, 0)).toBe(decision.amount)
      }
    }))
  })
})

describe('draining', () => {
  it('hands a draining node\'s connections to the others in proportion to their room, at most the quota a round', () => {
    const members = [member('n1', 300, true), member('n2', 100), member('n3', 200)]
    // The whole drain: mean over the receivers 300, so n2 has room for 200 and n3 for 100.
    const whole = decideShed({ self: 'n1', members, drainQuota: 300 }, parallel)
    expect(whole).toMatchObject({ reason: 'draining', amount: 300, mean: 300 })
    expect(whole.targets.map(t => [t.name, t.share])).toEqual([['n2', 200], ['n3', 100]])
    // A round limited to 60 sends the first part of that plan.
    const round = decideShed({ self: 'n1', members, drainQuota: 60 }, parallel)
    expect(round).toMatchObject({ reason: 'draining', amount: 60 })
    expect(round.targets.map(t => [t.name, t.share])).toEqual([['n2', 60]])
  })

  it('counts a draining member\'s connections where they will land when others decide', () => {
    const members = [member('n1', 300, true), member('n2', 500), member('n3', 100)]
    // Mean over the two receivers: 450; n2 is within 25 % of it, n3 far below.
    const decision = decide(members, 'n2', parallel)
    expect(decision.mean).toBe(450)
    expect(decision.targets.map(t => t.name)).toEqual(['n3'])
  })

  it('has nowhere to go when every other member drains', () => {
    const members = [member('n1', 300, true), member('n2', 500, true)]
    expect(decideShed({ self: 'n1', members }, parallel)).toMatchObject({ reason: 'no-receiver', amount: 0 })
  })
})

describe('knobs and apportioning', () => {
  it('damps exact mode by default (50 %, as ClusterLoadBalancer) but not parallel mode, unless told', () => {
    expect(createShedKnobs({ mode: 'exact' }).shedPercentage).toBe(50)
    expect(createShedKnobs({ mode: 'parallel' }).shedPercentage).toBe(100)
    expect(createShedKnobs().shedPercentage).toBe(100)
    expect(createShedKnobs({ mode: 'parallel', shedPercentage: 30 }).shedPercentage).toBe(30)
  })

  it('rejects a bad knob, naming it', () => {
    const option = (knobs: object): string => {
      try { createShedKnobs(knobs) } catch (err) { return (err as InvalidOptionError).option }
      throw new Error('expected an error')
    }
    expect(option({ maxShedCount: 0 })).toBe('maxShedCount')
    expect(option({ minShedCount: 500 })).toBe('minShedCount')
    expect(option({ shedPercentage: 0 })).toBe('shedPercentage')
    expect(option({ allowedAverageDeviationPercent: -1 })).toBe('allowedAverageDeviationPercent')
    expect(option({ roundDurationSeconds: 0 })).toBe('roundDurationSeconds')
    expect(option({ mode: 'fast' })).toBe('mode')
  })

  it('splits an amount into integers in proportion, summing exactly', () => {
    expect(apportion([3, 1], 100)).toEqual([75, 25])
    expect(apportion([1, 1, 1], 10)).toEqual([4, 3, 3])
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 1000 }), (weights, amount) => {
      const shares = apportion(weights, amount)
      const total = weights.reduce((a, b) => a + b, 0)
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total === 0 ? 0 : amount)
    }))
  })
})
