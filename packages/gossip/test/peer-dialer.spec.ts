import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { isMultiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  DEPARTED_MAX_MEMBERS, DEPARTED_RETENTION_MS, LOST_DIALS_PER_TICK, LOST_REDIAL_MAX_MS, LOST_RETENTION_MS, STUCK_DIAL_MS
} from '../src/node/constants.js'
import { PeerDialer } from '../src/transport/peer-dialer.js'
import type { DialerHost } from '../src/transport/peer-dialer.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A connection reduced to what the dialer uses. */
class FakeConnection {
  aborted = false
  /** Streams as the dialer reads them: who opened each, and when (wall clock). */
  readonly streams: Array<{ direction: 'inbound' | 'outbound', timeline: { open: number } }> = []
  abort (): void { this.aborted = true }
}

/** A libp2p node reduced to what the dialer uses: dials fail unless the target is reachable. */
class FakeHost {
  readonly connections = new Map<string, FakeConnection[]>()
  readonly reachable = new Set<string>()
  readonly dials: Array<{ id: string, at: number }> = []
  /** Who answers at an address dialled without a peer id. */
  readonly listening = new Map<string, PeerId>()
  /** Peers whose dials hang until aborted, as a SYN lost across a cut leaves them. */
  readonly hanging = new Set<string>()
  /** Dials aborted by their signal. */
  aborted = 0
  constructor (readonly peerId: PeerId, private readonly clock: { now: number }) {}

  /** A new connection to `id` (dialled by either side). */
  connect (id: PeerId | string): FakeConnection {
    const connection = new FakeConnection()
    this.connections.set(id.toString(), [...this.open(id), connection])
    return connection
  }

  open (id: PeerId | string): FakeConnection[] {
    return (this.connections.get(id.toString()) ?? []).filter(connection => !connection.aborted)
  }

  asHost (): DialerHost {
    return {
      peerId: this.peerId,
      dial: (async (target: PeerId | Multiaddr, options?: { signal?: AbortSignal }) => {
        this.dials.push({ id: target.toString(), at: this.clock.now })
        if (this.hanging.has(target.toString())) {
          await new Promise((_resolve, reject) => {
            options?.signal?.addEventListener('abort', () => { this.aborted++; reject(options.signal?.reason) }, { once: true })
          })
        }
        const remotePeer = isMultiaddr(target) ? this.listening.get(target.toString()) : target
        if (remotePeer === undefined || !this.reachable.has(remotePeer.toString())) throw new Error('unreachable')
        this.connect(remotePeer)
        return { remotePeer }
      }) as unknown as DialerHost['dial'],
      getConnections: ((id: PeerId) => this.open(id)) as unknown as DialerHost['getConnections'],
      getPeers: (() => [...this.connections.keys()].filter(id => this.open(id).length > 0)) as unknown as DialerHost['getPeers']
    }
  }
}

