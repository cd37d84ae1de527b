import { InvalidOptionError } from '../errors.js'
import type { ShedKnobs } from './knobs.js'

/** One member of a shedding namespace as the deciding node sees it. */
export interface ShedMember {
  readonly id: string
  readonly name: string
  /** Its count of sheddable things (connections, sockets). */
  readonly count: number
  /** A draining member moves everything away and takes nothing in. */
  readonly draining: boolean
  /** Where its clients connect, passed on as a reconnect hint. */
  readonly clientAddress: string
}

/** A complete view of a namespace at one moment: every input of a decision. */
export interface ShedSnapshot {
  /** The deciding node's id; it must be one of `members`. */
  readonly self: string
  readonly members: readonly ShedMember[]
  /** While draining: the most to hand over this round (spreads a drain over its deadline). @default maxShedCount */
  readonly drainQuota?: number | undefined
}

/** Where shed connections should go: a member below the mean and how many of this round's it should take. */
export interface ShedTarget {
  readonly id: string
  readonly name: string
  readonly clientAddress: string
  readonly count: number
  readonly share: number
}

export type ShedReason =
  /** No other member in the namespace. */
  | 'alone'
  /** Within the allowed deviation, or nothing above the mean to give. */
  | 'balanced'
  /** Exact mode: another member is the most loaded. */
  | 'not-highest'
  /** The amount would be below `minShedCount`. */
  | 'below-minimum'
  /** Every other member is draining: nowhere to send anything. */
  | 'no-receiver'
  | 'shed'
  | 'draining'

/** What a node does this round, with the figures it decided from. */
export interface ShedDecision {
  readonly reason: ShedReason
  /** How many this node sheds: at most `maxShedCount`, 0 unless the reason is `shed` or `draining`. */
  readonly amount: number
  /** This node's count. */
  readonly count: number
  /** Total count over the members that take connections (not draining). */
  readonly mean: number
  /** The count above which a node sheds. */
  readonly threshold: number
  /** Where the shed connections should go; shares sum to `amount`. */
  readonly targets: readonly ShedTarget[]
}

/**
 * What every node computes alike from one view of a namespace: the mean over the members that take connections
 * (draining ones excluded, so that what they hand over is counted where it will land), the thresholds, what each
 * member sheds, and one plan of who sends how many to whom. Being a function of the view alone, the plan is the
 * same on every node, so that no target is sent more than it has room for, however many members shed at once.
 */
export interface ShedAnalysis {
  readonly knobs: ShedKnobs
  readonly members: readonly ShedMember[]
  readonly byId: ReadonlyMap<string, ShedMember>
  readonly receivers: readonly ShedMember[]
  readonly mean: number
  readonly threshold: number
  /** Parallel mode also acts when a member is below this. */
  readonly lower: number
  /** Σ (count − ⌈mean⌉)⁺ over the receivers. */
  readonly excess: number
  /** Σ (⌊mean⌋ − count)⁺ over the receivers. */
  readonly room: number
  /** Some receiver is beyond the allowed deviation, above or below the mean. */
  readonly imbalanced: boolean
  /** The receiver with the highest count; ties go to the lowest id, the same on every node. */
  readonly highest: ShedMember | undefined
  /** Why each member that sheds nothing does not, and how much each that sheds does. */
  readonly verdicts: ReadonlyMap<string, number | ShedReason>
  /** Where each shedding (or draining) member sends what it sheds. */
  readonly plan: ReadonlyMap<string, readonly ShedTarget[]>
}

