import { encodeClaim } from '../codec/membership-codec.js'
import { TokenBuckets } from '../cluster/token-buckets.js'
import { ClaimsTopic } from './claims.js'
import { LocalHealth } from './local-health.js'
import { ProbeSchedule } from './probe-schedule.js'
import { ProbeServer } from './probe-protocol.js'
import { Prober } from './prober.js'
import { Strikes } from './strikes.js'
import { compareVersions, Suspicions } from './suspicion.js'
import * as constants from './constants.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { ClaimRejectReason } from '../errors.js'
import type { Logger } from '../logger.js'
import type { MemberTable } from '../member/table.js'
import type { RandomSource } from '../random.js'
import type { Transport } from '../transport/transport.js'
import type { Claim } from '../codec/membership-codec.js'
import type { ClaimStats } from './claims.js'
import type { ProbeServeStats } from './probe-protocol.js'
import type { ProbeResult, ProbeStats } from './prober.js'
import type { Suspicion } from './suspicion.js'

/** The failure detector's options, as the cluster resolved them. */
export interface DetectorOptions {
  probeIntervalMs: number
  probeTimeoutMs: number
  indirectProbes: number
  suspicionMultiplier: number
  suspicionMaxMultiplier: number
  latencySmoothing: number
}

export interface DetectorInit {
  clock: Clock
  random: RandomSource
  logger: Logger
  transport: Transport
  table: MemberTable
  options: DetectorOptions
  /** The gossip topic of claims and the request protocol of direct and indirect probes. */
  claimsTopic: string
  probeProtocol: string
  allowPeers: ReadonlySet<string> | undefined
  /** Publishes a newer record of this node at once: the refutation of a claim about it. */
  refute(): void
  /** Runs a change of the table, reporting a listener that throws. */
  guard(change: () => void): void
  /** True while this process is in a pause not yet credited (its housekeeping tick is overdue). */
  stalled(): boolean
  onClaimReject(reason: ClaimRejectReason, from: string): void
}

/** Counters of failure detection, in `cluster.stats()`. */
export type DetectorStats = ProbeStats & ProbeServeStats & ClaimStats & {
  readonly suspicionsStarted: number
  readonly refutations: number
  /** Claims this node's own probe of the subject contradicted (strikes given). */
  readonly falseClaims: number
  /** Lifeguard's local health multiplier of this node, 0 (healthy) to 8. */
  readonly localHealth: number
}

/**
 * SWIM failure detection with Lifeguard's refinements (docs/PROTOCOL.md, "Failure detection"). Every probe
 * interval this node probes one member, next in a shuffled round robin: O(1) messages per node per interval,
 * whatever the cluster's size. A member that answers neither directly nor through `indirectProbes` helpers is
 * suspected: this node publishes a claim, and every member that accepts it starts a suspicion timer, shortened by
 * each independent claimant. The subject refutes with a newer record; unrefuted, it is declared dead.
 *
 * A claim is checked by every receiver with a probe of its own; a claim that probe contradicts is a strike against
 * the claimant, and a claimant with two live strikes is no longer believed and is scored down by the transport.
 */
export class Detector {
  private readonly schedule: ProbeSchedule
  private readonly health = new LocalHealth(constants.MAX_LOCAL_HEALTH)
  private readonly suspicions: Suspicions
  private readonly strikes = new Strikes(constants.STRIKE_DECAY_MS, constants.STRIKE_LIMIT)
  private readonly claims: ClaimsTopic
  private readonly server: ProbeServer
  private readonly prober: Prober
  private readonly ownClaims: TokenBuckets
  private readonly claimRates: TokenBuckets
  private readonly probeRequestRates: TokenBuckets
  private lastPrune = 0
  /** Members being probed, each with the claimants a success of that probe contradicts. */
  private readonly probing = new Map<string, Set<string>>()
  private readonly averages = new Map<string, number>()
  private timer: TimerHandle | undefined
  private running = false
  private pauses = 0
  private lastPauseAt = Number.NEGATIVE_INFINITY
  private started = 0
  private refutations = 0
  private falseClaims = 0

