import { PeakEwma } from './latency.js'
import type { Member, MemberStatus } from '@meshbalancer/core'
import type { Worker } from 'node:cluster'
import type { Socket } from 'node:net'

/**
 * A worker as the balancer's algorithm sees it: a {@link Member} whose `load` is its open connections and whose
 * `latencyMs` is its smoothed IPC round trip plus the event-loop lag it reports, with that lag apart.
 */
export type WorkerMember = Member & {
  /** The lag the worker reported in its last pong: the mean wait of a connection arriving at a random moment. */
  readonly eventLoopLagMs: number
  /** The node:cluster worker id. */
  readonly workerId: number
}

/**
 * Where a worker is in its life, as the balancer tracks it: `starting` until it says it is ready, `ready` while it
 * takes connections, `draining` from the moment it is being disconnected, `gone` once disconnected or dead.
 */
export type WorkerState = 'starting' | 'ready' | 'draining' | 'gone'

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
  lagMs = 0
  private readonly rtt: PeakEwma
  private ping: { seq: number, sentAt: number } | undefined
  private snapshot: WorkerMember | undefined
  private resolveReady!: () => void
  /** Settles when the worker says it is ready. */
  readonly ready = new Promise<void>(resolve => { this.resolveReady = resolve })

  constructor (readonly worker: Worker, decayMs: number) {
    this.rtt = new PeakEwma(decayMs)
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

  /** Records a pong; returns false when it answers no ping in flight. */
  pong (seq: number, lagMs: number, now: number): boolean {
    if (this.ping?.seq !== seq) return false
    this.rtt.observe(now - this.ping.sentAt, now)
    this.ping = undefined
    this.lagMs = lagMs
    this.snapshot = undefined
    return true
  }

  /** Forgets the snapshot, after a change of state or load. */
  changed (): void {
    this.snapshot = undefined
  }

  /** The member's current snapshot; the same object until something about it changes. */
  member (): WorkerMember {
    if (this.snapshot !== undefined) return this.snapshot
    const rtt = this.rtt.value
    this.snapshot = Object.freeze({
      id: this.id,
      name: `worker-${this.worker.id}`,
      workerId: this.worker.id,
      incarnation: this.worker.process.pid ?? 1,
      status: STATUS[this.state],
      weight: 1,
      tags: {},
      clientAddress: '',
      latencyMs: rtt === undefined ? undefined : rtt + this.lagMs,
      eventLoopLagMs: this.lagMs,
      local: false,
      load: this.connections
    })
    return this.snapshot
  }
}
