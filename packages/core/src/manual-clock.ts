import TinyQueue from 'tinyqueue'
import { MeshbalancerError } from './errors.js'
import type { Clock, TimerHandle } from './clock.js'

/** A test helper's condition did not hold within its time, virtual ({@link ManualClock.advanceUntil}) or real. */
export class ConditionTimeoutError extends MeshbalancerError {
  readonly code = 'CONDITION_TIMEOUT'
  override readonly name = 'ConditionTimeoutError'

  constructor (message: string, readonly timeoutMs: number) {
    super(message)
  }
}

interface Timer {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/** Lets promise callbacks queued by a timer run before the next timer fires. */
const settle = async (): Promise<void> => { await new Promise<void>(resolve => { setImmediate(resolve) }) }

/**
 * A virtual clock for tests and the simulator: time moves only when {@link ManualClock.advance} is called, and
 * timers fire in (time, creation) order, so a run is reproducible.
 */
export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private readonly timers = new TinyQueue<Timer>([], (a, b) => a.at - b.at || a.seq - b.seq)

  /** @param start - the initial time in milliseconds (default 0) */
  constructor (start = 0) {
    this.current = start
  }

  now (): number {
    return this.current
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.timers.push(timer)
    return timer
  }

  clearTimeout (handle: TimerHandle): void {
    if (handle != null && typeof handle === 'object' && 'cancelled' in handle) {
      (handle as Timer).cancelled = true
    }
  }

  /** The number of timers that have not fired or been cancelled. */
  get pending (): number {
    let count = 0
    for (const timer of this.timers.data) if (!timer.cancelled) count++
    return count
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order. Between timers it lets
   * pending promise callbacks run, so async work started by one timer completes before the next fires.
   */
  async advance (ms: number): Promise<void> {
    const target = this.current + ms
    await settle()
    for (;;) {
      const next = this.timers.peek()
      if (next === undefined || next.at > target) break
      this.timers.pop()
      if (next.cancelled) continue
      // After a jump, timers that fell due meanwhile fire late, at the current time: time never goes back.
      this.current = Math.max(this.current, next.at)
      next.fn()
      await settle()
    }
    this.current = target
    await settle()
  }

  /**
   * Moves time forward by `ms` without firing anything on the way, as a paused process experiences it: timers that
   * fell due fire, late, on the next {@link ManualClock.advance}.
   */
  jump (ms: number): void {
    this.current += ms
  }

  /**
   * Advances in steps of `stepMs` until `condition()` holds; throws after `timeoutMs` of virtual time.
   * Returns the virtual time it took.
   */
  async advanceUntil (condition: () => boolean, timeoutMs: number, stepMs = 10): Promise<number> {
    const start = this.current
    while (!condition()) {
      if (this.current - start >= timeoutMs) {
        throw new ConditionTimeoutError(`condition not met within ${timeoutMs} ms of virtual time`, timeoutMs)
      }
      await this.advance(stepMs)
    }
    return this.current - start
  }
}
