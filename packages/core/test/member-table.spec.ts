import { beforeEach, describe, expect, it } from '@jest/globals'
import { MemberTable } from '../src/protocol.js'
import { record } from './fixtures.js'
import type { ClusterMember, LeaveReason } from '../src/index.js'

describe('member table', () => {
  let table: MemberTable
  let events: string[]

  beforeEach(() => {
    table = new MemberTable({ localId: 'self', tombstoneMs: 1000 })
    events = []
    table.on('member:join', m => events.push(`join ${m.name}`))
    table.on('member:update', m => events.push(`update ${m.name}`))
    table.on('member:suspect', m => events.push(`suspect ${m.name}`))
    table.on('member:alive', m => events.push(`alive ${m.name}`))
    table.on('member:leave', (m: ClusterMember, reason: LeaveReason) => events.push(`leave ${m.name} ${reason}`))
  })

  it('keeps the newest record per origin: higher incarnation, then higher sequence', () => {
    expect(table.apply(record({ sequence: 5 }), 0)).toBe('joined')
    expect(table.apply(record({ sequence: 4, weight: 9 }), 1)).toBe('stale')
    expect(table.apply(record({ sequence: 5, weight: 9 }), 1)).toBe('stale')
    expect(table.apply(record({ sequence: 6, weight: 2 }), 2)).toBe('updated')
    expect(table.get('peer-a')?.weight).toBe(2)
    expect(table.apply(record({ sequence: 7, weight: 2 }), 3)).toBe('refreshed')
    expect(events).toEqual(['join a', 'update a'])
  })

  it('treats a newer incarnation as a restart that replaces the old record', () => {
    table.apply(record({ incarnation: 10, sequence: 900 }), 0)
    expect(table.apply(record({ incarnation: 11, sequence: 1 }), 1)).toBe('joined')
    expect(table.get('peer-a')?.incarnation).toBe(11)
    expect(table.apply(record({ incarnation: 10, sequence: 901 }), 2)).toBe('stale')
    expect(events).toEqual(['join a', 'leave a restarted', 'join a'])
  })

  it('never expires a member on silence: liveness is the failure detector\'s', () => {
    table.apply(record(), 1000)
    table.expire(1_000_000)
    expect(table.get('peer-a')?.liveness).toBe('alive')
    expect(events).toEqual(['join a'])
  })

  it('keeps a member suspect until a record newer than the suspected version arrives', () => {
    table.apply(record({ sequence: 1 }), 0)
    expect(table.suspect('peer-a', { incarnation: record().incarnation, sequence: 1 })).toBe(true)
    expect(table.get('peer-a')?.liveness).toBe('suspect')
    expect(table.apply(record({ sequence: 2 }), 360)).toBe('refreshed')
    expect(table.get('peer-a')?.liveness).toBe('alive')
    expect(events).toEqual(['join a', 'suspect a', 'alive a'])
  })

  it('leaves a suspicion of a version it had not received yet standing when that version arrives', () => {
    table.apply(record({ sequence: 1 }), 0)
    table.suspect('peer-a', { incarnation: record().incarnation, sequence: 2 })
    expect(table.apply(record({ sequence: 2, weight: 4 }), 10)).toBe('updated')
    expect(table.get('peer-a')).toMatchObject({ liveness: 'suspect', weight: 4 })
    table.apply(record({ sequence: 3, weight: 4 }), 20)
    expect(table.get('peer-a')?.liveness).toBe('alive')
    expect(events).toEqual(['join a', 'suspect a', 'update a', 'alive a'])
  })

  it('clears a suspicion that a probe disproved, and removes a member declared dead', () => {
    table.apply(record({ sequence: 1 }), 0)
    table.suspect('peer-a', { incarnation: record().incarnation, sequence: 1 })
    table.unsuspect('peer-a')
    expect(table.get('peer-a')?.liveness).toBe('alive')
    expect(table.suspect('peer-nobody', { incarnation: 1, sequence: 1 })).toBe(false)
    table.declareDead('peer-a', 50)
    expect(table.get('peer-a')).toBeUndefined()
    expect(table.recordOf('peer-a')).toBeUndefined()
    expect(events).toEqual(['join a', 'suspect a', 'alive a', 'leave a dead'])
  })

  it('lets a member removed as dead return with a newer sequence, but not with late copies of old records', () => {
    table.apply(record({ sequence: 7 }), 0)
    table.apply(record({ sequence: 8 }), 0)
    table.declareDead('peer-a', 600)
    expect(table.apply(record({ sequence: 7 }), 700)).toBe('stale')
    expect(table.apply(record({ sequence: 9 }), 710)).toBe('joined')
    expect(events).toEqual(['join a', 'leave a dead', 'join a'])
  })

  it('brings a dead member back with the version it died at only from its origin: a relayed copy is unconfirmed', () => {
    table.apply(record({ sequence: 8 }), 0)
    table.declareDead('peer-a', 600)
    // Relayed by another member (push-pull): it proves nothing about the member being alive, nor does a newer one.
    expect(table.apply(record({ sequence: 8 }), 700, 'relayed')).toBe('unconfirmed')
    expect(table.apply(record({ sequence: 9 }), 700, 'relayed')).toBe('unconfirmed')
    expect(table.get('peer-a')).toBeUndefined()
    // From the origin itself (its own gossip message, or its answer in push-pull): an idle member on the far side
    // of a healed partition, which published nothing since it was declared dead.
    expect(table.apply(record({ sequence: 8 }), 710, 'direct')).toBe('joined')
    expect(events).toEqual(['join a', 'leave a dead', 'join a'])
  })

  it('keeps a member that left gone for its incarnation, however its record arrives', () => {
    table.apply(record({ sequence: 1 }), 0)
    table.apply(record({ sequence: 2, status: 'left' }), 10)
    expect(table.apply(record({ sequence: 2 }), 20, 'direct')).toBe('stale')
    expect(table.apply(record({ sequence: 3 }), 20, 'relayed')).toBe('stale')
    expect(table.apply(record({ sequence: 3 }), 20, 'direct')).toBe('stale')
    expect(table.apply(record({ sequence: 1, incarnation: 1_700_000_000_001 }), 30, 'relayed')).toBe('joined')
    expect(events).toEqual(['join a', 'leave a left', 'join a'])
  })

  it('removes a member that leaves at once, and never re-adds that incarnation', () => {
    table.apply(record({ sequence: 1 }), 0)
    expect(table.apply(record({ sequence: 2, status: 'left' }), 10)).toBe('left')
    expect(table.get('peer-a')).toBeUndefined()
    expect(table.apply(record({ sequence: 3 }), 20)).toBe('stale')
    expect(table.apply(record({ incarnation: 2_000_000_000_000, sequence: 1 }), 30)).toBe('joined')
    expect(events).toEqual(['join a', 'leave a left', 'join a'])
  })

  it('forgets tombstones after a while so the table does not grow with departed members', () => {
    table.apply(record({ sequence: 1, status: 'left' }), 0)
    table.expire(999)
    expect(table.apply(record({ sequence: 1 }), 999)).toBe('stale')
    table.expire(1000)
    expect(table.apply(record({ sequence: 1 }), 1000)).toBe('joined')
  })

  it('ignores records about itself from the network', () => {
    expect(table.apply(record({ origin: 'self' }), 0)).toBe('stale')
    expect(table.size).toBe(0)
  })

  it('never expires its own record', () => {
    table.setLocal(record({ origin: 'self', name: 'me' }), 0)
    table.expire(1_000_000)
    expect(table.get('self')?.local).toBe(true)
    expect(events).toEqual(['join me'])
  })

  it('bumps its version only on changes a selection could observe', () => {
    table.apply(record({ sequence: 1 }), 0)
    const version = table.version
    table.apply(record({ sequence: 2 }), 10)
    expect(table.version).toBe(version)
    table.setLatency('peer-a', 4.5)
    expect(table.version).toBe(version + 1)
    expect(table.get('peer-a')?.latencyMs).toBe(4.5)
  })

  it('lists members sorted by id and shares the list until something changes', () => {
    table.apply(record({ origin: 'peer-c', name: 'c' }), 0)
    table.apply(record({ origin: 'peer-b', name: 'b' }), 0)
    const first = table.members()
    expect(first.map(m => m.id)).toEqual(['peer-b', 'peer-c'])
    expect(table.members()).toBe(first)
    table.apply(record({ origin: 'peer-b', name: 'b', sequence: 2, weight: 3 }), 1)
    expect(table.members()).not.toBe(first)
  })
})
