import { ReconnectingClient } from '@meshbalancer/example-websocket-service'
import type { ClientStats } from '@meshbalancer/example-websocket-service'

export interface FleetOptions {
  /** Where a client goes when it has no hint: like DNS round robin over the servers that are up. */
  pick(): string | undefined
  /** Follow the servers' reconnect hints (directed reconnect) or ignore them (random). */
  followHints: boolean
  /** Turns a hint into the address to dial (the front door's, with HAProxy). */
  resolveHint?(hint: string): string
}

/**
 * What the clients went through, with the closes and failed connections of a server that was killed counted apart
 * from every other problem: `unexpectedCloses`, `errors` and `problems` leave them out, and `problems` lists them
 * under `NAME (killed): …`.
 */
export interface FleetStats extends ClientStats {
  /** Open connections to the killed server that ended when it died (close 1006, or whatever the front door sent). */
  killedServerCloses: number
  /** Connections to the killed server that failed after it died (refused), before clients learnt it was gone. */
  killedServerErrors: number
}

/** M WebSocket clients that stay connected, with their combined statistics. */
export class ClientFleet {
  private readonly clients: ReconnectingClient[] = []
  private killed: { url: string, name: string } | undefined
  private readonly killedProblems: Record<string, number> = {}

  constructor (size: number, options: FleetOptions) {
    for (let i = 0; i < size; i++) {
      this.clients.push(new ReconnectingClient({
        pick: options.pick,
        followHints: options.followHints,
        ...(options.resolveHint === undefined ? {} : { resolveHint: options.resolveHint }),
        onProblem: (what, server) => { this.attribute(what, server) }
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

  /** From now on, problems on the server at `url` are its death's, counted apart. Call it just before the kill. */
  markKilled (url: string, name: string): void {
    this.killed = { url, name }
  }

  /** The clients connected to the server at `url` now. */
  clientsOn (url: string): ReconnectingClient[] {
    return this.clients.filter(client => client.server === url)
  }

  /** Connected clients per server address. */
  byServer (): Map<string, number> {
    return tally(this.clients.map(client => client.server))
  }

  /** Clients per server address they first reached: where they were placed, whatever moved them since. */
  byFirstServer (): Map<string, number> {
    return tally(this.clients.map(client => client.firstServer))
  }

  stats (): FleetStats {
    const total: FleetStats = { connects: 0, plannedCloses: 0, unexpectedCloses: 0, errors: 0, problems: {}, killedServerCloses: 0, killedServerErrors: 0 }
    for (const { stats } of this.clients) {
      total.connects += stats.connects
      total.plannedCloses += stats.plannedCloses
      total.unexpectedCloses += stats.unexpectedCloses
      total.errors += stats.errors
      for (const [what, count] of Object.entries(stats.problems)) total.problems[what] = (total.problems[what] ?? 0) + count
    }
    for (const [what, count] of Object.entries(this.killedProblems)) {
      if (what.startsWith('close ')) {
        total.killedServerCloses += count
        total.unexpectedCloses -= count
      } else {
        total.killedServerErrors += count
        total.errors -= count
      }
      const left = (total.problems[what] ?? 0) - count
      if (left > 0) total.problems[what] = left
      else delete total.problems[what]
      total.problems[`${this.killed!.name} (killed): ${what}`] = count
    }
    return total
  }

  private attribute (what: string, server: string): void {
    // By host and port: a client that followed a hint dialed the server's address with `?node=NAME`.
    if (this.killed !== undefined && hostOf(server) === hostOf(this.killed.url)) this.killedProblems[what] = (this.killedProblems[what] ?? 0) + 1
  }
}

function hostOf (url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

function tally (servers: ReadonlyArray<string | undefined>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const server of servers) {
    if (server !== undefined) counts.set(server, (counts.get(server) ?? 0) + 1)
  }
  return counts
}
