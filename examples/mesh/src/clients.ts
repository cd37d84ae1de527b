import { ReconnectingClient } from '@meshbalancer/example-websocket-service'
import type { ClientStats } from '@meshbalancer/example-websocket-service'

export interface FleetOptions {
  /** Where a client goes when it has no hint: like DNS round robin over the servers that are up. */
  pick(): string | undefined
  /** Follow the servers' reconnect hints (directed reconnect) or ignore them (random). */
  followHints: boolean
  /** Turns a hinted server address into the address to dial (the front door's, with HAProxy). */
  resolveHint?(address: string): string
}

/** M WebSocket clients that stay connected, with their combined statistics. */
export class ClientFleet {
  private readonly clients: ReconnectingClient[] = []

  constructor (size: number, options: FleetOptions) {
    for (let i = 0; i < size; i++) {
      this.clients.push(new ReconnectingClient({
        pick: options.pick,
        followHints: options.followHints,
        ...(options.resolveHint === undefined ? {} : { resolveHint: options.resolveHint })
      }))
    }
  }

  get size (): number {
    return this.clients.length
  }

  start (): void {
    for (const client of this.clients) client.start()
  }

  stop (): void {
    for (const client of this.clients) client.stop()
  }

  connected (): number {
    return this.clients.reduce((sum, client) => sum + (client.connected ? 1 : 0), 0)
  }

  /** Connected clients per server address. */
  byServer (): Map<string, number> {
    return tally(this.clients.map(client => client.server))
  }

  /** Clients per server address they first reached: where they were placed, whatever moved them since. */
  byFirstServer (): Map<string, number> {
    return tally(this.clients.map(client => client.firstServer))
  }

  stats (): ClientStats {
    const total: ClientStats = { connects: 0, plannedCloses: 0, unexpectedCloses: 0, errors: 0, problems: {} }
    for (const { stats } of this.clients) {
      total.connects += stats.connects
      total.plannedCloses += stats.plannedCloses
      total.unexpectedCloses += stats.unexpectedCloses
      total.errors += stats.errors
      for (const [what, count] of Object.entries(stats.problems)) total.problems[what] = (total.problems[what] ?? 0) + count
    }
    return total
  }
}

function tally (servers: ReadonlyArray<string | undefined>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const server of servers) {
    if (server !== undefined) counts.set(server, (counts.get(server) ?? 0) + 1)
  }
  return counts
}
