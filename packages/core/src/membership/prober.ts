import { directProbeWithin } from './ping.js'
import { askHelper } from './probe-protocol.js'
import type { Clock } from '../clock.js'
import type { Transport } from '../transport/transport.js'
import type { LocalHealth } from './local-health.js'

/**
 * How a probe ended: the target answered (directly or through a helper), it did not, or the probe proves nothing
 * because this process was paused while it ran.
 */
export type ProbeOutcome = 'alive' | 'failed' | 'inconclusive'

/** A probe's outcome, and for a direct answer, how long it took. */
export interface ProbeResult {
  readonly outcome: ProbeOutcome
  /** The round trip of a direct answer; undefined when the target answered only through a helper, or not at all. */
  readonly rttMs?: number
}

export interface ProberInit {
  clock: Clock
  transport: Transport
  /** The probe protocol of the cluster, of direct and indirect probes alike. */
  protocol: string
  health: LocalHealth
  probeTimeoutMs: number
  indirectProbes: number
  lateSlackMs: number
  /** Up to `count` alive members other than `target` and this node, at random. */
  helpers(target: string, count: number): string[]
  /** How many pauses of this process were detected so far: a probe across a pause is inconclusive. */
  pauses(): number
  /** A round trip measured by a direct probe. */
  measured(peer: string, rttMs: number): void
}

/** Counters of the probes this node made. */
export interface ProbeStats {
  readonly probesSent: number
  readonly probesFailed: number
  readonly indirectProbesSent: number
}

/**
 * One SWIM probe of one member: a direct probe (a request on the probe protocol, which the target answers at
 * once) within the probe timeout (× local health); when it is not answered, the same asked of `indirectProbes`
 * other members at once, any ack of which proves the target alive. Every helper answers in time, with a nack if the
 * target did not answer it: a probe that no helper answered at all suggests this node is the one cut off, and
 * counts against its local health, not the target. Opening a stream that a probe needs is timed apart from the
 * probe (see `directProbeWithin` and `askHelper`).
 */
export class Prober {
  private sent = 0
  private failed = 0
  private indirect = 0

  constructor (private readonly init: ProberInit) {}

  async probe (target: string): Promise<ProbeResult> {
    const { clock, transport, health, lateSlackMs } = this.init
    const pauses = this.init.pauses()
    const timeoutMs = this.init.probeTimeoutMs * health.multiplier
    this.sent++
    const direct = await directProbeWithin(clock, transport, this.init.protocol, target, timeoutMs, lateSlackMs)
    if (direct.ok) {
      health.better()
      this.init.measured(target, direct.rttMs)
      return { outcome: 'alive', rttMs: direct.rttMs }
    }
    if (direct.late || this.init.pauses() !== pauses) return { outcome: 'inconclusive' }
    const helpers = this.init.helpers(target, this.init.indirectProbes)
    const answers = await this.askAll(helpers, target, timeoutMs)
    if (answers.includes('ack')) return { outcome: 'alive' }
    if (this.init.pauses() !== pauses) return { outcome: 'inconclusive' }
    if (helpers.length > 0 && answers.every(answer => answer === 'none')) health.worse()
    this.failed++
    return { outcome: 'failed' }
  }

  stats (): ProbeStats {
    return { probesSent: this.sent, probesFailed: this.failed, indirectProbesSent: this.indirect }
  }

  /** Asks every helper at once; settles at the first ack, or once every helper answered or timed out. */
  private async askAll (helpers: readonly string[], target: string, timeoutMs: number): Promise<HelperAnswer[]> {
    if (helpers.length === 0) return []
    const { clock, transport, protocol } = this.init
    this.indirect += helpers.length
    return await new Promise(resolve => {
      const answers: HelperAnswer[] = []
      let done = false
      for (const helper of helpers) {
        void askHelper(clock, transport, protocol, helper, target, timeoutMs, this.init.lateSlackMs).then(answer => {
          if (done) return
          answers.push(answer)
          if (answer === 'ack' || answers.length === helpers.length) {
            done = true
            resolve(answers)
          }
        })
      }
    })
  }
}

type HelperAnswer = 'ack' | 'nack' | 'none'
