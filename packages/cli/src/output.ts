import type { ClusterMember } from '@meshbalancer/core'

/** Prints what happens on a node: human-readable lines, or one JSON object per line with `--json`. */
export interface Output {
  event(name: string, fields: Record<string, unknown>): void
  member(name: string, member: ClusterMember, fields?: Record<string, unknown>): void
}

/** A member as printed: plain JSON values only. */
export function memberFields (member: ClusterMember): Record<string, unknown> {
  return {
    id: member.id,
    name: member.name,
    status: member.status,
    liveness: member.liveness,
    incarnation: member.incarnation,
    groups: Object.fromEntries(member.groups),
    weight: member.weight,
    tags: member.tags,
    latencyMs: member.latencyMs ?? null,
    eventLoopLagMs: member.eventLoopLagMs,
    clientAddress: member.clientAddress,
    addresses: member.addresses,
    local: member.local
  }
}

/**
 * One JSON object per line. `t` is the wall-clock time in milliseconds with a fraction (from the high-resolution
 * clock), so that tools can compare events printed by different processes on one machine to well under a
 * millisecond.
 */
export function jsonOutput (write: (line: string) => void): Output {
  const event = (name: string, fields: Record<string, unknown>): void => {
    const t = performance.timeOrigin + performance.now()
    write(JSON.stringify({ time: new Date(t).toISOString(), t, event: name, ...fields }))
  }
  return {
    event,
    member: (name, member, fields = {}) => { event(name, { member: memberFields(member), ...fields }) }
  }
}

export function humanOutput (write: (line: string) => void): Output {
  const stamp = (): string => new Date().toISOString().slice(11, 23)
  return {
    event (name, fields) {
      const details = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      write(`${stamp()}  ${name.padEnd(16)} ${details.join(' ')}`)
    },
    member (name, member, fields = {}) {
      const loads = [...member.groups].map(([group, load]) => `${group}=${load}`).join(',') || '-'
      const extra = Object.entries(fields).map(([key, value]) => ` ${key}=${String(value)}`).join('')
      write(`${stamp()}  ${name.padEnd(16)} ${member.name.padEnd(12)} ${member.id.slice(-8)}  ${member.status}/${member.liveness}  load ${loads}  inc ${member.incarnation}${extra}`)
    }
  }
}