  constructor (private readonly init: DetectorInit) {
    const { clock, options, table, transport } = init
    const lateSlackMs = constants.LATE_TIMER_SLACK_MS
    this.schedule = new ProbeSchedule(init.random)
    this.suspicions = new Suspicions({
      clock,
      timing: { ...options, confirmations: constants.SUSPICION_CONFIRMATIONS },
      size: () => table.size,
      lateSlackMs,
      expired: suspicion => { this.expired(suspicion) }
    })
    this.claimRates = new TokenBuckets(clock, constants.CLAIMS_PER_SECOND, constants.CLAIMS_BURST)
    this.probeRequestRates = new TokenBuckets(clock, constants.PROBE_REQUESTS_PER_SECOND, constants.PROBE_REQUESTS_BURST)
    this.claims = new ClaimsTopic({
      now: () => clock.now(),
      allowPeers: init.allowPeers,
      versionOf: id => table.recordOf(id),
      rate: this.claimRates,
      strikes: this.strikes,
      onReject: (reason, from) => { init.onClaimReject(reason, from) }
    })
    this.ownClaims = new TokenBuckets(clock, constants.CLAIMS_PER_SECOND, constants.CLAIMS_BURST)
    const isMember = (id: string): boolean => table.get(id) !== undefined
    this.server = new ProbeServer({
      clock,
      transport,
      protocol: init.probeProtocol,
      localId: transport.id,
      isMember,
      rate: this.probeRequestRates,
      lateSlackMs
    })
    this.prober = new Prober({
      clock,
      transport,
      protocol: init.probeProtocol,
      health: this.health,
      probeTimeoutMs: options.probeTimeoutMs,
      indirectProbes: options.indirectProbes,
      lateSlackMs,
      helpers: (target, count) => this.schedule.pick(count, new Set([target, ...this.suspicions.subjects()])),
      pauses: () => this.pauses,
      measured: (peer, rttMs) => { this.measured(peer, rttMs) }
    })
    table.on('member:join', member => { if (!member.local) this.schedule.add(member.id) })
    table.on('member:leave', member => { this.forget(member.id) })
    table.on('member:alive', member => {
      // Refuted by a newer record. Checked with a probe all the same: a crashed member's last record, still on its
      // way when it died, looks just like a refutation, and a probe that fails suspects it again at that version.
      if (this.suspicions.clear(member.id) !== undefined && this.running) void this.check(member.id)
    })
  }

  /** Subscribes to claims, serves indirect probes and starts probing. */
  start (): void {
    const { transport, table, claimsTopic, probeProtocol } = this.init
    this.running = true
    for (const member of table.members()) if (!member.local) this.schedule.add(member.id)
    transport.subscribe(claimsTopic, {
      validate: message => this.claims.validate(message),
      deliver: message => {
        const claim = this.claims.take(message)
        if (claim !== undefined && this.running) this.received(claim)
      }
    })
    transport.handleRequests(probeProtocol, async (request, context) => await this.server.serve(request, context))
    this.scheduleTick(this.init.options.probeIntervalMs)
  }

  stop (): void {
    this.running = false
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.suspicions.stop()
    this.init.transport.unsubscribe(this.init.claimsTopic)
    this.init.transport.unhandleRequests(this.init.probeProtocol)
  }

  /**
   * The last connection to `peer` closed: most likely a crash (a killed process's sockets close at once), so it is
   * probed now, out of turn. The direct probe redials; a process that is gone refuses at once, and the helpers' probes too.
   */
  hint (peer: string): void {
    if (this.running && this.schedule.has(peer)) void this.check(peer)
  }

  /**
   * This process was paused for `ms` (stopped, swapped out, blocked): every member is credited with the pause, as
   * its silence was this node's own. Suspicion deadlines move later, and probes that ran across it prove nothing.
   */
  creditPause (ms: number): void {
    this.pauses++
    this.lastPauseAt = this.init.clock.now()
    this.suspicions.credit(ms)
  }

  /**
   * Forgets the rate limiters of peers not heard from for a minute, and decayed strikes, so that the maps do not
   * grow with departed members. Cheap to call often: it looks at the maps at most every ten seconds.
   */
  prune (): void {
    const now = this.init.clock.now()
    if (now - this.lastPrune < 10_000) return
    this.lastPrune = now
    for (const rates of [this.claimRates, this.probeRequestRates, this.ownClaims]) rates.prune(60_000)
    this.strikes.prune(now)
  }

  stats (): DetectorStats {
    return {
      ...this.prober.stats(),
      ...this.server.stats(),
      ...this.claims.stats(),
      suspicionsStarted: this.started,
      refutations: this.refutations,
      falseClaims: this.falseClaims,
      localHealth: this.health.value
    }
  }

  private scheduleTick (ms: number): void {
    this.timer = this.init.clock.setTimeout(() => { this.tick() }, ms)
  }

  private tick (): void {
    if (!this.running) return
    const target = this.schedule.next()
    if (target !== undefined) void this.check(target)
    // Lifeguard: a node in doubt of its own health probes less often, as well as more patiently.
    this.scheduleTick(this.init.options.probeIntervalMs * this.health.multiplier)
  }

  /** Probes `target` (unless a probe of it is already running) and acts on the outcome. */
  private async check (target: string, contradicts?: string): Promise<void> {
    const running = this.probing.get(target)
    if (running !== undefined) {
      if (contradicts !== undefined) running.add(contradicts)
      return
    }
    const claimants = new Set<string>(contradicts === undefined ? [] : [contradicts])
    this.probing.set(target, claimants)
    let result: ProbeResult
    try {
      result = await this.prober.probe(target)
    } finally {
      this.probing.delete(target)
    }
    if (!this.running || !this.schedule.has(target)) return
    if (result.outcome === 'alive') this.answered(target, claimants, result.rttMs)
    else if (result.outcome === 'failed') this.suspect(target)
  }

