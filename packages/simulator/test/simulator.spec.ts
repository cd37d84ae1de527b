import { describe, expect, it } from '@jest/globals'
import {
  classicRounds, PROTOCOL, removalTime, simulateBalance, simulateConvergence, simulateCost, simulateCrash, simulateDeploy,
  simulateSuspicions, suspicionBounds, suspicionTimeout
} from '../src/index.js'

const convergence = { size: 1000, targetPeers: 16, meshDegree: 4, loss: 0.05, hopsPerHeartbeat: 1000 }

describe('the simulator', () => {
  it('gives the same result for the same seed, and another for another seed', () => {
    expect(simulateCrash({ size: 500, seed: 7, trials: 3, mode: 'silent' })).toEqual(simulateCrash({ size: 500, seed: 7, trials: 3, mode: 'silent' }))
    expect(simulateSuspicions({ size: 500, seed: 7, loss: 0.05, periods: 10 })).toEqual(simulateSuspicions({ size: 500, seed: 7, loss: 0.05, periods: 10 }))
    expect(simulateBalance({ size: 100, seed: 7, choice: 'two-stale', seconds: 20 })).toEqual(simulateBalance({ size: 100, seed: 7, choice: 'two-stale', seconds: 20 }))
    expect(simulateSuspicions({ size: 500, seed: 7, loss: 0.05, periods: 10 }).traffic).not.toEqual(simulateSuspicions({ size: 500, seed: 8, loss: 0.05, periods: 10 }).traffic)
  })

  it('spreads a record published once to 99.99 % of nodes no slower than 1.5× the classic epidemic model with the same fanout', () => {
    for (const seed of [1, 2, 3]) {
      const result = simulateConvergence({ ...convergence, seed })
      expect(result.ours.at(-1)).toBe(1000)
      expect(result.ratio).toBeLessThanOrEqual(1.5)
    }
  })

  it('counts the copies a record costs: at least one per node, about the mesh degree per node, more with a larger mesh', () => {
    const atFour = simulateConvergence({ ...convergence, seed: 1 }).copiesPerRecord
    const atSix = simulateConvergence({ ...convergence, meshDegree: 6, seed: 1 }).copiesPerRecord
    // Each node but the publisher receives a copy; each forwards to its mesh peers but the sender (D - 1 copies),
    // and a few more come from the publisher's flood to its connections and from repair.
    expect(atFour).toBeGreaterThanOrEqual(999)
    expect(atFour / 1000).toBeGreaterThan(3 - 0.5)
    expect(atFour / 1000).toBeLessThan(4 + 0.5)
    expect(atSix / 1000).toBeGreaterThan(5 - 0.5)
    expect(atSix / 1000).toBeLessThan(6 + 0.5)
  })

  it('reproduces the classic model\'s known figure: fanout 3 reaches 99.99 % of 10,000 nodes in about 13 rounds or fewer', () => {
    const rounds = classicRounds(10_000, 3, 0, 1)
    expect(rounds).toBeGreaterThanOrEqual(8)
    expect(rounds).toBeLessThanOrEqual(14)
  })
})

describe('Lifeguard\'s suspicion timeout', () => {
  it('runs from 3 × the minimum for one claimant down to the minimum at K confirmations, and never below it', () => {
    const { min, max } = suspicionBounds(PROTOCOL, 1000)
    expect(min).toBeCloseTo(2 * 3 * 1000)
    expect(max).toBeCloseTo(3 * min)
    expect(suspicionTimeout(PROTOCOL, 1000, 0)).toBeCloseTo(max)
    expect(suspicionTimeout(PROTOCOL, 1000, 1)).toBeLessThan(max)
    expect(suspicionTimeout(PROTOCOL, 1000, 1)).toBeGreaterThan(suspicionTimeout(PROTOCOL, 1000, 2))
    expect(suspicionTimeout(PROTOCOL, 1000, 3)).toBeCloseTo(min)
    expect(suspicionTimeout(PROTOCOL, 1000, 30)).toBeCloseTo(min)
    // Small clusters: log10 n is floored at 1.
    expect(suspicionBounds(PROTOCOL, 5).min).toBe(2000)
  })

  it('removes at the first claim plus the timeout of the claims received by then', () => {
    const timeout = (c: number): number => [9000, 6000, 4000, 3000][Math.min(c, 3)]!
    expect(removalTime([], timeout)).toBe(Number.POSITIVE_INFINITY)
    expect(removalTime([100], timeout)).toBe(9100)
    // A second claim at 1 s shortens the deadline to 6.1 s; a third at 7 s comes too late to matter.
    expect(removalTime([100, 1000, 7000], timeout)).toBe(6100)
    // A fourth claim after the shortened deadline has passed removes at once.
    expect(removalTime([100, 200, 300, 5000], timeout)).toBe(4100)
  })
})

