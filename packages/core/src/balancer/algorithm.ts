import type { Member } from '../member/member.js'
import type { RandomSource } from '../random.js'

/**
 * Per-pick options. `key` is used by key-based algorithms (hash ring); algorithms may read options of their own.
 */
export interface SelectOptions {
  readonly key?: string
  readonly [option: string]: unknown
}

/**
 * The selectable members after a change, with what changed. `nodes` is the array later picks receive, sorted by
 * id; when `joined` and `left` are empty the ids and their order are unchanged and only contents (load, weight,
 * latency, tags) moved.
 */
export interface NodeChange {
  readonly nodes: readonly Member[]
  readonly joined: readonly Member[]
  readonly left: readonly Member[]
  readonly updated: readonly Member[]
}

/** Given once, when the balancer starts. */
export interface AlgorithmContext {
  /** The balancer (and group) name. */
  readonly balancer: string
}

/**
 * A selection algorithm (**contract**): an object made by a factory, one instance per balancer.
 *
 * The balancer calls `onNodeChange` before the first pick that sees a new `nodes` array, so an algorithm may keep
 * an index keyed to it. An algorithm must still pick correctly from an array it was never told about (tests and
 * direct users call it that way), for example by rebuilding its index from that array.
 */
export interface SelectionAlgorithm {
  readonly name: string
  /** Picks one of `nodes`, which is never empty. */
  chooseFromNodes(nodes: readonly Member[], options: SelectOptions): Member
  /** Picks `min(count, nodes.length)` distinct members, for replicas. Without it the balancer shuffles. */
  chooseNodes?(nodes: readonly Member[], count: number, options: SelectOptions): Member[]
  onNodeChange?(change: NodeChange): void
  /** A call to `node` finished; connection-tracking algorithms decrement their count. */
  releaseNode?(node: Member): void
  init?(context: AlgorithmContext): void
}

/** Options every built-in factory accepts. */
export interface RandomOptions {
  /** Source of randomness, for deterministic tests. @default Math.random */
  random?: RandomSource
}