  /**
   * `target` answered a probe of this node: its suspicion ends here, and a claim made meanwhile was false if the
   * answer came promptly (a member just back from a pause answers late) and nobody else confirmed it (the others'
   * probes of a member that really stopped answering fail too, and they claim as well: a lone claimant is a liar
   * or a member with a bad link of its own).
   */
  private answered (target: string, claimants: ReadonlySet<string>, rttMs: number | undefined): void {
    const suspicion = this.suspicions.get(target)
    const prompt = rttMs !== undefined && rttMs <= this.init.options.probeTimeoutMs / 2
    const corroborated = suspicion !== undefined && suspicion.claimants.size > 1
    if (prompt && !corroborated) for (const claimant of claimants) this.strike(claimant, target)
    if (this.suspicions.clear(target) !== undefined) this.init.guard(() => { this.init.table.unsuspect(target) })
  }

  /** Holds a false claim about `subject` against `claimant`; at the limit, the transport scores it down. */
  private strike (claimant: string, subject: string): void {
    const { clock, logger, transport } = this.init
    if (claimant === transport.id || this.init.table.get(claimant) === undefined) return
    this.falseClaims++
    if (this.strikes.add(claimant, clock.now())) {
      logger.warn(`member ${claimant} made false claims (about ${subject}, among others): not believing its claims for a while`)
      transport.penalize?.(claimant, 'false-claims')
    }
  }

  /** This node's own probe of `target` failed: it suspects it, and tells the others unless enough already did. */
  private suspect (target: string): void {
    const { table, transport } = this.init
    const record = table.recordOf(target)
    if (record === undefined) return
    const version = { incarnation: record.incarnation, sequence: record.sequence }
    const before = this.suspicions.get(target)
    const known = before !== undefined && compareVersions(before.version, version) === 0
    const others = known ? before.claimants.size : 0
    if (this.addSuspicion(target, version, transport.id) === 'duplicate') return
    if (others >= constants.SUSPICION_CONFIRMATIONS + 1 || !this.ownClaims.take(transport.id)) return
    const claim: Claim = { claimant: transport.id, subject: target, ...version }
    this.claims.countPublished()
    transport.publish(this.init.claimsTopic, encodeClaim(claim)).catch((err: Error) => {
      this.init.logger.warn(`publishing a claim about ${target} failed: ${err.message}`)
    })
  }

  /** A claim another member made, accepted by the claims topic's validator. */
  private received (claim: Claim): void {
    const { transport } = this.init
    if (claim.subject === transport.id) {
      // About this node's current record (the validator checked the version): refute with a newer one at once.
      this.refutations++
      this.init.refute()
      // A node in good health that ran all along knows the claim is false. Otherwise it may well be the slow one,
      // as Lifeguard has it, and its health score rises instead. (So a liar cannot drive a healthy node's score up.)
      const { clock, options } = this.init
      const ranAllAlong = !this.init.stalled() && clock.now() - this.lastPauseAt > 2 * options.probeIntervalMs
      if (this.health.value === 0 && ranAllAlong) this.strike(claim.claimant, transport.id)
      else this.health.worse()
      return
    }
    this.addSuspicion(claim.subject, claim, claim.claimant)
    // Check it: a member this node reaches is not dead, and the claimant is struck for saying so. Not again once
    // this node's own probe of that version failed: it claimed it itself.
    if (this.suspicions.get(claim.subject)?.claimants.has(transport.id) !== true) void this.check(claim.subject, claim.claimant)
  }

  private addSuspicion (subject: string, version: { incarnation: number, sequence: number }, claimant: string): 'started' | 'confirmed' | 'duplicate' {
    const result = this.suspicions.add(subject, { incarnation: version.incarnation, sequence: version.sequence }, claimant)
    if (result === 'started') this.started++
    this.init.guard(() => { this.init.table.suspect(subject, version) })
    return result
  }

  private expired (suspicion: Suspicion): void {
    if (!this.running) return
    const { clock, logger, table } = this.init
    logger.debug(`member ${suspicion.subject} did not refute ${suspicion.claimants.size} claim(s): removing it`)
    this.init.guard(() => { table.declareDead(suspicion.subject, clock.now()) })
  }

  private forget (id: string): void {
    this.schedule.remove(id)
    this.suspicions.clear(id)
    this.averages.delete(id)
  }

  /** A direct probe's round trip, smoothed into the member's latency. */
  private measured (peer: string, sampleMs: number): void {
    const previous = this.averages.get(peer)
    const average = previous === undefined ? sampleMs : previous + this.init.options.latencySmoothing * (sampleMs - previous)
    this.averages.set(peer, average)
    this.init.table.setLatency(peer, Math.round(average * 100) / 100)
  }
}
