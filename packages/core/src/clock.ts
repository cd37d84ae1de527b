/**
 * Time is injected wherever a decision depends on it (probes, suspicions, publishes, shedding rounds), so that tests and the
 * simulator can run on a virtual clock while production runs on the system one.
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

/** The clock meshbalancer reads and schedules on. */
export interface Clock {
  /** Milliseconds, monotonic within one process. */
  now(): number
  /** Runs `fn` once, `ms` milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void
}

/**
 * The system clock: `performance.now()` offset to wall-clock milliseconds at start, so values look like epoch times
 * in logs but never jump backwards when the wall clock is adjusted. Timers are `unref`'d so that a forgotten
 * cluster does not keep the process alive.
 */
export const systemClock: Clock = (() => {
  const origin = Date.now() - performance.now()
  return {
    now: () => origin + performance.now(),
    setTimeout: (fn, ms) => {
      const timer = setTimeout(fn, ms)
      timer.unref?.()
      return timer
    },
    clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
  }
})()
