import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ServiceUnavailableError } from '@meshbalancer/core'
import {
  DEPARTED_CLUSTER_DIALS_PER_S, DEPARTED_DIALS_PER_TICK, DEPARTED_MAX_ADDRESSES, DEPARTED_MAX_MEMBERS, DEPARTED_RETENTION_MS, DIAL_TIMEOUT_MS,
  DEPARTED_STEADY_MS, LOST_DIALS_PER_TICK, LOST_PROBE_TIMEOUT_MS, LOST_REDIAL_MAX_MS, LOST_REDIAL_MIN_MS, LOST_RETENTION_MS,
  STUCK_DIAL_MS
} from '../node/constants.js'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '@meshbalancer/core'

/** What the dialer needs of a libp2p node. */
export type DialerHost = Pick<Libp2p, 'peerId' | 'dial' | 'getConnections' | 'getPeers'>

export interface PeerDialerInit {
  join: string[]
  joinRetryIntervalMs: number
  targetPeers: number
  logger: Logger
  /** One round trip to a connected peer; rejects when it does not answer in time. */
  ping(id: PeerId, signal: AbortSignal): Promise<unknown>
  /** @default Date.now */
  now?: () => number
  /** Uniform in [0, 1), for jitter. @default Math.random */
  random?: () => number
}

/** A member is not dialled again sooner than this after a failed dial. */
const REDIAL_BACKOFF_MS = 5000

/** A member declared dead, dialled again now and then. */
interface LostMember {
  id: PeerId
  lostAt: number
  attempts: number
  nextDialAt: number
  /** When it was last dialled because its record came back (see `redialRevived`). */
  revivedDialAt: number
}

/** A member that left, remembered by its last addresses in case it comes back at one of them. */
interface DepartedMember {
  id: PeerId
  /** Without `/p2p/<id>`: a member restarted without its key comes back at the same address with another id. */
  addresses: Multiaddr[]
  leftAt: number
  nextDialAt: number
}

/**
 * Keeps the node connected: dials the join addresses until it has a peer (and again whenever it has none), and
 * dials members learned from gossip until it has `targetPeers` connections, so that neither gossip nor RPC
 * depends on the seed it joined through.
 *
 * A member declared dead is pinged over the connections it may still have; if it does not answer, the node
 * closes them and dials the member again with a jittered backoff until it is connected again. After a partition heals, TCP connections that outlived it could
 * stay silent for as long as their retransmission backoff (tens of seconds after a minute's partition); fresh
 * dials, spread out by the jitter over every pair of nodes across the cut, find the other side within seconds.
 *
 * A member that left is no longer dialled by id, but its last addresses are, for a while: a seed restarted with no
 * join list would otherwise stay alone, as no one dials it and it dials no one.
 */
export class PeerDialer {
  private timer: ReturnType<typeof setInterval> | undefined
  /** Members learned from gossip, with the time of the last failed dial. */
  private readonly candidates = new Map<string, { id: PeerId, failedAt: number }>()
  private readonly dialing = new Set<string>()
  /** Dials by peer id in flight: when each started, and how to abort it. */
  private readonly dials = new Map<string, { startedAt: number, controller: AbortController }>()
  /** Members declared dead, in the order they are to be tried. */
  private readonly lost = new Map<string, LostMember>()
  /** Lost members being pinged: not dialled meanwhile, as a dial would only find the connection under test. */
  private readonly probing = new Set<string>()
  /** Members that left, oldest first, at most `DEPARTED_MAX_MEMBERS`. */
  private readonly departed = new Map<string, DepartedMember>()
  private readonly now: () => number
  private readonly random: () => number

  constructor (private readonly host: DialerHost, private readonly init: PeerDialerInit) {
    this.now = init.now ?? Date.now
    this.random = init.random ?? Math.random
  }

