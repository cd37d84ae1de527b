import { sameView } from '../member/record.js'
import type { NodeChange } from './algorithm.js'
import type { ClusterMember, Member } from '../member/member.js'
import type { MemberTable } from '../member/table.js'

const EMPTY: readonly Member[] = []

interface Slot {
  readonly source: ClusterMember
  readonly member: Member
}

/**
 * The selectable members of one group, rebuilt from the member table only when the table's version moved, so a
 * pick costs one integer comparison when nothing changed. Selectable means: serves the group (lists it in its
 * record's `groups`; shedding namespaces do not count), status `active`, and not suspect.
 */
export class GroupView {
  nodes: readonly Member[] = EMPTY
  private version = -1
  private slots = new Map<string, Slot>()

  constructor (private readonly table: MemberTable, readonly group: string) {}

  /** True when the table changed since the last {@link GroupView.refresh}. */
  get stale (): boolean {
    return this.version !== this.table.version
  }

  /** Rebuilds from the table; returns what changed, or undefined when the selectable set is the same. */
  refresh (): NodeChange | undefined {
    this.version = this.table.version
    const slots = new Map<string, Slot>()
    const nodes: Member[] = []
    const joined: Member[] = []
    const updated: Member[] = []
    for (const source of this.table.members()) {
      const load = source.groups.get(this.group)
      if (load === undefined || source.status !== 'active' || source.liveness !== 'alive') continue
      const previous = this.slots.get(source.id)
      let member: Member
      if (previous?.source === source) {
        member = previous.member
      } else {
        member = memberOf(source, load)
        if (previous === undefined) joined.push(member)
        else if (!sameView(previous.member, member)) updated.push(member)
        else member = previous.member
      }
      slots.set(source.id, { source, member })
      nodes.push(member)
    }
    const left: Member[] = []
    for (const [id, slot] of this.slots) if (!slots.has(id)) left.push(slot.member)
    this.slots = slots
    if (joined.length === 0 && left.length === 0 && updated.length === 0) return undefined
    // Typed read-only but not frozen: V8 indexes a frozen array several nanoseconds slower, a third of a pick.
    this.nodes = nodes
    return { nodes: this.nodes, joined, left, updated }
  }
}

/** The group's view of a member: its entry without what algorithms do not see, and its load in the group. */
function memberOf (source: ClusterMember, load: number): Member {
  const { groups: _g, shedding: _s, liveness: _l, addresses: _a, ...fields } = source
  return Object.freeze({ ...fields, load })
}
