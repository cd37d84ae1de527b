import { LATENCY_PROBES_PER_INTERVAL } from './constants.js'
import { RequestTimeoutError } from '../errors.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { MemberTable } from '../member/table.js'
import type { Transport } from '../transport/transport.js'

export interface LatencyProberInit {
  clock: Clock
  table: MemberTable
  transport: Transport
  intervalMs: number
  /** Weight of a new sample in the exponentially weighted moving average. */
  smoothing: number
}

/**
 * Measures round-trip times to members with the transport's ping, a few members per interval in turn so the
 * cost does not grow with the cluster, and keeps a moving average per member in the member table.
 */
export class LatencyProber {
  private timer: TimerHandle | undefined
  private cursor = 0
  private readonly averages = new Map<string, number>()
  private running = false

  constructor (private readonly init: LatencyProberInit) {}

  start (): void {
    if (this.init.intervalMs === 0 || this.init.transport.ping === undefined) return
    this.running = true
    this.schedule(0)
  }

  stop (): void {
    this.running = false
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer)
  }

  /** Adds a round-trip sample for `peer`; also usable by callers that time their own exchanges. */
  record (peer: string, sampleMs: number): void {
    const previous = this.averages.get(peer)
    const average = previous === undefined ? sampleMs : previous + this.init.smoothing * (sampleMs - previous)
    this.averages.set(peer, average)
    this.init.table.setLatency(peer, Math.round(average * 100) / 100)
  }

  private schedule (delay: number): void {
    this.timer = this.init.clock.setTimeout(() => { void this.round() }, delay)
  }

  private async round (): Promise<void> {
    const peers = this.init.table.members().filter(member => !member.local && member.liveness === 'alive')
    for (const id of this.averages.keys()) {
      if (this.init.table.get(id) === undefined) this.averages.delete(id)
    }
    const count = Math.min(LATENCY_PROBES_PER_INTERVAL, peers.length)
    const probes: Array<Promise<void>> = []
    for (let i = 0; i < count; i++) {
      const peer = peers[(this.cursor + i) % peers.length]
      if (peer !== undefined) probes.push(this.probe(peer.id))
    }
    this.cursor = peers.length === 0 ? 0 : (this.cursor + count) % peers.length
    await Promise.all(probes)
    if (this.running) this.schedule(this.init.intervalMs)
  }

  private async probe (peer: string): Promise<void> {
    const { clock, transport, intervalMs } = this.init
    const controller = new AbortController()
    // A ping may take as long as the interval, and never less than a second, however often probes run.
    const timeoutMs = Math.max(intervalMs, 1000)
    const timer = clock.setTimeout(() => { controller.abort(new RequestTimeoutError(`ping of ${peer} timed out`, timeoutMs)) }, timeoutMs)
    try {
      const sample = await transport.ping?.(peer, { signal: controller.signal })
      if (sample !== undefined && this.running) this.record(peer, sample)
    } catch {
      // An unanswered ping says nothing the heartbeats do not already say; failure detection is gossip's job.
    } finally {
      clock.clearTimeout(timer)
    }
  }
}
