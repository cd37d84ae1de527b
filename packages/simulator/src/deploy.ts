import { analyseShed, createShedKnobs, decideFor } from '@meshbalancer/core'
import type { ShedKnobs, ShedMember, ShedMode } from '@meshbalancer/core'

export interface DeployInit {
  size: number
  clientsPerNode: number
  mode: ShedMode
  /** Knobs besides the mode; the mesh example's by default (threshold 2 %, minShedCount 5). */
  knobs?: Partial<ShedKnobs>
  /** Share of the nodes restarted at once (a rolling deploy's wave). @default 0.1 */
  wave?: number
  /** Rounds a restarted node is away. @default 2 */
  restartRounds?: number
  /** Rounds to wait for balance after the deploy. @default 2000 */
  maxRounds?: number
}

export interface DeployResult {
  mode: ShedMode
  /** Rounds from the start until the last wave was back. */
  deployRounds: number
  /** Rounds after the deploy until every node was within ±10 % of the mean; Infinity when not reached. */
  roundsToBalance: number
  /** Connections shed after the deploy. */
  totalShed: number
  /** The fewest moves that balance the counts at the end of the deploy. */
  minimumMoves: number
  /** Largest deviation from the mean, in percent, after each round. */
  deviation: number[]
}

type State = 'up' | 'draining' | 'away'

/**
 * A rolling deploy of `size` nodes holding `clientsPerNode` clients each: waves of nodes drain (handing their
 * clients to the others as hinted), stay away for a few rounds and come back empty; every round, every node
 * decides from the same counts with the real rule (`analyseShed` and `decideFor` of @meshbalancer/core), and
 * shed clients land where the hints say. Deterministic: no randomness at all.
 */
export function simulateDeploy (init: DeployInit): DeployResult {
  const knobs = createShedKnobs({ allowedAverageDeviationPercent: 2, minShedCount: 5, ...init.knobs, mode: init.mode })
  const waveSize = Math.max(1, Math.round(init.size * (init.wave ?? 0.1)))
  const restartRounds = init.restartRounds ?? 2
  const maxRounds = init.maxRounds ?? 2000
  const counts = new Float64Array(init.size).fill(init.clientsPerNode)
  const state: State[] = Array.from({ length: init.size }, () => 'up')
  const backAt = new Int32Array(init.size)
  const ids = Array.from({ length: init.size }, (_, i) => `n${String(i).padStart(6, '0')}`)
  const deviation: number[] = []
  let nextWave = 0
  let waveBackAt = -1
  let deployRounds = -1
  let shedAfterDeploy = 0
  let minimumMoves = 0
  let roundsToBalance = Number.POSITIVE_INFINITY

  for (let round = 0; round < 100_000; round++) {
    // The deploy: start the next wave once the previous one is back and settled for a round.
    if (deployRounds === -1 && nextWave * waveSize < init.size && round >= waveBackAt + 1 && allUp(state)) {
      for (let i = nextWave * waveSize; i < Math.min(init.size, (nextWave + 1) * waveSize); i++) state[i] = 'draining'
      nextWave++
    }
    for (let i = 0; i < init.size; i++) {
      if (state[i] === 'away' && round >= backAt[i]!) {
        state[i] = 'up'
        waveBackAt = round
      }
    }
    if (deployRounds === -1 && nextWave * waveSize >= init.size && allUp(state)) {
      deployRounds = round
      minimumMoves = fewestMoves(counts)
    }
    if (deployRounds !== -1) {
      const dev = largestDeviation(counts)
      deviation.push(dev)
      if (dev <= 10) {
        roundsToBalance = round - deployRounds
        break
      }
      if (round - deployRounds >= maxRounds) break
    }

    // One shedding round: every present node decides from the same counts.
    const members: ShedMember[] = []
    for (let i = 0; i < init.size; i++) {
      if (state[i] !== 'away') members.push({ id: ids[i]!, name: ids[i]!, count: counts[i]!, draining: state[i] === 'draining', clientAddress: String(i) })
    }
    const analysis = analyseShed(members, knobs)
    const moves: Array<[from: number, to: number, amount: number]> = []
    for (const member of members) {
      // A drain hands everything over in one round here (`maxShedCount` does not bind a drain in this model).
      const decision = decideFor(analysis, member.id, member.draining ? member.count : undefined)
      for (const target of decision.targets) moves.push([Number(member.clientAddress), Number(target.clientAddress), target.share])
    }
    for (const [from, to, amount] of moves) {
      counts[from]! -= amount
      counts[to]! += amount
      if (deployRounds !== -1) shedAfterDeploy += amount
    }
    for (let i = 0; i < init.size; i++) {
      if (state[i] === 'draining' && counts[i] === 0) {
        state[i] = 'away'
        backAt[i] = round + 1 + restartRounds
      }
    }
  }
  return { mode: init.mode, deployRounds, roundsToBalance, totalShed: shedAfterDeploy, minimumMoves, deviation }
}

function allUp (state: readonly State[]): boolean {
  return state.every(s => s === 'up')
}

function largestDeviation (counts: Float64Array): number {
  let total = 0
  for (const count of counts) total += count
  const mean = total / counts.length
  let worst = 0
  for (const count of counts) worst = Math.max(worst, Math.abs(count - mean) / mean * 100)
  return worst
}

function fewestMoves (counts: Float64Array): number {
  let total = 0
  for (const count of counts) total += count
  const mean = total / counts.length
  let above = 0
  let below = 0
  for (const count of counts) {
    above += Math.max(0, count - Math.ceil(mean))
    below += Math.max(0, Math.floor(mean) - count)
  }
  return Math.max(above, below)
}