/** Computes a round's decisions for every member of the view at once. */
export function analyseShed (members: readonly ShedMember[], knobs: ShedKnobs): ShedAnalysis {
  const receivers = members.filter(member => !member.draining)
  const total = members.reduce((sum, member) => sum + member.count, 0)
  const mean = receivers.length === 0 ? 0 : total / receivers.length
  const threshold = mean * (1 + knobs.allowedAverageDeviationPercent / 100)
  const lower = mean * (1 - knobs.allowedAverageDeviationPercent / 100)
  const ceiling = Math.ceil(mean)
  const floor = Math.floor(mean)
  let excess = 0
  let room = 0
  let imbalanced = false
  let highest: ShedMember | undefined
  for (const member of receivers) {
    excess += Math.max(0, member.count - ceiling)
    room += Math.max(0, floor - member.count)
    if (member.count > threshold || member.count < lower) imbalanced = true
    if (highest === undefined || member.count > highest.count || (member.count === highest.count && member.id < highest.id)) highest = member
  }
  const partial = { knobs, members, receivers, mean, threshold, lower, excess, room, imbalanced, highest }

  const verdicts = new Map<string, number | ShedReason>()
  for (const member of receivers) {
    const amount = knobs.mode === 'exact' ? exactAmount(member, partial) : parallelAmount(member, partial)
    verdicts.set(member.id, typeof amount === 'number' && (amount < knobs.minShedCount || amount <= 0) ? 'below-minimum' : amount)
  }
  const byId = (a: ShedMember, b: ShedMember): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const givers = receivers.filter(member => typeof verdicts.get(member.id) === 'number').sort(byId)
    .map(member => ({ id: member.id, amount: verdicts.get(member.id) as number }))
  const below = receivers.filter(member => member.count < floor).sort(byId)
  const plan = new Map(planTransfers(givers, below, below.map(member => floor - member.count)))
  // Draining members hand over everything they hold, to the receivers in proportion to their room.
  const drainers = members.filter(member => member.draining && member.count > 0).sort(byId)
    .map(member => ({ id: member.id, amount: member.count }))
  const takers = [...receivers].sort(byId)
  const rooms = takers.map(member => Math.max(0, ceiling - member.count))
  for (const [id, targets] of planTransfers(drainers, takers, rooms.some(r => r > 0) ? rooms : takers.map(() => 1))) plan.set(id, targets)
  return { ...partial, byId: new Map(members.map(member => [member.id, member])), verdicts, plan }
}

/**
 * Decides how many of its own connections a node sheds, from one snapshot and the knobs: a pure function, so
 * every node with the same view reaches the same verdict about every other, and a round can be replayed.
 */
export function decideShed (snapshot: ShedSnapshot, knobs: ShedKnobs): ShedDecision {
  return decideFor(analyseShed(snapshot.members, knobs), snapshot.self, snapshot.drainQuota)
}

/**
 * Node `self`'s part of a round's analysis. A draining node may hand over less than everything this round
 * (`drainQuota`, to spread a drain over its deadline): it then sends the first part of its planned transfers.
 */
export function decideFor (analysis: ShedAnalysis, self: string, drainQuota?: number): ShedDecision {
  const member = analysis.byId.get(self) ?? unknownMember(self)
  const { mean, threshold } = analysis
  const none = (reason: ShedReason): ShedDecision => ({ count: member.count, mean, threshold, reason, amount: 0, targets: [] })
  if (analysis.members.length < 2) return none('alone')
  if (member.draining) {
    if (analysis.receivers.length === 0) return none('no-receiver')
    const targets = truncate(analysis.plan.get(self) ?? [], Math.min(drainQuota ?? analysis.knobs.maxShedCount, member.count))
    return { count: member.count, mean, threshold, reason: 'draining', amount: sum(targets), targets }
  }
  if (analysis.receivers.length < 2) return none('no-receiver')
  const verdict = analysis.verdicts.get(self) ?? 'balanced'
  if (typeof verdict === 'string') return none(verdict)
  const targets = analysis.plan.get(self) ?? []
  const amount = sum(targets)
  if (amount < analysis.knobs.minShedCount || amount <= 0) return none('below-minimum')
  return { count: member.count, mean, threshold, reason: 'shed', amount, targets }
}

