import { InvalidOptionError, ServiceUnavailableError } from '../errors.js'
import { assertKnownOptions } from '../options.js'
import type { CallPath, CallSettings } from '../balancer/call-path.js'
import type { ClusterMember, Member } from '../member/member.js'
import type { MemberTable } from '../member/table.js'

/**
 * The member a call goes to: its id, its name, or an entry of it (a {@link ClusterMember} from `cluster.members()`,
 * a {@link Member} from a balancer), of which only the id is read. A string that is a member's id names that
 * member; otherwise it is a name. Names are unique by convention only: of several members with one name, the only
 * one this node hears from is called (after a restart with a new peer id, the old entry stays suspect until it is
 * removed); when several of them are alive, the call fails with `SERVICE_UNAVAILABLE` naming their ids.
 */
export type MemberRef = string | Pick<ClusterMember | Member, 'id'>

/** Options of `cluster.call()` and `cluster.cast()`. */
export type MemberCallOptions = CallSettings

const OPTIONS = ['timeoutMs', 'signal']

/** Calls to a member the caller names, through the same call path as a balancer's calls. */
export class MemberCalls {
  constructor (private readonly table: MemberTable, private readonly calls: CallPath) {}

  async send (to: MemberRef, method: string, args: unknown, options: MemberCallOptions, cast: boolean): Promise<unknown> {
    assertKnownOptions(cast ? 'cast' : 'call', options, OPTIONS)
    const prepared = this.calls.prepare(options)
    const member = this.resolve(to)
    return await this.calls.send(member.id, '', method, args, prepared, cast)
  }

  /**
   * The member `to` names in this node's view. An id wins over a name (ids are unique; a name is unique only by
   * convention). Of several members with one name, the only one this node hears from is taken: that is the new
   * process when a node restarted with a new peer id and its old entry is suspect until it is removed. Two that
   * are both heard from are ambiguous, and the call fails rather than pick one of them.
   *
   * @throws ServiceUnavailableError when no member is known by `to`, when it is suspect or has left, or when
   *   several members named `to` are alive
   */
  resolve (to: MemberRef): ClusterMember {
    if (typeof to === 'object' && to !== null && typeof to.id === 'string') return this.reachable(this.table.get(to.id), to.id)
    if (typeof to !== 'string' || to.length === 0) {
      throw new InvalidOptionError('member', 'expected a member id, a member name or a member entry with an id')
    }
    const byId = this.table.get(to)
    if (byId !== undefined) return this.reachable(byId, to)
    const named = this.table.members().filter(member => member.name === to)
    if (named.length === 0) throw new ServiceUnavailableError(`no member has the id or name "${to}"`)
    const alive = named.filter(callable)
    if (alive.length === 1) return alive[0]!
    if (alive.length === 0) return this.reachable(named[0], to)
    throw new ServiceUnavailableError(`${alive.length} members are named "${to}" (${alive.map(member => member.id).join(', ')}); call one of them by id`)
  }

  private reachable (member: ClusterMember | undefined, asked: string): ClusterMember {
    if (member === undefined) throw new ServiceUnavailableError(`no member has the id "${asked}"`)
    if (member.status === 'left') throw new ServiceUnavailableError(`member ${member.name} (${member.id}) has left`)
    if (member.liveness !== 'alive') throw new ServiceUnavailableError(`member ${member.name} (${member.id}) is ${member.liveness}: nothing was heard from it lately`)
    return member
  }
}

/**
 * A member a call may go to: one this node hears from and that has not left. Unlike selection, a `joining` or
 * `draining` member is called: the caller chose it, and it still serves.
 */
function callable (member: ClusterMember): boolean {
  return member.liveness === 'alive' && member.status !== 'left'
}