  start (): void {
    this.dialJoinAddresses()
    this.timer = setInterval(() => { this.tick() }, this.init.joinRetryIntervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.candidates.clear()
    this.lost.clear()
    this.departed.clear()
  }

  /**
   * A member (with addresses now in the peer store) the node may connect to. A lost member stays lost until it is
   * connected again (an address learned or discovered is no proof that it is reachable), but is dialled at once:
   * its record came back into the view (see `redialRevived`).
   */
  consider (id: PeerId): void {
    if (id.equals(this.host.peerId)) return
    const lost = this.lost.get(id.toString())
    if (lost !== undefined) {
      this.redialRevived(lost)
      return
    }
    // Heard of again (it came back and joined someone): dialled as a member, no longer at its old addresses.
    this.departed.delete(id.toString())
    if (!this.candidates.has(id.toString())) this.candidates.set(id.toString(), { id, failedAt: -Infinity })
    if (this.connectionCount() < this.init.targetPeers) this.dial(id)
  }

  /** A member that left: stop trying it by id. */
  forget (id: string): void {
    this.candidates.delete(id)
    this.lost.delete(id)
    this.departed.delete(id)
  }

  /**
   * The last `addresses` of a member that left or was declared dead, dialled now and then for a while (see
   * `DEPARTED_RETENTION_MS`), so that it is found again if it restarts there, even with no join list of its own and
   * with a new peer id (a dead member is also redialled by id, which only finds it under its old one). Ignored if
   * the member is known again meanwhile.
   */
  remember (id: string, addresses: readonly Multiaddr[]): void {
    if (this.candidates.has(id)) return
    const dialable = addresses.map(address => address.decapsulateCode(421)).slice(0, DEPARTED_MAX_ADDRESSES)
    if (dialable.length === 0) return
    const peerId = parsePeerId(id)
    if (peerId === undefined) return
    const now = this.now()
    this.departed.delete(id)
    this.departed.set(id, { id: peerId, addresses: dialable, leftAt: now, nextDialAt: now + this.departedDelay(0) })
    if (this.departed.size > DEPARTED_MAX_MEMBERS) this.departed.delete(this.departed.keys().next().value as string)
  }

  /**
   * A member declared dead: close the connections it had unless it still answers, and dial it again now and then
   * until it is connected again, it leaves, or a day has passed.
   */
  lose (id: string): void {
    this.candidates.delete(id)
    const peerId = parsePeerId(id)
    if (peerId === undefined) return
    const now = this.now()
    const member: LostMember = { id: peerId, lostAt: now, attempts: 0, nextDialAt: now + this.backoff(0), revivedDialAt: -Infinity }
    this.lost.set(id, member)
    const connections = this.host.getConnections(peerId)
    if (connections.length > 0) void this.probe(member, connections)
  }

  /** Members declared dead that are still being dialled now and then. */
  get lostCount (): number {
    return this.lost.size
  }

  /** Members that left whose last addresses are still dialled now and then. */
  get departedCount (): number {
    return this.departed.size
  }

  /** One round of upkeep, every `joinRetryIntervalMs`. */
  tick (): void {
    const connected = this.connectionCount()
    if (connected === 0) this.dialJoinAddresses()
    const now = this.now()
    this.redialLost(now)
    this.redialDeparted(now)
    let missing = this.init.targetPeers - connected
    for (const candidate of this.candidates.values()) {
      if (missing <= 0) break
      if (now - candidate.failedAt < REDIAL_BACKOFF_MS || this.isConnected(candidate.id)) continue
      this.dial(candidate.id)
      missing--
    }
  }

  /**
   * A member declared dead may only have been slow, or unheard through gossip while its connection to this node
   * works: one ping tells. Without an answer, the connections it had are stale: abort them (only them: the member
   * may have dialled this node afresh meanwhile), and start the redial backoff from then.
   */
  private async probe (member: LostMember, connections: readonly Connection[]): Promise<void> {
    const key = member.id.toString()
    this.probing.add(key)
    // Stream timelines are wall-clock times.
    const probedAt = Date.now()
    let answered = false
    try {
      await this.init.ping(member.id, AbortSignal.timeout(LOST_PROBE_TIMEOUT_MS))
      answered = true
    } catch {}
    this.probing.delete(key)
    // Forgotten meanwhile (it left, or the node stopped): nothing to do.
    if (this.lost.get(key) !== member) return
    if (answered) {
      this.init.logger.debug(`${key} was declared dead but answers a ping: keeping its connection`)
      this.found(member)
      return
    }
    // A partition that heals while the ping waits brings the old connections back (TCP retransmits what it held),
    // and the member opens streams on them at once while the ping, sent into the cut, is still backing off. They
    // are aborted all the same (what either side tore down on them during the cut is not to be trusted), but the
    // link works again: the member is dialled afresh at once instead of after the backoff.
    const linkIsBack = connections.some(connection => connection.streams.some(stream => stream.direction === 'inbound' && stream.timeline.open >= probedAt))
    for (const connection of connections) connection.abort(new ServiceUnavailableError(`${key} was declared dead and did not answer a ping`))
    if (linkIsBack) {
      this.init.logger.debug(`${key} opened a stream while its ping timed out: the link is back, dialling it afresh`)
      this.dial(member.id)
    }
    member.nextDialAt = this.now() + this.backoff(0)
  }

  /**
   * Dials the lost members that are due (a few per tick), and drops those connected again or lost for longer than
   * the retention. The map is a queue: a member dialled goes to its end, so that every lost member gets its turn.
   */
  private redialLost (now: number): void {
    let dials = 0
    for (const [key, member] of this.lost) {
      if (dials === LOST_DIALS_PER_TICK) return
      if (this.probing.has(key)) continue
      if (this.isConnected(member.id)) {
        this.found(member)
        continue
      }
      if (now - member.lostAt > LOST_RETENTION_MS) {
        this.lost.delete(key)
        continue
      }
      if (member.nextDialAt > now || this.dialing.has(key)) continue
      this.lost.delete(key)
      member.attempts++
      member.nextDialAt = now + this.backoff(member.attempts)
      this.lost.set(key, member)
      this.dial(member.id)
      dials++
    }
  }

  /**
   * Dials the last addresses of the members that left and are due (a few per tick, in turns as for lost members).
   * Whoever answers there, the same member or one with a new id, is a peer whose records will tell the rest; either
   * way the address has served and is forgotten.
   */
  private redialDeparted (now: number): void {
    let dials = 0
    for (const [key, member] of this.departed) {
      if (dials === DEPARTED_DIALS_PER_TICK) return
      if (now - member.leftAt > DEPARTED_RETENTION_MS || this.isConnected(member.id)) {
        this.departed.delete(key)
        continue
      }
      // Due by the nearest tick: with a delay of about one tick, a small cluster dials every tick rather than every
      // other one, which halves the time a returning member waits.
      if (member.nextDialAt > now + this.init.joinRetryIntervalMs / 2 || this.dialing.has(key)) continue
      this.departed.delete(key)
      member.nextDialAt = now + this.departedDelay(now - member.leftAt)
      this.departed.set(key, member)
      this.dialDeparted(key, member)
      dials++
    }
  }

  private dialDeparted (key: string, member: DepartedMember): void {
    this.dialing.add(key)
    const attempt = async (): Promise<void> => {
      for (const address of member.addresses) {
        try {
          const connection = await this.host.dial(address, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
          const who = connection.remotePeer.equals(member.id) ? 'it' : `${connection.remotePeer.toString()}, a new id`
          this.init.logger.debug(`${key} left; its address ${address.toString()} answers again, as ${who}`)
          if (this.departed.get(key) === member) this.departed.delete(key)
          return
        } catch {}
      }
    }
    void attempt().finally(() => { this.dialing.delete(key) })
  }

  /**
   * Delay before the next dial of a member that left `age` ms ago: spread over the members this node knows so that
   * the cluster as a whole dials about `DEPARTED_CLUSTER_DIALS_PER_S` times a second whatever its size, growing in
   * proportion to the age after the first minute, times a factor in [0.5, 1.5) so the nodes' dials interleave.
   */
  private departedDelay (age: number): number {
    const members = this.candidates.size + 1
    const spread = Math.max(this.init.joinRetryIntervalMs, members * 1000 / DEPARTED_CLUSTER_DIALS_PER_S)
    return spread * Math.max(1, age / DEPARTED_STEADY_MS) * (0.5 + this.random())
  }

  /** A lost member connected again: a candidate like any member learned from gossip. */
  private found (member: LostMember): void {
    const key = member.id.toString()
    this.lost.delete(key)
    this.candidates.set(key, { id: member.id, failedAt: -Infinity })
  }

  /**
   * Delay before the next dial of a lost member: doubling from the minimum to the maximum, times a factor in
   * [0.5, 1.5). Without the jitter, every node declares the far side dead within a second of the others and their
   * dials go out in waves, leaving gaps of seconds in which a heal would wait for the next wave.
   */
  private backoff (attempts: number): number {
    return Math.min(LOST_REDIAL_MAX_MS, LOST_REDIAL_MIN_MS * 2 ** attempts) * (0.5 + this.random())
  }

  private dialJoinAddresses (): void {
    for (const address of this.init.join) {
      if (this.dialing.has(address)) continue
      this.dialing.add(address)
      // A join address may lack /p2p/<id>: the noise handshake tells who answered.
      this.host.dial(multiaddr(address), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        .catch((err: Error) => { this.init.logger.debug(`join address ${address} did not answer: ${err.message}`) })
        .finally(() => { this.dialing.delete(address) })
    }
  }

  /**
   * A member declared dead is in the view again: its record came back, through a member across the healed cut
   * that it reached. It is likely reachable now, so it is dialled at once rather than at its next turn, and a dial
   * of it that has waited longer than STUCK_DIAL_MS is replaced: its SYN went out across the cut, and TCP would send
   * it again only 3 s after the first. At most once per STUCK_DIAL_MS per member, whatever the records.
   */
  private redialRevived (member: LostMember): void {
    const key = member.id.toString()
    const now = this.now()
    if (this.probing.has(key) || this.isConnected(member.id) || now - member.revivedDialAt < STUCK_DIAL_MS) return
    const inFlight = this.dials.get(key)
    if (inFlight !== undefined) {
      if (now - inFlight.startedAt < STUCK_DIAL_MS) return
      inFlight.controller.abort(new ServiceUnavailableError(`${key} is back in the view: dialling it afresh`))
      this.dials.delete(key)
      this.dialing.delete(key)
    }
    member.revivedDialAt = now
    this.dial(member.id)
  }

  private dial (id: PeerId): void {
    const key = id.toString()
    if (this.dialing.has(key) || this.isConnected(id)) return
    this.dialing.add(key)
    const dial = { startedAt: this.now(), controller: new AbortController() }
    this.dials.set(key, dial)
    this.host.dial(id, { signal: AbortSignal.any([dial.controller.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]) })
      .catch(() => {
        const candidate = this.candidates.get(key)
        if (candidate !== undefined) candidate.failedAt = this.now()
      })
      .finally(() => {
        // A dial replaced by redialRevived no longer holds the member's entries.
        if (this.dials.get(key) !== dial) return
        this.dials.delete(key)
        this.dialing.delete(key)
      })
  }

  private isConnected (id: PeerId): boolean {
    return this.host.getConnections(id).length > 0
  }

  private connectionCount (): number {
    return this.host.getPeers().length
  }
}

/** A member id as a peer id; undefined for an id that is not one (a member of another transport, say). */
function parsePeerId (id: string): PeerId | undefined {
  try {
    return peerIdFromString(id)
  } catch {
    return undefined
  }
}