describe('failure detection (SWIM + Lifeguard)', () => {
  it('removes a killed member everywhere at the minimum suspicion timeout: its connected peers confirm it at once', () => {
    const result = simulateCrash({ size: 1000, seed: 2, trials: 4, mode: 'refused' })
    const { min } = suspicionBounds(PROTOCOL, 1000)
    expect(result.neverRemoved).toBe(0)
    expect(result.removalSeconds.p50).toBeGreaterThanOrEqual(min / 1000)
    expect(result.removalSeconds.max).toBeLessThan(min / 1000 + 0.5)
    expect(result.firstSuspicionSeconds).toBeLessThan(0.1)
    expect(result.curve.at(-1)).toBe(1)
  })

  it('removes a silent crash later, once its probers find it, and publishes no more than K + 1 claims of it', () => {
    const silent = simulateCrash({ size: 1000, seed: 2, trials: 4, mode: 'silent' })
    const refused = simulateCrash({ size: 1000, seed: 2, trials: 4, mode: 'refused' })
    expect(silent.neverRemoved).toBe(0)
    expect(silent.removalSeconds.p50).toBeGreaterThan(refused.removalSeconds.p50)
    expect(silent.claimsPerCrash).toBeLessThanOrEqual(PROTOCOL.confirmations + 1)
    // Within a pass of the probers that find it and the single-claimant timeout.
    expect(silent.removalSeconds.max).toBeLessThan(suspicionBounds(PROTOCOL, 1000).max / 1000 + 5)
  })

  it('suspects live members under 5 % loss, refutes every suspicion, and removes none', () => {
    const lossy = simulateSuspicions({ size: 1000, seed: 3, loss: 0.05, periods: 30 })
    expect(lossy.claims).toBeGreaterThan(0)
    expect(lossy.falseRemovals).toBe(0)
    // Refutations arrive in milliseconds, far within the timeout.
    expect(lossy.longestSuspectMs).toBeLessThan(suspicionBounds(PROTOCOL, 1000).min)
  })

  it('suspects far less when losses are retransmitted (TCP) than when they are final (datagrams)', () => {
    const datagram = simulateSuspicions({ size: 1000, seed: 3, loss: 0.1, periods: 30 })
    const stream = simulateSuspicions({ size: 1000, seed: 3, loss: 0.1, periods: 30, transport: 'stream' })
    expect(datagram.claims).toBeGreaterThan(10)
    expect(stream.claims).toBeLessThan(datagram.claims / 10)
    expect(stream.falseRemovals).toBe(0)
  })

  it('suspects no one without loss', () => {
    const clean = simulateSuspicions({ size: 500, seed: 3, periods: 30 })
    expect(clean.claims).toBe(0)
    expect(clean.traffic.claim).toBeUndefined()
  })

  it('keeps a slow member from accusing others through its local health, which stays at 0 for everyone else', () => {
    const slow = { member: 0, delayMs: 1000 }
    const aware = simulateSuspicions({ size: 1000, seed: 4, periods: 60, slow })
    const unaware = simulateSuspicions({ size: 1000, seed: 4, periods: 60, slow, localHealth: false })
    expect(unaware.claimsBySlow).toBeGreaterThan(30)
    expect(aware.claimsBySlow).toBeLessThanOrEqual(unaware.claimsBySlow / 5)
    expect(aware.slowHealth).toBeGreaterThan(1)
    expect(aware.othersHealth).toBeLessThan(0.01)
    expect(aware.falseRemovals).toBe(0)
  })
})

