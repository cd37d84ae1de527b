import { expect } from '@jest/globals'
import { defaults } from '@meshbalancer/core'
import { suspicionBounds, suspicionTimeout } from '@meshbalancer/core/protocol'
import type { NodeProcess, PrintedEvent } from '../../src/index.js'

export const PROBE_INTERVAL_MS = defaults.DEFAULT_PROBE_INTERVAL_MS
export const PROBE_TIMEOUT_MS = defaults.DEFAULT_PROBE_TIMEOUT_MS
/** What a process on a busy machine may add to a bound derived from the timers: scheduling, gossip, printing. */
const SLACK_MS = 500

/**
 * The latest the views merge after a partition heals (it replaces five heartbeats of the heartbeat protocol, whose
 * next record merged the views once a connection was back). A connection comes back when either side redials a
 * member it declared dead: every 1 to 3 s (the backoff, up to LOST_REDIAL_MAX_MS, times a jitter in [0.5, 1.5)),
 * each dial giving up after DIAL_TIMEOUT_MS, drawn independently by every node for every member across the cut, so
 * the first dial after the heal comes within a second or two even when a single one may not. That first connection
 * merges the rest: its push-pull exchange, within NEWCOMER_EXCHANGE_DELAY_MS (100 ms), gives each side the other's
 * whole view; the member that finds itself declared dead there republishes its record, which gossip carries to the
 * whole far side; and each member that takes it back dials the member at once, replacing a dial stuck on a SYN sent
 * into the cut. 5 s leaves a busy machine room for two unlucky redial rounds.
 */
export const HEAL_MERGE_MS = 5000

/**
 * The timeout of a suspicion with `claimants` distinct claimants in a cluster of `size`, with the default timers
 * (docs/PROTOCOL.md, "Suspicion").
 */
export function suspicionMs (size: number, claimants: number): number {
  const { minMs, maxMs } = suspicionBounds({
    probeIntervalMs: PROBE_INTERVAL_MS,
    suspicionMultiplier: defaults.DEFAULT_SUSPICION_MULTIPLIER,
    suspicionMaxMultiplier: defaults.DEFAULT_SUSPICION_MAX_MULTIPLIER,
    confirmations: defaults.SUSPICION_CONFIRMATIONS
  }, size)
  return suspicionTimeout(minMs, maxMs, claimants, defaults.SUSPICION_CONFIRMATIONS)
}

/**
 * The latest a crashed process of a cluster of `size` is removed by all: its connections close, every member
 * connected to it probes it at once and is refused, so are the helpers of its indirect probe, and it claims; the
 * others check the first claim with a probe of their own, fail too, and claim. So the suspicion has every other
 * member as a claimant (K + 1 at most count), all within milliseconds, and runs out after Lifeguard's timeout for
 * that many. (Replaces the bound of 1.5 heartbeats after the close, from the silence-based expiry.)
 */
export function crashRemovedMs (size: number): number {
  // The margin is the one the silence-based bound had: the hint, refused dials, the claims and the print on a
  // busy machine.
  return suspicionMs(size, Math.min(size - 1, defaults.SUSPICION_CONFIRMATIONS + 1)) + SLACK_MS
}

/**
 * The latest a member cut off from `side` members (that still reach each other but not it, with no connection
 * closing to tell them) is removed by all of them, in a cluster of `size`, derived from the failure detector's
 * timers (it replaces `deadAfterMs + one heartbeat` of the silence-based expiry):
 * - the member's next turn in an observer's probe schedule, a shuffled round robin: at most 2(size − 1) − 1 ticks;
 * - the probe: a direct ping, then indirect ones, each within the probe timeout;
 * - the suspicion, confirmed by every member of the side (each checks the first claim with a probe of its own,
 *   which fails too): Lifeguard's timeout for that many claimants;
 * - local health: a probe that no helper answers (all of them on the far side) stretches the next interval and
 *   timeouts by one multiple. Alone, every probe is one of those, so tick k waits k intervals; on a side of several,
 *   the helpers there answer, and one such step is allowed for.
 */
export function cutOffRemovedMs (size: number, side: number): number {
  const ticks = 2 * (size - 1) - 1
  let ms: number
  if (side === 1) {
    ms = (ticks * (ticks + 1) / 2) * PROBE_INTERVAL_MS + 2 * PROBE_TIMEOUT_MS * (ticks + 1)
  } else {
    ms = (ticks + 1) * PROBE_INTERVAL_MS + 2 * PROBE_TIMEOUT_MS * 2
  }
  return ms + suspicionMs(size, Math.min(side, defaults.SUSPICION_CONFIRMATIONS + 1)) + SLACK_MS
}

/** Error codes a call may settle with when its callee crashes, pauses or is cut off. */
export const CHURN_ERRORS = ['SERVICE_UNAVAILABLE', 'REQUEST_TIMEOUT']

export interface CallTally {
  /** Calls asked for. */
  made: number
  settled: number
  ok: number
  errors: Record<string, number>
  /** Calls that failed with something other than a meshbalancer error. */
  untyped: number
}

/**
 * Makes `caller` call `echo` on `group` in batches (its `calls` command), a batch a second at most, until `stop()`,
 * which waits for the last batch and returns how every call settled. The pace leaves the machine time for the
 * timings under test.
 */
