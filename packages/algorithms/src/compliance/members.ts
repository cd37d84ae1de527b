import type { Member } from '@meshbalancer/core'

/** A frozen test member; ids sort in creation order (`m-0000`, `m-0001`, …) like a balancer's nodes array. */
export function testMember (index: number, overrides: Partial<Member> = {}): Member {
  return Object.freeze({
    id: `m-${String(index).padStart(4, '0')}`,
    name: `node-${index}`,
    tags: Object.freeze({}),
    load: 0,
    weight: 1,
    latencyMs: undefined,
    status: 'active',
    incarnation: 1,
    clientAddress: '',
    local: false,
    ...overrides
  })
}

/** `count` frozen test members in a frozen array sorted by id. */
export function testMembers (count: number, overrides: (index: number) => Partial<Member> = () => ({})): readonly Member[] {
  return Object.freeze(Array.from({ length: count }, (_, i) => testMember(i, overrides(i))))
}
