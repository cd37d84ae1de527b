import { beforeEach, describe, expect, it } from '@jest/globals'
import { MemberTable } from '../src/protocol.js'
import { record } from './fixtures.js'
import type { ClusterMember, LeaveReason } from '../src/index.js'

describe('member table', () => {
  let table: MemberTable
  let events: string[]

  beforeEach(() => {
    table = new MemberTable({ localId: 'self', suspectAfterMs: 300, deadAfterMs: 500 })
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

  it('makes a silent member suspect, then removes it, at the configured times', () => {
    table.apply(record(), 1000)
    table.expire(1299)
    expect(table.get('peer-a')?.liveness).toBe('alive')
    table.expire(1300)
    expect(table.get('peer-a')?.liveness).toBe('suspect')
    table.expire(1499)
    expect(table.get('peer-a')).toBeDefined()
    table.expire(1500)
    expect(table.get('peer-a')).toBeUndefined()
    expect(events).toEqual(['join a', 'suspect a', 'leave a dead'])
  })

  it('brings a suspect member back when it is heard from again', () => {
    table.apply(record({ sequence: 1 }), 0)
    table.expire(350)
    expect(table.apply(record({ sequence: 2 }), 360)).toBe('refreshed')
    expect(table.get('peer-a')?.liveness).toBe('alive')
    expect(events).toEqual(['join a', 'suspect a', 'alive a'])
  })

  it('lets a member removed as dead return with a newer sequence, but not with late copies of old records', () => {
    table.apply(record({ sequence: 8 }), 0)
    table.expire(600)
    expect(table.apply(record({ sequence: 8 }), 700)).toBe('stale')
    expect(table.apply(record({ sequence: 9 }), 710)).toBe('joined')
    expect(events).toEqual(['join a', 'leave a dead', 'join a'])
  })

  it('removes a member whose connection closed after the grace, unless a record sent after the close arrives', () => {
    table.apply(record({ sequence: 1 }), 1000)
    table.markUnreachable('peer-a', 1100, 150, 20)
    // Its last heartbeat, relayed a few milliseconds after the close: news, not a sign of life.
    expect(table.apply(record({ sequence: 2, weight: 3 }), 1110)).toBe('updated')
    expect(table.get('peer-a')).toMatchObject({ liveness: 'suspect', weight: 3 })
    table.expire(1249)
    expect(table.get('peer-a')).toBeDefined()
    table.expire(1250)
    expect(table.get('peer-a')).toBeUndefined()
    expect(events).toEqual(['join a', 'suspect a', 'update a', 'leave a dead'])

    // A member still heard from through gossip after the close stays.
    table.apply(record({ name: 'b', origin: 'peer-b', sequence: 1 }), 2000)
    table.markUnreachable('peer-b', 2000, 150, 20)
    expect(table.apply(record({ name: 'b', origin: 'peer-b', sequence: 2 }), 2100)).toBe('refreshed')
    table.expire(2200)
    expect(table.get('peer-b')?.liveness).toBe('alive')
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

  it('credits members with a pause of this process, but never beyond the present', () => {
    table.apply(record({ origin: 'peer-a', name: 'a' }), 0)
    table.apply(record({ origin: 'peer-b', name: 'b' }), 10_000) // arrived in the backlog right after the pause
    table.forgive(10_000, 10_000)
    table.expire(10_200)
    expect(table.get('peer-a')?.liveness).toBe('alive')
    table.expire(10_000 + 499)
    expect(table.get('peer-b')).toBeDefined()
    table.expire(10_000 + 500)
    expect(table.get('peer-a')).toBeUndefined()
    expect(table.get('peer-b')).toBeUndefined()
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
