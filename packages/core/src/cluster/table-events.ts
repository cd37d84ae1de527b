import type { EventEmitter } from 'node:events'
import type { ClusterMember } from '../member/member.js'
import type { MemberTable } from '../member/table.js'
import type { Transport } from '../transport/transport.js'
import type { ClusterEvents } from './events.js'

const TABLE_EVENTS = ['member:join', 'member:update', 'member:suspect', 'member:alive', 'member:leave'] as const

/**
 * Re-emits the member table's events on the cluster, and keeps the transport told about members: their addresses
 * when they join or move, and their departure when they leave or die (a restart is neither: the member is back).
 */
export function wireTableEvents (table: MemberTable, cluster: EventEmitter<ClusterEvents>, transport: Transport): void {
  for (const event of TABLE_EVENTS) {
    table.on(event, (...args: unknown[]) => { cluster.emit(event, ...(args as [never, never])) })
  }
  const learnAddresses = (member: ClusterMember): void => {
    if (!member.local && member.addresses.length > 0) transport.addPeerAddresses?.(member.id, member.addresses)
  }
  table.on('member:join', learnAddresses)
  table.on('member:update', (member, previous) => {
    if (!sameList(member.addresses, previous.addresses)) learnAddresses(member)
  })
  table.on('member:leave', (member, reason) => {
    if (reason !== 'restarted') transport.forgetPeer?.(member.id, reason)
  })
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}
