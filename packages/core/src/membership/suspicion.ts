import type { Clock, TimerHandle } from '../clock.js'

/** A version of a member's record: incarnation, then sequence. */
export interface RecordVersion {
  readonly incarnation: number
  readonly sequence: number
}

/** The timing of suspicions (docs/PROTOCOL.md, "Suspicion"). */
export interface SuspicionTiming {
  probeIntervalMs: number
  /** `min = suspicionMultiplier × max(1, log10 n) × probeIntervalMs`. */
  suspicionMultiplier: number
  /** `max = suspicionMaxMultiplier × min`. */
  suspicionMaxMultiplier: number
  /** Independent confirmations that bring the timeout down to `min` (Lifeguard's K). */
  confirmations: number
}

/** Lifeguard's bounds of a suspicion's timeout in a cluster of `size` members. */
export function suspicionBounds (timing: SuspicionTiming, size: number): { minMs: number, maxMs: number } {
  const minMs = timing.suspicionMultiplier * Math.max(1, Math.log10(Math.max(1, size))) * timing.probeIntervalMs
  return { minMs, maxMs: timing.suspicionMaxMultiplier * minMs }
}

/**
 * The timeout of a suspicion confirmed by `claimants` distinct members (the first included): `max` with one,
 * shrinking logarithmically to `min` with `confirmations + 1`, as Lifeguard's dynamic suspicion does. Each
 * independent confirmation is evidence that the subject, not one claimant's link, is at fault.
 */
export function suspicionTimeout (minMs: number, maxMs: number, claimants: number, confirmations: number): number {
  const c = Math.max(0, claimants - 1)
  const fraction = Math.log(c + 1) / Math.log(confirmations + 1)
  return Math.max(minMs, maxMs - (maxMs - minMs) * fraction)
}

/** One member under suspicion at one version of its record. */
export interface Suspicion {
  readonly subject: string
  readonly version: RecordVersion
  readonly claimants: ReadonlySet<string>
  readonly startedAt: number
  /** When the subject is declared dead unless refuted. */
  readonly deadline: number
}

interface Entry {
  subject: string
  version: RecordVersion
  claimants: Set<string>
  startedAt: number
  minMs: number
  maxMs: number
  /** Pauses of this process credited so far. */
  creditMs: number
  deadline: number
  timer: TimerHandle | undefined
}

export interface SuspicionsInit {
  clock: Clock
  timing: SuspicionTiming
  /** The cluster's size, read when a suspicion starts. */
  size(): number
  /**
   * A timer that fires this much later than due means this process did not run in between: it is given that much
   * again (once) rather than declaring a member dead on a backlog that may hold its refutation.
   */
  lateSlackMs: number
  /** The suspicion ran out: declare the subject dead. */
  expired(suspicion: Suspicion): void
}

/** What {@link Suspicions.add} did with a claimant. */
export type AddResult = 'started' | 'confirmed' | 'duplicate'

/**
 * The members this node suspects, one suspicion per member at the version of its record that was claimed, each
 * with a timer. O(1) per claim; the number of timers is the number of members under suspicion.
 */
export class Suspicions {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly init: SuspicionsInit) {}

  get size (): number {
    return this.entries.size
  }

  /** The members under suspicion. */
  subjects (): IterableIterator<string> {
    return this.entries.keys()
  }

  get (subject: string): Suspicion | undefined {
    return this.entries.get(subject)
  }

  /**
   * Adds `claimant`'s claim that `subject` failed at `version`. A claim about a newer version than the one under
   * suspicion replaces it (the subject was heard from since); the caller refuses claims about older versions.
   */
  add (subject: string, version: RecordVersion, claimant: string): AddResult {
    const { clock } = this.init
    let entry = this.entries.get(subject)
    if (entry !== undefined && compareVersions(version, entry.version) > 0) {
      this.clear(subject)
      entry = undefined
    }
    if (entry === undefined) {
      const { minMs, maxMs } = suspicionBounds(this.init.timing, this.init.size())
      const now = clock.now()
      entry = { subject, version, claimants: new Set([claimant]), startedAt: now, minMs, maxMs, creditMs: 0, deadline: now + maxMs, timer: undefined }
      this.entries.set(subject, entry)
      this.arm(entry)
      return 'started'
    }
    if (entry.claimants.has(claimant)) return 'duplicate'
    entry.claimants.add(claimant)
    this.arm(entry)
    return 'confirmed'
  }

  /** Ends the suspicion of `subject` (refuted, verified alive, or removed); returns it. */
  clear (subject: string): Suspicion | undefined {
    const entry = this.entries.get(subject)
    if (entry === undefined) return undefined
    if (entry.timer !== undefined) this.init.clock.clearTimeout(entry.timer)
    this.entries.delete(subject)
    return entry
  }

  /** Credits every suspicion with a pause of this process: its deadline moves `ms` later. */
  credit (ms: number): void {
    for (const entry of this.entries.values()) {
      entry.creditMs += ms
      this.arm(entry)
    }
  }

  stop (): void {
    for (const subject of [...this.entries.keys()]) this.clear(subject)
  }

  private arm (entry: Entry): void {
    const { clock, timing } = this.init
    if (entry.timer !== undefined) clock.clearTimeout(entry.timer)
    const timeout = suspicionTimeout(entry.minMs, entry.maxMs, entry.claimants.size, timing.confirmations)
    entry.deadline = entry.startedAt + timeout + entry.creditMs
    const due = entry.deadline
    entry.timer = clock.setTimeout(() => { this.fire(entry, due) }, Math.max(0, due - clock.now()))
  }

  private fire (entry: Entry, due: number): void {
    if (this.entries.get(entry.subject) !== entry) return
    const late = this.init.clock.now() - due
    if (late > this.init.lateSlackMs) {
      // The process was stalled: its pending input (a refutation, say) has not been read yet.
      entry.creditMs += late
      this.arm(entry)
      return
    }
    this.clear(entry.subject)
    this.init.expired(entry)
  }
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions (a: RecordVersion, b: RecordVersion): number {
  return a.incarnation !== b.incarnation ? a.incarnation - b.incarnation : a.sequence - b.sequence
}
