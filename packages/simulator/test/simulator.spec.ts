import { describe, expect, it } from '@jest/globals'
import { classicRounds, simulateConvergence, simulateDeploy, simulateFailureDetection } from '../src/index.js'

const convergence = { size: 1000, targetPeers: 16, meshDegree: 4, loss: 0.05, hopsPerHeartbeat: 10 }
const detection = { ...convergence, subjects: 10, heartbeats: 40, suspectAfter: 2, deadAfter: 3 }

describe('the simulator', () => {
  it('gives the same result for the same seed, and another for another seed', () => {
    expect(simulateConvergence({ ...convergence, seed: 7 })).toEqual(simulateConvergence({ ...convergence, seed: 7 }))
    expect(simulateFailureDetection({ ...detection, seed: 7 })).toEqual(simulateFailureDetection({ ...detection, seed: 7 }))
    expect(simulateConvergence({ ...convergence, seed: 7 }).ours).not.toEqual(simulateConvergence({ ...convergence, seed: 8 }).ours)
  })

  it('spreads a join to 99.99 % of nodes no slower than 1.5× the classic epidemic model with the same fanout', () => {
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

  it('detects a crash by silence within deadAfter plus a heartbeat, with no false removal under 5 % loss', () => {
    const result = simulateFailureDetection({ ...detection, seed: 3 })
    expect(result.falseRemovals).toBe(0)
    expect(result.detectionHeartbeats).toBeGreaterThanOrEqual(2)
    expect(result.detectionHeartbeats).toBeLessThanOrEqual(4)
    expect(result.detectionCurve.at(-1)).toBe(1)
  })

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
