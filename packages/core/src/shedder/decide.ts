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
 * Decides how many of its own connections a node sheds, from one snapshot and the knobs: a pure function, so
 * every node with the same view reaches the same verdict about every other, and a round can be replayed.
 *
 * The mean is taken over the members that take connections (draining ones excluded), so that what draining
 * members hand over is counted where it will land.
 */
export function decideShed (snapshot: ShedSnapshot, knobs: ShedKnobs): ShedDecision {
  const self = snapshot.members.find(member => member.id === snapshot.self)
  if (self === undefined) throw new Error(`the snapshot does not include the deciding node ${snapshot.self}`)
  const receivers = snapshot.members.filter(member => !member.draining && member.id !== self.id)
  if (!self.draining) receivers.push(self)
  const total = snapshot.members.reduce((sum, member) => sum + member.count, 0)
  const mean = receivers.length === 0 ? 0 : total / receivers.length
  const threshold = mean * (1 + knobs.allowedAverageDeviationPercent / 100)
  const base = { count: self.count, mean, threshold }
  const none = (reason: ShedReason): ShedDecision => ({ ...base, reason, amount: 0, targets: [] })

  if (snapshot.members.length < 2) return none('alone')
  if (self.draining) return drain(self, receivers, total, snapshot.drainQuota ?? knobs.maxShedCount, base)
  if (receivers.length < 2) return none('no-receiver')
  return knobs.mode === 'exact'
    ? exact(self, receivers, knobs, base, none)
    : parallel(self, receivers, knobs, base, none)
}

type Base = Pick<ShedDecision, 'count' | 'mean' | 'threshold'>

/** ClusterLoadBalancer's rule: only the most loaded node (ties by id) sheds, and only above the threshold. */
function exact (self: ShedMember, receivers: ShedMember[], knobs: ShedKnobs, base: Base, none: (reason: ShedReason) => ShedDecision): ShedDecision {
  const highest = receivers.reduce((top, member) =>
    member.count > top.count || (member.count === top.count && member.id < top.id) ? member : top)
  if (highest.id !== self.id) return none('not-highest')
  if (self.count <= base.threshold) return none('balanced')
  const amount = Math.min(knobs.maxShedCount, Math.trunc((self.count - base.mean) * knobs.shedPercentage / 100))
  if (amount < knobs.minShedCount || amount <= 0) return none('below-minimum')
  return { ...base, reason: 'shed', amount, targets: targetsBelowMean(receivers, base.mean, amount) }
}

/**
 * Every node above the mean sheds its share of the moves needed, computed by all from the same view: the moves
 * are min(excess above the mean, room below it), divided in proportion to each node's excess. Together they never
 * shed more than the members below the mean can take, and none goes below the mean by its own shedding, so the
 * cluster converges without overshoot even when all shed in the same round.
 */
function parallel (self: ShedMember, receivers: ShedMember[], knobs: ShedKnobs, base: Base, none: (reason: ShedReason) => ShedDecision): ShedDecision {
  const { mean, threshold } = base
  const lower = mean * (1 - knobs.allowedAverageDeviationPercent / 100)
  const ceiling = Math.ceil(mean)
  const floor = Math.floor(mean)
  if (!receivers.some(member => member.count > threshold || member.count < lower)) return none('balanced')
  if (self.count <= ceiling) return none('balanced')
  let excess = 0
  let room = 0
  for (const member of receivers) {
    excess += Math.max(0, member.count - ceiling)
    room += Math.max(0, floor - member.count)
  }
  const share = (self.count - ceiling) / excess * Math.min(excess, room)
  const amount = Math.min(knobs.maxShedCount, Math.floor(share * knobs.shedPercentage / 100))
  if (amount < knobs.minShedCount || amount <= 0) return none('below-minimum')
  return { ...base, reason: 'shed', amount, targets: targetsBelowMean(receivers, mean, amount) }
}

/** A draining node hands everything over, `quota` a round, to members in proportion to their room. */
function drain (self: ShedMember, receivers: ShedMember[], total: number, quota: number, base: Base): ShedDecision {
  if (receivers.length === 0) return { ...base, reason: 'no-receiver', amount: 0, targets: [] }
  const amount = Math.min(quota, self.count)
  const mean = total / receivers.length
  const rooms = receivers.map(member => Math.max(0, Math.ceil(mean) - member.count))
  const weights = rooms.some(r => r > 0) ? rooms : receivers.map(() => 1)
  return { ...base, reason: 'draining', amount, targets: toTargets(receivers, apportion(weights, amount)) }
}

/** Members below the mean, sharing `amount` in proportion to how far below it they are. */
function targetsBelowMean (receivers: ShedMember[], mean: number, amount: number): ShedTarget[] {
  const below = receivers.filter(member => member.count < Math.floor(mean))
  if (below.length === 0) return []
  return toTargets(below, apportion(below.map(member => Math.floor(mean) - member.count), amount))
}

function toTargets (members: ShedMember[], shares: number[]): ShedTarget[] {
  return members
    .map((member, i) => ({ id: member.id, name: member.name, clientAddress: member.clientAddress, count: member.count, share: shares[i] ?? 0 }))
    .filter(target => target.share > 0)
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