type Partial = Pick<ShedAnalysis, 'knobs' | 'mean' | 'threshold' | 'excess' | 'room' | 'imbalanced' | 'highest'>

/** ClusterLoadBalancer's rule: only the most loaded node (ties by id) sheds, and only above the threshold. */
function exactAmount (self: ShedMember, analysis: Partial): number | ShedReason {
  if (analysis.highest?.id !== self.id) return 'not-highest'
  if (self.count <= analysis.threshold) return 'balanced'
  const { knobs } = analysis
  return Math.min(knobs.maxShedCount, Math.trunc((self.count - analysis.mean) * knobs.shedPercentage / 100))
}

/**
 * Every node above the mean sheds its share of the moves needed: the moves are min(excess above the mean, room
 * below it), divided in proportion to each node's excess. Together they never shed more than the members below
 * the mean can take, and none goes below the mean by its own shedding, so the cluster converges without overshoot
 * even when all shed in the same round.
 */
function parallelAmount (self: ShedMember, analysis: Partial): number | ShedReason {
  const ceiling = Math.ceil(analysis.mean)
  if (!analysis.imbalanced || self.count <= ceiling) return 'balanced'
  const { knobs } = analysis
  const share = (self.count - ceiling) / analysis.excess * Math.min(analysis.excess, analysis.room)
  return Math.min(knobs.maxShedCount, Math.floor(share * knobs.shedPercentage / 100))
}

/**
 * Who sends how many to whom: the takers' intake is split in proportion to their capacities (summing to what the
 * givers give, or to the capacities when those are smaller), then the givers, in order, fill the takers' intakes
 * in order. Every taker receives exactly its intake, and each giver sends to as few takers as its amount allows.
 */
function planTransfers (givers: ReadonlyArray<{ id: string, amount: number }>, takers: readonly ShedMember[], capacities: readonly number[]): Array<[string, ShedTarget[]]> {
  const given = givers.reduce((total, giver) => total + giver.amount, 0)
  const intake = apportion(capacities, Math.min(given, capacities.reduce((total, c) => total + c, 0)))
  const plan: Array<[string, ShedTarget[]]> = []
  let taker = 0
  let left = intake[0] ?? 0
  for (const giver of givers) {
    const targets: ShedTarget[] = []
    let need = giver.amount
    while (need > 0 && taker < takers.length) {
      if (left === 0) {
        left = intake[++taker] ?? 0
        continue
      }
      const share = Math.min(need, left)
      const member = takers[taker]!
      targets.push({ id: member.id, name: member.name, clientAddress: member.clientAddress, count: member.count, share })
      need -= share
      left -= share
    }
    plan.push([giver.id, targets])
  }
  return plan
}

/** The first `amount` of a plan's transfers. */
function truncate (targets: readonly ShedTarget[], amount: number): ShedTarget[] {
  const kept: ShedTarget[] = []
  let left = amount
  for (const target of targets) {
    if (left <= 0) break
    kept.push({ ...target, share: Math.min(target.share, left) })
    left -= target.share
  }
  return kept
}

function sum (targets: readonly ShedTarget[]): number {
  return targets.reduce((total, target) => total + target.share, 0)
}

function unknownMember (self: string): never {
  throw new InvalidOptionError('self', `the snapshot does not include the deciding node ${self}`)
}

/** Splits `amount` into integers proportional to `weights` (largest remainders), summing exactly to `amount`. */
export function apportion (weights: readonly number[], amount: number): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0)
  if (total <= 0 || amount <= 0) return weights.map(() => 0)
  const exact = weights.map(w => (w / total) * amount)
  const shares = exact.map(Math.floor)
  let left = amount - shares.reduce((sum, s) => sum + s, 0)
  const order = exact.map((value, i) => ({ i, remainder: value - Math.floor(value) })).sort((a, b) => b.remainder - a.remainder || a.i - b.i)
  for (const { i } of order) {
    if (left <= 0) break
    shares[i]!++
    left--
  }
  return shares
}
