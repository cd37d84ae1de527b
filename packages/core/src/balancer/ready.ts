import { InvalidOptionError, NotReadyError } from '../errors.js'
import { assertInteger, assertKnownOptions } from '../options.js'
import type { Clock } from '../clock.js'
import type { Member } from '../member/member.js'
import type { MemberTable, MemberTableEvents } from '../member/table.js'

/** Options of `balancer.ready()`. */
export interface ReadyOptions {
  /** How many selectable members to wait for. @default 1 */
  readonly min?: number
  /**
   * How long to wait before rejecting with `NotReadyError`. Views converge within a second or two of a node joining
   * on a LAN; the default leaves room for a crowded host starting many processes at once. @default 30000
   */
  readonly timeoutMs?: number
  /** Aborting rejects with `NotReadyError`, the signal's reason as its `cause`. */
  readonly signal?: AbortSignal
}

export const DEFAULT_READY_TIMEOUT_MS = 30_000

/** Table events after which the group may have more selectable members. */
const GROWING: ReadonlyArray<keyof MemberTableEvents> = ['member:join', 'member:update', 'member:alive']

export interface ReadyHost {
  readonly group: string
  readonly table: MemberTable
  readonly clock: Clock
  /** The group's selectable members now. */
  nodes(): readonly Member[]
  /** Aborts when the balancer closes. */
  readonly closing: AbortSignal
}

/**
 * Resolves with the group's selectable members once there are at least `min`; rejects with `NotReadyError` at the
 * timeout, on abort, or when the balancer closes. It checks again after each table event that can add a selectable
 * member (a join, an update, a suspect found alive), not on a poll.
 *
 * @throws InvalidOptionError when an option is out of range
 */
export async function waitForMembers (host: ReadyHost, options: ReadyOptions = {}): Promise<readonly Member[]> {
  assertKnownOptions('ready', options, ['min', 'timeoutMs', 'signal'])
  const min = assertInteger('min', options.min ?? 1, 1)
  const timeoutMs = assertInteger('timeoutMs', options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS, 0, 0x7fff_ffff)
  const { signal } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'expected an AbortSignal')

  const notReady = (why: string, cause?: unknown): NotReadyError => {
    const available = host.closing.aborted ? 0 : host.nodes().length
    return new NotReadyError(`group "${host.group}" ${why} with ${available} of ${min} members`, min, available, cause === undefined ? undefined : { cause })
  }
  if (host.closing.aborted) throw notReady('is closed')
  const now = host.nodes()
  if (now.length >= min) return now
  if (signal?.aborted === true) throw notReady('wait aborted', signal.reason)

  return await new Promise((resolve, reject) => {
    const check = (): void => {
      const nodes = host.nodes()
      if (nodes.length >= min) {
        finish()
        resolve(nodes)
      }
    }
    const onAbort = (): void => {
      finish()
      reject(notReady('wait aborted', signal?.reason))
    }
    const onClose = (): void => {
      finish()
      reject(notReady('closed while waiting'))
    }
    const timer = host.clock.setTimeout(() => {
      finish()
      reject(notReady(`not ready within ${timeoutMs} ms`))
    }, timeoutMs)
    const finish = (): void => {
      host.clock.clearTimeout(timer)
      for (const event of GROWING) host.table.off(event, check)
      signal?.removeEventListener('abort', onAbort)
      host.closing.removeEventListener('abort', onClose)
    }
    for (const event of GROWING) host.table.on(event, check)
    signal?.addEventListener('abort', onAbort, { once: true })
    host.closing.addEventListener('abort', onClose, { once: true })
  })
}
