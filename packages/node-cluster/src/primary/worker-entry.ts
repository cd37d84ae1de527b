import { Ewma } from './latency.js'
import type { PingRounds } from './ping-rounds.js'
import type { Member, MemberStatus } from '@meshbalancer/core'
import type { Worker } from 'node:cluster'
import type { Socket } from 'node:net'

/**
 * A worker as the balancer's algorithm sees it: a {@link Member} whose `load` is its open connections, whose
 * `latencyMs` is how much later than the fastest worker it answers the primary's pings (smoothed) plus
 * {@link LATENCY_FLOOR_MS}, and whose `eventLoopLagMs` is the lag it reports in its pongs (the mean wait of a
 * connection arriving at a random moment, smoothed). As for every member, its expected response time is the sum
 * of the two, which is what `leastLatency` ranks by.
 */
export type WorkerMember = Member & {
  /** The node:cluster worker id. */
  readonly workerId: number
}

/**
 * Where a worker is in its life, as the balancer tracks it: `starting` until it says it is ready, `ready` while it
 * takes connections, `draining` from the moment it is being disconnected, `gone` once disconnected or dead.
 */
export type WorkerState = 'starting' | 'ready' | 'draining' | 'gone'

/**
 * Added to every worker's latency: with the fastest worker at 0, a pick between two such workers would ignore
 * their connections (0 × anything), so each starts from a small common floor instead.
 */
export const LATENCY_FLOOR_MS = 1

const STATUS: Record<WorkerState, MemberStatus> = { starting: 'joining', ready: 'active', draining: 'draining', gone: 'left' }

/** What the primary tracks of one worker. */
export class WorkerEntry {
  state: WorkerState = 'starting'
  /** Connections handed over and not yet reported closed. */
  connections = 0
  /**
   * The primary's copies of the sockets handed over that the worker has not confirmed yet, in the order sent (the
   * channel keeps it). The primary keeps each open until then: a worker that dies before it took a socket must
   * not leave the client waiting on a connection nobody serves.
   */
  readonly unconfirmed: Socket[] = []
  /** When the oldest of {@link unconfirmed} was handed over. */
  private oldestSentAt: number[] = []
  private readonly lag: Ewma
  private readonly rtt: Ewma
  private ping: { seq: number, sentAt: number } | undefined
  private snapshot: WorkerMember | undefined
  private resolveReady!: () => void
  /** Settles when the worker says it is ready. */
  readonly ready = new Promise<void>(resolve => { this.resolveReady = resolve })

  constructor (readonly worker: Worker, decayMs: number) {
    this.rtt = new Ewma(decayMs)
    this.lag = new Ewma(decayMs)
  }

  /** The worker's event-loop lag, smoothed over its pongs; 0 until the first. */
  get lagMs (): number {
    return this.lag.value ?? 0
  }

  /** The worker said it is ready; returns false when it was not starting. */
  becomeReady (): boolean {
    if (this.state !== 'starting') return false
    this.state = 'ready'
    this.snapshot = undefined
    this.resolveReady()
    return true
  }

  get id (): string {
    return String(this.worker.id)
  }

  /** True when a new connection may go to this worker. */
  get selectable (): boolean {
    // A worker that another library disconnects (recluster's reload, worker.kill()) is out at once, before its
    // channel closes: node:cluster sets exitedAfterDisconnect as soon as the disconnect starts.
    return this.state === 'ready' && this.worker.isConnected() && this.worker.exitedAfterDisconnect !== true
  }

  /** The seq of the ping to send now, or undefined while the previous one is unanswered (it raises the estimate). */
  nextPing (seq: number, now: number): number | undefined {
    if (this.ping !== undefined) {
      const before = this.rtt.value
      this.rtt.atLeast(now - this.ping.sentAt)
      if (this.rtt.value !== before) this.snapshot = undefined
      return undefined
    }
    this.ping = { seq, sentAt: now }
    return seq
  }

  /**
   * Records a pong, whose wait is measured by `rounds` (against the first answer of its round); returns false
   * when it answers no ping in flight.
   */
  pong (seq: number, lagMs: number, now: number, rounds: PingRounds): boolean {
    if (this.ping?.seq !== seq) return false
    this.rtt.observe(rounds.excess(seq, now, this.ping.sentAt), now)
    this.ping = undefined
    this.lag.observe(lagMs, now)
    this.snapshot = undefined
    return true
  }

  /** Counts `socket` as handed over at `now` and not yet confirmed. */
  handing (socket: Socket, now: number): void {
    this.unconfirmed.push(socket)
    this.oldestSentAt.push(now)
  }

  /** The worker confirmed the oldest socket handed over; returns the primary's copy. */
  confirmed (): Socket | undefined {
    this.oldestSentAt.shift()
    const socket = this.unconfirmed.shift()
    this.snapshot = undefined
    return socket
  }

  /** Forgets `socket`, whose send failed, or every socket when `socket` is undefined (the worker is gone). */
  unhand (socket?: Socket): Socket[] {
    if (socket === undefined) {
      this.oldestSentAt = []
      return this.unconfirmed.splice(0)
    }
    const position = this.unconfirmed.indexOf(socket)
    if (position < 0) return []
    this.oldestSentAt.splice(position, 1)
    return this.unconfirmed.splice(position, 1)
  }

  /**
   * Brings the snapshot up to `now` when a socket waits to be taken: a worker that has not taken a connection
   * handed to it `t` ms ago answers no faster than `t`, whatever its pings said before. This is what keeps the
   * next connections away from a worker while its loop is blocked, as node:cluster's own round robin does by
   * handing a worker nothing while it owes an acknowledgement.
   */
  refresh (now: number): void {
    const oldest = this.oldestSentAt[0]
    if (oldest !== undefined && now - oldest > (this.snapshot?.latencyMs ?? 0)) this.snapshot = undefined
    this.now = now
  }

  private now = 0

  /** Forgets the snapshot, after a change of state or load. */
  changed (): void {
    this.snapshot = undefined
  }

  /** The member's current snapshot; the same object until something about it changes. */
  member (): WorkerMember {
    if (this.snapshot !== undefined) return this.snapshot
    const rtt = this.rtt.value
    const measured = rtt === undefined ? undefined : LATENCY_FLOOR_MS + rtt
    const oldest = this.oldestSentAt[0]
    const waiting = oldest === undefined ? 0 : this.now - oldest
    this.snapshot = Object.freeze({
      id: this.id,
      name: `worker-${this.worker.id}`,
      workerId: this.worker.id,
      incarnation: this.worker.process.pid ?? 1,
      status: STATUS[this.state],
      weight: 1,
      tags: {},
      clientAddress: '',
      latencyMs: measured === undefined ? undefined : Math.max(measured, waiting),
      eventLoopLagMs: this.lagMs,
      local: false,
      load: this.connections
    })
    return this.snapshot
  }
}
