import { createServer } from 'node:net'
import type { Server } from 'node:net'

/** One server of the namespace as the agent weighs it. */
export interface AgentPeer {
  /** Its open sockets. */
  count: number
  /** A draining server takes no one; what it holds will land on the others. */
  draining: boolean
}

/** The weight a server below the mean gets when it is the emptiest, in percent of its configured weight. */
export const FULL_WEIGHT_PERCENT = 100
/**
 * The weight of a server at or above the mean while the namespace is out of balance. Not 0: HAProxy takes a server
 * with weight 0 out of the farm, and if every agent answered 0 at once (views differ for a moment after a change)
 * the front door would have no server at all.
 */
export const MIN_WEIGHT_PERCENT = 1

/**
 * What a server's HAProxy agent answers, from its own count and the counts of the other servers of its namespace
 * (gossiped): `drain` while it drains; `ready 100%` while every server is within `deviationPercent` of the mean, so
 * that the front door spreads new clients evenly; otherwise a weight in proportion to its room below the mean, the
 * emptiest server at 100 % and any server without room at 1 %. Round robin and leastconn alike then send the
 * clients that shedding closes, who come back through the front door, to the servers that need them, as the
 * shedders planned.
 *
 * The mean is taken as the shedders take it: everything held, over the servers that take connections.
 */
export function agentReply (self: AgentPeer, others: readonly AgentPeer[], deviationPercent: number): string {
  if (self.draining) return 'drain'
  const all = [self, ...others]
  const receivers = all.filter(peer => !peer.draining)
  const mean = all.reduce((sum, peer) => sum + peer.count, 0) / receivers.length
  const allowed = mean * deviationPercent / 100
  if (receivers.every(peer => Math.abs(peer.count - mean) <= allowed)) return `ready ${FULL_WEIGHT_PERCENT}%`
  const room = (peer: AgentPeer): number => Math.max(0, mean - peer.count)
  const most = Math.max(...receivers.map(room))
  const weight = most <= 0 ? FULL_WEIGHT_PERCENT : Math.round(FULL_WEIGHT_PERCENT * room(self) / most)
  return `ready ${Math.max(MIN_WEIGHT_PERCENT, weight)}%`
}

/**
 * A TCP server speaking HAProxy's agent-check protocol: for every connection it writes `reply()` and a newline, then
 * closes. Whatever HAProxy sends (`agent-send`) is ignored.
 */
export async function startAgent (port: number, host: string, reply: () => string): Promise<Server> {
  const server = createServer(socket => {
    socket.on('error', () => {})
    socket.end(`${reply()}\n`)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return server
}
