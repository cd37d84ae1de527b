import { describe, expect, it } from '@jest/globals'
import { decodeRecord, encodeRecord, memberRecord, MemberTable } from '../src/protocol.js'
import { RECORD_FIELDS, sameBesidesFigures } from '../src/member/record.js'
import { MemberRecord as WireRecord } from '../src/pb/record.js'
import { GroupView } from '../src/balancer/group-view.js'
import { record } from './fixtures.js'
import type { MemberRecord } from '../src/index.js'

/** For every field, a value other than the fixture's: the compiler asks for one for each new field. */
const CHANGED = {
  origin: 'peer-a',
  name: 'renamed',
  incarnation: 1_700_000_000_001,
  sequence: 2,
  status: 'draining',
  groups: new Map([['api', 4]]),
  weight: 2,
  tags: { zone: 'eu-2' },
  eventLoopLagMs: 20,
  clientAddress: 'ws://127.0.0.1:8081',
  addresses: ['/ip4/127.0.0.1/tcp/4002'],
  shedding: new Map([['ws', 8]])
} as const satisfies { [K in keyof MemberRecord]-?: MemberRecord[K] }

/** Fields whose change is no change of the member: the identity and the per-publish counter. */
const NOT_CONTENT = new Set(['origin', 'sequence'])

describe('the record declaration', () => {
  it('declares exactly the fields of the generated wire message', () => {
    const wire = Object.keys(WireRecord.decode(encodeRecord(record()))).filter(key => key !== 'version')
    expect(Object.keys(RECORD_FIELDS).sort()).toEqual(wire.sort())
    expect(Object.keys(CHANGED).sort()).toEqual(Object.keys(RECORD_FIELDS).sort())
  })

  it.each(Object.keys(CHANGED).filter(name => !NOT_CONTENT.has(name)))('shows a change of %s to the table as an update', name => {
    const table = new MemberTable({ localId: 'self' })
    table.apply(record({ sequence: 1 }), 0)
    const changed = record({ sequence: 2, [name]: CHANGED[name as keyof typeof CHANGED] })
    // A new incarnation is a restart: the old member leaves and the new one joins.
    expect(table.apply(changed, 1)).toBe(name === 'incarnation' ? 'joined' : 'updated')
    expect(table.apply(record({ ...changed, sequence: 3 }), 2)).toBe('refreshed')
  })

  it('tells a record that repeats another but for its figures (loads, counts, the loop lag) from a change of content', () => {
    const base = record()
    const repeating = Object.keys(CHANGED).filter(name => sameBesidesFigures(base, { ...base, [name]: CHANGED[name as keyof typeof CHANGED] }))
    // CHANGED's groups and shedding give other figures under the same names; its origin is the fixture's.
    expect(repeating.sort()).toEqual(['eventLoopLagMs', 'groups', 'origin', 'sequence', 'shedding'])
    // A name added, or another name with the same figure, is content.
    expect(sameBesidesFigures(base, record({ groups: new Map([['api', 3], ['images', 0]]) }))).toBe(false)
    expect(sameBesidesFigures(base, record({ groups: new Map([['images', 3]]) }))).toBe(false)
    expect(sameBesidesFigures(base, record({ shedding: new Map() }))).toBe(false)
  })

  it('shows a record that differs only in its sequence as a refresh', () => {
    const table = new MemberTable({ localId: 'self' })
    table.apply(record({ sequence: 1 }), 0)
    const before = table.version
    expect(table.apply(record({ sequence: 2 }), 1)).toBe('refreshed')
    expect(table.version).toBe(before)
  })

  it('makes every record field but origin and sequence part of the member snapshot, and of the group view but its groups, namespaces and addresses', () => {
    const table = new MemberTable({ localId: 'self' })
    table.apply(record(), 0)
    const member = table.get('peer-a')!
    for (const name of Object.keys(RECORD_FIELDS).filter(name => !NOT_CONTENT.has(name))) {
      expect(member).toHaveProperty(name, record()[name as keyof MemberRecord])
    }
    expect(member).toMatchObject({ id: 'peer-a', liveness: 'alive', local: false })
    const view = new GroupView(table, 'api')
    view.refresh()
    const seen = view.nodes[0]!
    expect(seen).toMatchObject({ id: 'peer-a', name: 'a', load: 3, weight: 1, tags: { zone: 'eu-1' }, status: 'active' })
    expect(seen.eventLoopLagMs).toBe(2)
    for (const hidden of ['groups', 'shedding', 'liveness', 'addresses']) expect(seen).not.toHaveProperty(hidden)
  })

  it('tells a group view about a change of any field its members carry', () => {
    const table = new MemberTable({ localId: 'self' })
    table.apply(record({ sequence: 1 }), 0)
    const view = new GroupView(table, 'api')
    view.refresh()
    table.apply(record({ sequence: 2, tags: { zone: 'eu-2' } }), 1)
    expect(view.refresh()?.updated.map(member => member.tags)).toEqual([{ zone: 'eu-2' }])
    // A change outside the group's view (another namespace's count) is no update of the member.
    table.apply(record({ sequence: 3, tags: { zone: 'eu-2' }, shedding: new Map([['ws', 99]]) }), 2)
    expect(view.refresh()).toBeUndefined()
  })

  it('fills the fields memberRecord() is not given with empty values that encode', () => {
    const built = memberRecord({ origin: 'peer-z', name: 'z', incarnation: 5 })
    expect(built).toEqual({
      origin: 'peer-z', name: 'z', incarnation: 5, sequence: 0, status: 'active', groups: new Map(), weight: 1,
      tags: {}, eventLoopLagMs: 0, clientAddress: '', addresses: [], shedding: new Map()
    })
    expect(decodeRecord(encodeRecord(built))).toEqual(built)
  })
})