export function keepCalling (caller: NodeProcess, group: string, batch = 50, concurrency = 8): { stop: () => Promise<CallTally> } {
  const tally: CallTally = { made: 0, settled: 0, ok: 0, errors: {}, untyped: 0 }
  let stopping = false
  let failure: unknown
  const loop = (async () => {
    while (!stopping && failure === undefined) {
      const next = Date.now() + 1000
      const from = caller.events.length
      caller.send(`calls ${group} echo ${batch} ${concurrency} "ping"`)
      tally.made += batch
      // Each call has a 5 s timeout: a batch settles within (batch / concurrency) × 5 s at worst.
      const settled = await caller.next(event => event.event === 'calls:settled', (batch / concurrency + 2) * 5000, from)
      tally.settled += settled.settled as number
      tally.ok += settled.ok as number
      tally.untyped += settled.untyped as number
      for (const [code, count] of Object.entries(settled.errors as Record<string, number>)) tally.errors[code] = (tally.errors[code] ?? 0) + count
      if (!stopping) await sleep(next - Date.now())
    }
  })().catch(err => { failure = err })
  return {
    stop: async () => {
      stopping = true
      await loop
      if (failure !== undefined) throw failure
      return tally
    }
  }
}

/** Every call settled, none with an untyped error, and every error one that churn explains. */
export function expectAllSettled (tally: CallTally): void {
  expect(tally.settled).toBe(tally.made)
  expect(tally.untyped).toBe(0)
  expect(tally.ok).toBeGreaterThan(0)
  for (const code of Object.keys(tally.errors)) expect(CHURN_ERRORS).toContain(code)
}

export interface PickAudit {
  /** Picks of each member, by name. */
  picks: Map<string, number>
  /** Picks of a member printed while it was suspect or removed in the caller's own view. */
  violations: PrintedEvent[]
}

/**
 * Replays what `caller` printed (run with `--explain-picks`, so every pick is printed) in order: a pick of a
 * member between its `member:leave` (or `member:suspect`) and its next `member:join` (or `member:alive`) is a
 * violation. The caller prints events as they happen, so the order is the order in which its view changed.
 */
export function auditPicks (caller: NodeProcess): PickAudit {
  const unselectable = new Set<string>()
  const picks = new Map<string, number>()
  const violations: PrintedEvent[] = []
  for (const event of caller.events) {
    const id = event.member?.id
    switch (event.event) {
      case 'member:leave':
      case 'member:suspect':
        unselectable.add(id!)
        break
      case 'member:join':
      case 'member:alive':
        unselectable.delete(id!)
        break
      case 'balancer:pick':
        picks.set(event.chosen as string, (picks.get(event.chosen as string) ?? 0) + 1)
        if (unselectable.has(event.id as string)) violations.push(event)
        break
    }
  }
  return { picks, violations }
}

/** Waits until `caller` printed a pick of each of `names` after its `from`-th event. */
export async function picked (caller: NodeProcess, names: readonly string[], timeoutMs: number, from = caller.events.length): Promise<void> {
  await caller.until(() => names.every(name => caller.events.slice(from).some(e => e.event === 'balancer:pick' && e.chosen === name)), timeoutMs, `picks of ${names.join(', ')}`)
}

/**
 * Stops every node still running with SIGTERM: each must still be running (nothing crashed it, an unhandled
 * rejection included), leave cleanly with exit code 0 and have written nothing on stderr.
 */
export async function expectCleanExits (nodes: readonly NodeProcess[]): Promise<void> {
  for (const node of nodes) expect({ name: node.name, running: node.running }).toEqual({ name: node.name, running: true })
  const codes = await Promise.all(nodes.map(async node => await node.terminate()))
  expect(codes).toEqual(nodes.map(() => 0))
  for (const node of nodes) expect({ name: node.name, stderr: node.stderr }).toEqual({ name: node.name, stderr: '' })
}

export async function sleep (ms: number): Promise<void> {
  if (ms > 0) await new Promise(resolve => setTimeout(resolve, ms))
}

/** Wall-clock milliseconds with a fraction, as in the `t` of printed events. */
export function now (): number {
  return performance.timeOrigin + performance.now()
}

/** When `observer` printed that it removed `name` after its `from`-th event. */
export function removedAt (observer: NodeProcess, name: string, from: number): number | undefined {
  return observer.events.slice(from).find(e => e.event === 'member:leave' && e.member?.name === name)?.t
}

/**
 * The observers that removed `name` more than `boundMs` after `since` (or not at all), each with what it printed
 * about `name` meanwhile, so that a failure shows which path (closed connection or silence) each one took.
 */
export function lateRemovals (observers: readonly NodeProcess[], name: string, from: readonly number[], since: number, boundMs: number): object[] {
  return observers.flatMap((observer, i) => {
    const removedAfterMs = (removedAt(observer, name, from[i]!) ?? Infinity) - since
    if (removedAfterMs <= boundMs) return []
    const printed = observer.events.slice(from[i]).filter(e => e.member?.name === name).map(e => ({ event: e.event, ms: Math.round(e.t - since), liveness: e.member?.liveness }))
    return [{ observer: observer.name, removedAfterMs: Math.round(removedAfterMs), printed }]
  })
}

/** Prints a measured figure of the fault suite on its own line, for the run's log. */
export function report (line: string): void {
  process.stdout.write(`  [faults] ${line}\n`)
}

export function describeTally (tally: CallTally): string {
  const errors = Object.entries(tally.errors).map(([code, count]) => `${code} ${count}`).join(', ')
  return `${tally.settled}/${tally.made} calls settled: ${tally.ok} ok${errors === '' ? '' : `, ${errors}`}, ${tally.untyped} untyped`
}
