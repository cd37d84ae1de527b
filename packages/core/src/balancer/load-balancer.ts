import { ServiceUnavailableError } from '../errors.js'
import { assertInteger } from '../options.js'
import { GroupView } from './group-view.js'
import { waitForMembers } from './ready.js'
import { sampleNodes } from './sample.js'
import type { SelectionAlgorithm, SelectOptions } from './algorithm.js'
import type { CallPath, CallSettings } from './call-path.js'
import type { BalancerObserver } from './observer.js'
import type { ReadyOptions } from './ready.js'
import type { Clock } from '../clock.js'
import type { Member } from '../member/member.js'
import type { MemberTable } from '../member/table.js'
import type { RandomSource } from '../random.js'

/** Shared default for calls without options, so that a pick allocates nothing. */
const NO_OPTIONS: SelectOptions = Object.freeze({})

/**
 * Options of {@link LoadBalancer.call} and {@link LoadBalancer.cast}: selection options plus `timeoutMs`
 * (@default 10000) and `signal`, the same as a call to a named member takes.
 */
export interface CallOptions extends SelectOptions, CallSettings {}

export interface LoadBalancerInit {
  name: string
  algorithm: SelectionAlgorithm
  table: MemberTable
  /** How calls leave the node: shared with calls to a named member. */
  calls: CallPath
  random: RandomSource
  clock: Clock
  observer: BalancerObserver
  onClose(): void
}

/** Explanations list this many candidates at most. */
const EXPLAINED_CANDIDATES = 64

/**
 * Selects members of one group with a pluggable algorithm and calls them (**contract** for the method names).
 * Selection is synchronous: it reads this node's view, which gossip keeps current.
 */
export class LoadBalancer {
  readonly name: string
  readonly algorithm: SelectionAlgorithm
  private readonly view: GroupView
  private readonly calls: CallPath
  private readonly random: RandomSource
  private readonly table: MemberTable
  private readonly clock: Clock
  private readonly observer: BalancerObserver
  private readonly onClose: () => void
  private closed = false
  /** Aborts on `close()`, ending every `ready()` still waiting. */
  private readonly closing = new AbortController()
  private picked = 0
  private untilExplained: number

  constructor (init: LoadBalancerInit) {
    this.name = init.name
    this.algorithm = init.algorithm
    this.view = new GroupView(init.table, init.name)
    this.calls = init.calls
    this.random = init.random
    this.table = init.table
    this.clock = init.clock
    this.observer = init.observer
    this.untilExplained = init.observer.explainOnePickIn
    this.onClose = init.onClose
    this.algorithm.init?.({ balancer: this.name })
  }

  /** Picks made so far (selectNode, and each selectNodes). */
  get picks (): number {
    return this.picked
  }

  /** True once `close()` was called. */
  get isClosed (): boolean {
    return this.closed
  }

  /**
   * Picks one member.
   *
   * @throws ServiceUnavailableError when the group has no selectable member
   */
  selectNode (options: SelectOptions = NO_OPTIONS): Member {
    const nodes = this.nodes()
    if (nodes.length === 0) throw this.unavailable()
    const member = this.algorithm.chooseFromNodes(nodes, options)
    this.picked++
    // A countdown, not a random draw: sampling costs the hot path one decrement.
    if (--this.untilExplained === 0) this.explain(nodes, member, options)
    return member
  }

  /**
   * Picks `min(count, members)` distinct members: the algorithm's replica choice when it has one (the hash ring
   * walks the ring from the key), a random sample otherwise.
   *
   * @throws InvalidOptionError when count is not an integer ≥ 1
   * @throws ServiceUnavailableError when the group has no selectable member
   */
  selectNodes (count: number, options: SelectOptions = NO_OPTIONS): Member[] {
    assertInteger('count', count, 1)
    const nodes = this.nodes()
    if (nodes.length === 0) throw this.unavailable()
    this.picked++
    if (this.algorithm.chooseNodes !== undefined) return this.algorithm.chooseNodes(nodes, count, options)
    return sampleNodes(nodes, count, this.random)
  }

  /** Tells the algorithm that a call to `member` finished (connection-tracking algorithms decrement). */
  releaseNode (member: Member): void {
    this.algorithm.releaseNode?.(member)
  }

  /** The selectable members of the group, sorted by id; empty when there are none. */
  getMembers (): readonly Member[] {
    return this.nodes()
  }

  /**
   * Waits until the group has at least `min` selectable members, and resolves with them: the way to start calling
   * once gossip has brought the group's members, without sleeping or polling `getMembers()`.
   *
   * @example
   * ```ts
   * const api = cluster.loadBalancer({ name: 'api', algorithm: powerOfTwo() })
   * await api.ready({ min: 2, timeoutMs: 5000 })
   * await api.call('greet', 'mesh')
   * ```
   *
   * @throws NotReadyError (rejects) at the timeout, when `signal` aborts, or when the balancer closes
   * @throws InvalidOptionError when an option is out of range
   */
  async ready (options?: ReadyOptions): Promise<readonly Member[]> {
    return await waitForMembers({
      group: this.name,
      table: this.table,
      clock: this.clock,
      nodes: () => this.nodes(),
      closing: this.closing.signal
    }, options)
  }

  /**
   * Selects a member, calls `method` on it and releases it. Always settles: with the handler's result, or with a
   * `ServiceUnavailableError`, `RequestTimeoutError`, `BadRequestError` or `RemoteError`.
   */
  async call<Result = unknown> (method: string, args?: unknown, options: CallOptions = NO_OPTIONS): Promise<Result> {
    return await this.send(method, args, options, false) as Result
  }

  /**
   * Selects a member and sends `method` without waiting for a result. Resolves once the request is handed to the
   * network; rejects when no member is selectable or the chosen one cannot be reached.
   */
  async cast (method: string, args?: unknown, options: CallOptions = NO_OPTIONS): Promise<void> {
    await this.send(method, args, options, true)
  }

  /** Leaves the group (when this node had joined it) and stops the balancer. */
  close (): void {
    if (this.closed) return
    this.closed = true
    this.closing.abort()
    this.onClose()
  }

  /** Select, send (the call path reports the outcome), release. */
  private async send (method: string, args: unknown, options: CallOptions, cast: boolean): Promise<unknown> {
    const prepared = this.calls.prepare(options)
    const member = this.selectNode(options)
    try {
      return await this.calls.send(member.id, this.name, method, args, prepared, cast)
    } finally {
      this.releaseNode(member)
    }
  }

  private explain (nodes: readonly Member[], chosen: Member, options: SelectOptions): void {
    this.untilExplained = this.observer.explainOnePickIn
    if (!this.observer.wantsExplanations()) return
    this.observer.explained({
      balancer: this.name,
      algorithm: this.algorithm.name,
      snapshotVersion: this.observer.version(),
      key: options.key,
      candidates: nodes.slice(0, EXPLAINED_CANDIDATES).map(({ id, name, load, weight, latencyMs }) => ({ id, name, load, weight, latencyMs })),
      truncated: nodes.length > EXPLAINED_CANDIDATES,
      chosen: { id: chosen.id, name: chosen.name }
    })
  }

  private nodes (): readonly Member[] {
    if (this.view.stale) {
      const change = this.view.refresh()
      if (change !== undefined) this.algorithm.onNodeChange?.(change)
    }
    return this.view.nodes
  }

  private unavailable (): ServiceUnavailableError {
    return new ServiceUnavailableError(`no member of group "${this.name}" is available`)
  }
}
