import { assertKnownOptions, assertName, assertInteger } from '../options.js'
import { InvalidOptionError } from '../errors.js'
import { MAX_GROUP_NAME_LENGTH, MAX_SHEDDING } from '../codec/limits.js'
import { createShedKnobs } from '../shedder/knobs.js'
import { Shedder } from '../shedder/shedder.js'
import type { ShedImplementation, ShedderHost } from '../shedder/shedder.js'
import type { ShedKnobs } from '../shedder/knobs.js'

/** Options of `cluster.shedder()`: the namespace, the implementation, and any of the knobs (defaults in {@link ShedKnobs}). */
export interface ShedderOptions extends Partial<ShedKnobs> {
  /** The namespace: the members shedding in it compare counts; this node announces its count in it. Apart from balancer groups. */
  namespace: string
  implementation: ShedImplementation
}

/** Options of `cluster.drain()`. */
export interface DrainOptions {
  /** Time to hand every connection over in, in rounds of at most `maxShedCount`. @default 30000 */
  withinMs?: number
}

const SHEDDER_OPTIONS = ['namespace', 'implementation', 'allowedAverageDeviationPercent', 'shedPercentage', 'maxShedCount', 'minShedCount', 'roundDurationSeconds', 'countIntervalMs', 'mode']
export const DEFAULT_DRAIN_WITHIN_MS = 30_000

/** What the shedders of a cluster node need from it. */
export interface SheddingHost extends Omit<ShedderHost, 'setCount' | 'onStop'> {
  /** Announces this node's count in `namespace`, in the record's shedding namespaces. */
  setCount(namespace: string, count: number): void
  /** The shedder of `namespace` stopped: the namespace leaves the record. */
  stopped(namespace: string): void
  running(): boolean
}

/** The shedders of one cluster node, and its drain. */
export class Shedding {
  private readonly shedders = new Set<Shedder>()

  constructor (private readonly host: SheddingHost) {}

  create (options: ShedderOptions): Shedder {
    assertKnownOptions('shedder', options, SHEDDER_OPTIONS)
    const namespace = assertName('namespace', options.namespace, MAX_GROUP_NAME_LENGTH)
    const { implementation } = options
    if (typeof implementation?.count !== 'function' || typeof implementation.killProcesses !== 'function') {
      throw new InvalidOptionError('implementation', 'expected { count(), killProcesses(n, hint) }')
    }
    if ([...this.shedders].some(shedder => shedder.namespace === namespace)) {
      throw new InvalidOptionError('namespace', `this node already sheds in "${namespace}"`)
    }
    if (this.shedders.size >= MAX_SHEDDING) {
      throw new InvalidOptionError('namespace', `a node sheds in at most ${MAX_SHEDDING} namespaces`)
    }
    const { namespace: _n, implementation: _i, ...knobs } = options
    const shedder = new Shedder(namespace, createShedKnobs(knobs), implementation, {
      ...this.host,
      // A round that was counting when its shedder stopped must not bring the namespace back.
      setCount: count => { if (this.shedders.has(shedder)) this.host.setCount(namespace, count) },
      onStop: stopped => {
        this.shedders.delete(stopped)
        this.host.stopped(namespace)
      }
    })
    this.shedders.add(shedder)
    if (this.host.running()) shedder.start()
    return shedder
  }

  start (): void {
    for (const shedder of this.shedders) shedder.start()
  }

  stop (): void {
    for (const shedder of [...this.shedders]) shedder.stop()
  }

  /**
   * Hands every shedder's connections over within `withinMs`; resolves with what is left (0 when all went) once
   * every shedder counted 0, or at the deadline plus a round.
   */
  async drain (options: DrainOptions = {}): Promise<number> {
    assertKnownOptions('drain', options, ['withinMs'])
    const withinMs = assertInteger('withinMs', options.withinMs ?? DEFAULT_DRAIN_WITHIN_MS, 0)
    const shedders = [...this.shedders]
    if (shedders.length === 0) return 0
    const { clock } = this.host
    const deadline = clock.now() + withinMs
    const left = (): number => shedders.reduce((sum, shedder) => sum + (shedder.count ?? 0), 0)
    return await new Promise(resolve => {
      let finished = false
      const finish = (): void => {
        if (finished) return
        finished = true
        for (const shedder of shedders) shedder.off('round', check)
        clock.clearTimeout(timer)
        resolve(left())
      }
      const check = (): void => { if (shedders.every(shedder => shedder.count === 0)) finish() }
      const timer = clock.setTimeout(finish, withinMs + Math.max(...shedders.map(s => s.knobs.roundDurationSeconds * 1000)))
      for (const shedder of shedders) {
        shedder.on('round', check)
        shedder.drainBy(deadline)
      }
    })
  }
}