const peers = async (count: number): Promise<PeerId[]> => await Promise.all(Array.from({ length: count }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
/** Lets the fake dials' promises settle. */
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('the peer dialer', () => {
  let clock: { now: number }
  let host: FakeHost
  let dialer: PeerDialer
  let answers: Set<string>
  /** Pings to members not in `answers` wait for this to settle them (rejecting: no answer) when set. */
  let pending: { promise: Promise<void>, fail: () => void } | undefined
  let jitter: number

  beforeEach(async () => {
    clock = { now: 0 }
    answers = new Set()
    pending = undefined
    jitter = 0.5
    const [self] = await peers(1)
    host = new FakeHost(self!, clock)
    dialer = new PeerDialer(host.asHost(), {
      join: [],
      joinRetryIntervalMs: 100,
      targetPeers: 16,
      logger: silentLogger,
      ping: async (id) => {
        if (answers.has(id.toString())) return
        await pending?.promise
        throw new Error('no answer')
      },
      now: () => clock.now,
      random: () => jitter
    })
  })

  /** Runs ticks every 100 ms up to `until`. */
  async function runUntil (until: number): Promise<void> {
    while (clock.now < until) {
      clock.now += 100
      dialer.tick()
      await settle()
    }
  }

  /** Makes pings to silent members wait until `pending.fail()`. */
  function holdPings (): void {
    let fail = (): void => {}
    const promise = new Promise<void>(resolve => { fail = resolve })
    pending = { promise, fail }
  }

  it('aborts the connections of a member declared dead that does not answer a ping, and keeps one that does', async () => {
    const [silent, slow] = await peers(2)
    const stale = host.connect(silent!)
    const working = host.connect(slow!)
    answers.add(slow!.toString())
    dialer.lose(silent!.toString())
    dialer.lose(slow!.toString())
    await settle()
    expect(stale.aborted).toBe(true)
    expect(working.aborted).toBe(false)
    // The one that answered is no longer lost: only the silent one is still to be dialled.
    expect(dialer.lostCount).toBe(1)
  })

  it('dials a member afresh at once when its ping timed out but it opened a stream meanwhile (a healed cut)', async () => {
    const [acrossTheCut] = await peers(1)
    const old = host.connect(acrossTheCut!)
    holdPings()
    dialer.lose(acrossTheCut!.toString())
    await settle()
    // The cut heals while the ping waits: the member's gossipsub opens a stream over the old connection.
    old.streams.push({ direction: 'inbound', timeline: { open: Date.now() } })
    host.reachable.add(acrossTheCut!.toString())
    pending!.fail()
    await settle()
    // The old connection goes all the same, and a fresh one replaces it at once, with no tick in between.
    expect(old.aborted).toBe(true)
    expect(host.dials.map(dial => dial.id)).toEqual([acrossTheCut!.toString()])
    expect(host.open(acrossTheCut!).length).toBe(1)
  })

  it('does not dial a member while it probes it, and spares a connection the member made meanwhile', async () => {
    const [partitioned] = await peers(1)
    const stale = host.connect(partitioned!)
    holdPings()
    dialer.lose(partitioned!.toString())
    await runUntil(3000)
    expect(host.dials).toEqual([])
    // The far side dialled this node while the ping was out; then the ping fails over the stale connection.
    const fresh = host.connect(partitioned!)
    pending!.fail()
    await settle()
    expect(stale.aborted).toBe(true)
    expect(fresh.aborted).toBe(false)
    // Connected again: no longer lost, never dialled.
    await runUntil(3100)
    expect(dialer.lostCount).toBe(0)
    expect(host.dials).toEqual([])
  })

  it('starts the redial backoff when the probe ends, not when the member was declared dead', async () => {
    const [gone] = await peers(1)
    host.connect(gone!)
    holdPings()
    dialer.lose(gone!.toString())
    await runUntil(2000)
    pending!.fail()
    await settle()
    await runUntil(4000)
    // Jitter 0.5 gives a factor of 1: the first dial comes 1 s after the probe ended at 2 s.
    expect(host.dials.map(dial => dial.at)).toEqual([3000])
  })

  it('dials a lost member again after the minimum delay, then at the maximum', async () => {
    const [gone] = await peers(1)
    dialer.lose(gone!.toString())
    await runUntil(30_000)
    const times = host.dials.map(dial => dial.at)
    // Factor 1 (jitter 0.5): 1 s, then the 2 s maximum from then on.
    expect(times.slice(0, 6)).toEqual([1000, 3000, 5000, 7000, 9000, 11_000])
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    expect(Math.max(...gaps)).toBe(LOST_REDIAL_MAX_MS)
  })

  it('spreads the dials with its jitter: the same member at half or one and a half times the delay', async () => {
    const [gone] = await peers(1)
    jitter = 0
    dialer.lose(gone!.toString())
    await runUntil(2000)
    expect(host.dials.map(dial => dial.at)).toEqual([500, 1500])
    jitter = 0.99
    await runUntil(20_000)
    const times = host.dials.map(dial => dial.at)
    expect(times.at(-1)! - times.at(-2)!).toBeGreaterThan(LOST_REDIAL_MAX_MS * 1.4)
  })

  it('dials a lost member whose record comes back at once, replacing a dial of it stuck for a second, once a second at most', async () => {
    const [revived] = await peers(1)
    const key = revived!.toString()
    dialer.lose(key)
    host.hanging.add(key)
    clock.now = 1000
    dialer.tick()
    await settle()
    expect(host.dials.map(dial => dial.at)).toEqual([1000])
    // Its record comes back half a second into the dial: that dial may still succeed, so it is left alone.
    clock.now = 1500
    dialer.consider(revived!)
    await settle()
    expect(host.dials.length).toBe(1)
    // A second into it, the dial's SYN is lost for good: a fresh dial replaces it, and the member is connected.
    host.hanging.delete(key)
    host.reachable.add(key)
    clock.now = 2000
    dialer.consider(revived!)
    await settle()
    expect(host.aborted).toBe(1)
    expect(host.dials.map(dial => dial.at)).toEqual([1000, 2000])
    expect(host.open(revived!).length).toBe(1)
    dialer.tick()
    expect(dialer.lostCount).toBe(0)
  })

  it('dials a lost member whose records keep coming but which does not answer at most once per STUCK_DIAL_MS', async () => {
    const [unreachable] = await peers(1)
    dialer.lose(unreachable!.toString())
    for (let at = 0; at < STUCK_DIAL_MS * 3; at += 100) {
      clock.now = at
      dialer.consider(unreachable!)
      await settle()
    }
    expect(host.dials.map(dial => dial.at)).toEqual([0, STUCK_DIAL_MS, 2 * STUCK_DIAL_MS])
  })

  it(`dials at most ${LOST_DIALS_PER_TICK} lost members per tick, each in turn`, async () => {
    const lost = await peers(5)
    for (const id of lost) dialer.lose(id.toString())
    clock.now = 1000
    dialer.tick()
    await settle()
    expect(host.dials.map(dial => dial.id)).toEqual(lost.slice(0, 2).map(String))
    dialer.tick()
    await settle()
    dialer.tick()
    await settle()
    expect(host.dials.map(dial => dial.id)).toEqual(lost.map(String))
  })

  it('stops dialling a member once it is connected again, that left, or that has been lost for a day', async () => {
    const [back, left, old] = await peers(3)
    for (const id of [back, left, old]) dialer.lose(id!.toString())
    // An address learned for a lost member does not make it a mere candidate again: it is dialled at once (its
    // record came back), but it stays lost until connected.
    dialer.consider(back!)
    await settle()
    expect(dialer.lostCount).toBe(3)
    dialer.forget(left!.toString())
    host.reachable.add(back!.toString())
    await runUntil(10_000)
    expect(dialer.lostCount).toBe(1)
    const dialsOf = (id: PeerId): number => host.dials.filter(dial => dial.id === id.toString()).length
    expect(dialsOf(back!)).toBe(2)
    expect(dialsOf(left!)).toBe(0)
    expect(dialsOf(old!)).toBeGreaterThan(1)
    // A day on, in steps of a minute: `old` is dialled every step until the retention ends, then never again.
    while (clock.now <= LOST_RETENTION_MS) {
      clock.now += 60_000
      dialer.tick()
      await settle()
    }
    const dialsAtRetention = dialsOf(old!)
    expect(dialsAtRetention).toBeGreaterThan(24 * 60 - 10)
    clock.now += 60_000
    dialer.tick()
    await settle()
    expect(dialer.lostCount).toBe(0)
    expect(dialsOf(old!)).toBe(dialsAtRetention)
    expect(dialsOf(back!)).toBe(2)
  })

  it('reconnects a lost member as soon as it is reachable again', async () => {
    const [partitioned] = await peers(1)
    host.connect(partitioned!)
    dialer.lose(partitioned!.toString())
    await runUntil(10_000)
    expect(host.open(partitioned!)).toEqual([])
    host.reachable.add(partitioned!.toString())
    await runUntil(10_000 + LOST_REDIAL_MAX_MS * 1.5)
    expect(host.open(partitioned!)).toHaveLength(1)
  })

  describe('a member that left', () => {
    const address = '/ip4/10.0.0.1/tcp/4001'
    const dialsOf = (target: string, from = 0, to = Infinity): number => host.dials.filter(dial => dial.id === target && dial.at > from && dial.at <= to).length

    it('is dialled at its last address, without its peer id, until someone answers there, under a new id too', async () => {
      const [seed, reborn] = await peers(2)
      dialer.forget(seed!.toString())
      dialer.remember(seed!.toString(), [multiaddr(`${address}/p2p/${seed!.toString()}`)])
      await runUntil(5000)
      // One member known (itself): every 500 ms, the cluster's two dials a second being all its own.
      expect(dialsOf(address)).toBe(10)
      expect(dialsOf(seed!.toString())).toBe(0)
      host.listening.set(address, reborn!)
      host.reachable.add(reborn!.toString())
      await runUntil(6000)
      expect(host.open(reborn!)).toHaveLength(1)
      expect(dialer.departedCount).toBe(0)
      const dials = dialsOf(address)
      await runUntil(20_000)
      expect(dialsOf(address)).toBe(dials)
    })

    it('is dialled at its last address also when it was declared dead, to find it under a new id', async () => {
      const [crashed, reborn] = await peers(2)
      dialer.lose(crashed!.toString())
      dialer.remember(crashed!.toString(), [multiaddr(address)])
      host.listening.set(address, reborn!)
      host.reachable.add(reborn!.toString())
      await runUntil(1000)
      expect(host.open(reborn!)).toHaveLength(1)
      expect(dialer.departedCount).toBe(0)
      // Still redialled by its old id, which is how it is found when it comes back with its key.
      expect(dialer.lostCount).toBe(1)
    })

    it('is dialled less often by each node the more members it knows, and less often as time passes, for ten minutes', async () => {
      const [seed, ...members] = await peers(10)
      for (const member of members) dialer.consider(member)
      dialer.remember(seed!.toString(), [multiaddr(address)])
      await runUntil(60_000)
      // Ten members known: every 5 s, so that ten nodes together dial it twice a second.
      expect(dialsOf(address)).toBe(12)
      await runUntil(9 * 60_000)
      // Eight minutes or more after it left, every 8·5 s or more.
      expect(dialsOf(address, 8 * 60_000, 9 * 60_000)).toBeLessThanOrEqual(2)
      expect(dialsOf(address, 8 * 60_000, 9 * 60_000)).toBeGreaterThanOrEqual(1)
      await runUntil(DEPARTED_RETENTION_MS + 100)
      expect(dialer.departedCount).toBe(0)
      const dials = dialsOf(address)
      await runUntil(DEPARTED_RETENTION_MS + 120_000)
      expect(dialsOf(address)).toBe(dials)
    })

    it(`is remembered among ${DEPARTED_MAX_MEMBERS} at most, and not once it is heard of again`, async () => {
      const left = await peers(DEPARTED_MAX_MEMBERS + 2)
      left.forEach((id, i) => { dialer.remember(id.toString(), [multiaddr(`/ip4/10.0.1.${i}/tcp/4001`)]) })
      expect(dialer.departedCount).toBe(DEPARTED_MAX_MEMBERS)
      // Back and gossiping: dialled by id like any member, no longer at its old address.
      dialer.consider(left.at(-1)!)
      expect(dialer.departedCount).toBe(DEPARTED_MAX_MEMBERS - 1)
      // A member known again before its addresses were looked up is not remembered.
      dialer.remember(left.at(-1)!.toString(), [multiaddr(address)])
      expect(dialer.departedCount).toBe(DEPARTED_MAX_MEMBERS - 1)
      await runUntil(2000)
      expect(dialsOf(address)).toBe(0)
      // The oldest was dropped.
      expect(dialsOf('/ip4/10.0.1.0/tcp/4001')).toBe(0)
    })
  })
})
