import { memberRecord } from '@meshbalancer/core/protocol'
import type { Member } from '@meshbalancer/core'

/**
 * A frozen test member; ids sort in creation order (`m-0000`, `m-0001`, …) like a balancer's nodes array. Fields
 * that come from the member's record take the record's empty values, so a new record field needs nothing here.
 */
export function testMember (index: number, overrides: Partial<Member> = {}): Member {
  const id = `m-${String(index).padStart(4, '0')}`
  const { origin: _o, sequence: _s, groups: _g, shedding: _d, addresses: _a, ...fields } =
    memberRecord({ origin: id, name: `node-${index}`, incarnation: 1 })
  return Object.freeze({ ...fields, id, load: 0, latencyMs: undefined, local: false, ...overrides })
}

/** `count` frozen test members in a frozen array sorted by id. */
export function testMembers (count: number, overrides: (index: number) => Partial<Member> = () => ({})): readonly Member[] {
  return Object.freeze(Array.from({ length: count }, (_, i) => testMember(i, overrides(i))))
}
