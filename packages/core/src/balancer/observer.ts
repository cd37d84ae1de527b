import type { ErrorCode } from '../errors.js'
import type { Member } from '../member/member.js'

/** Why a pick went where it went: emitted as `balancer:pick` for a sample of picks (`explainOnePickIn`). */
export interface PickExplanation {
  readonly balancer: string
  readonly algorithm: string
  /** The member table's version the pick saw. */
  readonly snapshotVersion: number
  readonly key: string | undefined
  /** The members the algorithm chose from, with what it could weigh (the first 64 of a larger group). */
  readonly candidates: ReadonlyArray<Pick<Member, 'id' | 'name' | 'load' | 'weight' | 'latencyMs'>>
  /** True when the group had more candidates than listed. */
  readonly truncated: boolean
  readonly chosen: Pick<Member, 'id' | 'name'>
}

/** How an RPC ended: `ok`, the code of the typed error, or `aborted` (the caller's signal). */
export type CallOutcome = 'ok' | ErrorCode | 'aborted'

/** One call or cast this node sent, through a balancer or to a named member: emitted as `rpc:call`. */
export interface CallRecord {
  /** The balancer that chose the member; the empty name for a call to a member the caller named. */
  readonly balancer: string
  readonly method: string
  readonly peer: string
  readonly cast: boolean
  readonly outcome: CallOutcome
  readonly durationMs: number
}

/** What a balancer reports to its cluster (its calls are reported by the call path). */
export interface BalancerObserver {
  /** One pick in this many is explained; 0 explains none. */
  readonly explainOnePickIn: number
  /** The member table's version, for explanations. */
  version(): number
  /** False when nobody listens to explanations, so that none is built. */
  wantsExplanations(): boolean
  explained(explanation: PickExplanation): void
}

/** The outcome of a settled call, from its error. */
export function outcomeOf (error: unknown): CallOutcome {
  if (error === undefined) return 'ok'
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code as ErrorCode : 'aborted'
}