describe('cost per node', () => {
  it('stays flat with the cluster size when the refresh is scaled or budgeted, and grows with it when its interval is fixed', () => {
    const defaultSmall = simulateCost({ size: 500, seed: 1, periods: 10 })
    const defaultLarge = simulateCost({ size: 2000, seed: 1, periods: 10 })
    expect(defaultLarge.messages / defaultSmall.messages).toBeLessThanOrEqual(1.2)
    // The cluster refreshes n / (30 s × (n − 1) / 4) records a second: each node receives about 4 per 30 s, their copies included.
    expect(PROTOCOL.refreshScaleMembers).toBe(4)
    for (const [size, cost] of [[500, defaultSmall], [2000, defaultLarge]] as const) {
      expect(cost.byKind.refresh!.messages).toBeCloseTo(size / (PROTOCOL.refreshIntervalMs / 1000 * (size - 1) / 4) * cost.copiesPerNode, 5)
    }
    const budget = { refreshRecordsPerSecond: 10 }
    const small = simulateCost({ size: 500, seed: 1, periods: 10, params: budget })
    const large = simulateCost({ size: 2000, seed: 1, periods: 10, params: budget })
    expect(large.messages / small.messages).toBeLessThanOrEqual(1.2)
    const fixed = { refreshScaleMembers: Number.POSITIVE_INFINITY }
    const fixedSmall = simulateCost({ size: 500, seed: 1, periods: 10, params: fixed })
    const fixedLarge = simulateCost({ size: 2000, seed: 1, periods: 10, params: fixed })
    expect(fixedLarge.messages / fixedSmall.messages).toBeGreaterThan(3)
    // Two direct probe messages a second, sent and answered: each node probes one member, and is probed by about one.
    expect(small.byKind['direct probe']!.messages).toBeCloseTo(2, 0)
  })

  it('holds load records to the budget whatever the rate of change', () => {
    const idle = simulateCost({ size: 1000, seed: 1, periods: 10 })
    const busy = simulateCost({ size: 1000, seed: 1, periods: 10, loadRecordsPerNode: 100 })
    // The cluster publishes loadRecordsPerSecond · n / (n − 1): each node's share, n − 1 of which reach any one node.
    expect(busy.byKind.load!.messages).toBeCloseTo(PROTOCOL.loadRecordsPerSecond * 1000 / 999 * busy.copiesPerNode, 5)
    expect(idle.byKind.load).toBeUndefined()
  })
})

describe('power-of-two on announced loads', () => {
  it('balances best on fresh loads, and worse on loads as old as the budget makes them than with more records', () => {
    const init = { size: 200, seed: 5, seconds: 45 }
    const random = simulateBalance({ ...init, choice: 'random' })
    const fresh = simulateBalance({ ...init, choice: 'two-fresh' })
    const stale = simulateBalance({ ...init, choice: 'two-stale' })
    const tenfold = simulateBalance({ ...init, choice: 'two-stale', params: { loadRecordsPerSecond: 500 } })
    expect(fresh.maxOverMean).toBeLessThan(random.maxOverMean)
    expect(tenfold.maxOverMean).toBeLessThan(stale.maxOverMean)
    expect(tenfold.meanAgeSeconds).toBeLessThan(stale.meanAgeSeconds)
    // The budget: 50 records a second across the cluster.
    expect(stale.recordsPerNode * 199).toBeLessThanOrEqual(PROTOCOL.loadRecordsPerSecond * 1.05)
  })
})

describe('rolling deploys', () => {
  it('balances a rolling deploy of 1,000 nodes in parallel mode within a few rounds, shedding no more than needed', () => {
    const result = simulateDeploy({ size: 1000, clientsPerNode: 100, mode: 'parallel' })
    expect(result.roundsToBalance).toBeLessThanOrEqual(3)
    expect(result.totalShed).toBeLessThanOrEqual(1.25 * result.minimumMoves)
  })

  it('shows exact mode balancing a small cluster but not a large one: only the most loaded node ever acts', () => {
    expect(simulateDeploy({ size: 4, clientsPerNode: 500, mode: 'exact', wave: 0.25 }).roundsToBalance).toBeLessThan(100)
    expect(simulateDeploy({ size: 200, clientsPerNode: 100, mode: 'exact', maxRounds: 300 }).roundsToBalance).toBe(Number.POSITIVE_INFINITY)
  })
})
