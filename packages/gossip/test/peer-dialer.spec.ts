import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { LOST_DIALS_PER_TICK, LOST_REDIAL_MAX_MS, LOST_RETENTION_MS } from '../src/node/constants.js'
import { PeerDialer } from '../src/transport/peer-dialer.js'
import type { DialerHost } from '../src/transport/peer-dialer.js'
import type { PeerId } from '@libp2p/interface'

/** A libp2p node reduced to what the dialer uses: dials fail unless the target is reachable. */
class FakeHost {
  readonly connected = new Set<string>()
  readonly reachable = new Set<string>()
  readonly dials: Array<{ id: string, at: number }> = []
  readonly hangUps: string[] = []
  hangingUpSeen = false
  constructor (readonly peerId: PeerId, private readonly clock: { now: number }, private readonly dialer: () => PeerDialer) {}

  asHost (): DialerHost {
    return {
      peerId: this.peerId,
      dial: (async (target: PeerId) => {
        const id = target.toString()
        this.dials.push({ id, at: this.clock.now })
        if (!this.reachable.has(id)) throw new Error('unreachable')
        this.connected.add(id)
      }) as unknown as DialerHost['dial'],
      getConnections: ((id: PeerId) => (this.connected.has(id.toString()) ? [{}] : [])) as unknown as DialerHost['getConnections'],
      getPeers: (() => [...this.connected]) as unknown as DialerHost['getPeers'],
      hangUp: async (id) => {
        this.hangingUpSeen ||= this.dialer().isHangingUp(id.toString())
        this.hangUps.push(id.toString())
        this.connected.delete(id.toString())
      }
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
  let jitter: number

  beforeEach(async () => {
    clock = { now: 0 }
    answers = new Set()
    jitter = 0.5
    const [self] = await peers(1)
    host = new FakeHost(self!, clock, () => dialer)
    dialer = new PeerDialer(host.asHost(), {
      join: [],
      joinRetryIntervalMs: 100,
      targetPeers: 16,
      logger: silentLogger,
      ping: async (id) => { if (!answers.has(id.toString())) throw new Error('no answer') },
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

  it('hangs up on a member declared dead that does not answer a ping, and keeps one that does', async () => {
    const [silent, slow] = await peers(2)
    host.connected.add(silent!.toString())
    host.connected.add(slow!.toString())
    answers.add(slow!.toString())
    dialer.lose(silent!.toString())
    dialer.lose(slow!.toString())
    await settle()
    expect(host.hangUps).toEqual([silent!.toString()])
    // Its own hang-up is flagged while it happens, so that the transport does not report it as news.
    expect(host.hangingUpSeen).toBe(true)
    expect(dialer.isHangingUp(silent!.toString())).toBe(false)
  })

  it('dials a lost member again with a doubling backoff up to the maximum', async () => {
    const [gone] = await peers(1)
    dialer.lose(gone!.toString())
    await runUntil(30_000)
    const times = host.dials.map(dial => dial.at)
    // Factor 1 (jitter 0.5): 1 s, then 2, 4, and the 5 s maximum from then on.
    expect(times.slice(0, 6)).toEqual([1000, 3000, 7000, 12_000, 17_000, 22_000])
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

  it('stops dialling a member that is heard from again, that left, or that has been lost for a day', async () => {
    const [back, left, old] = await peers(3)
    for (const id of [back, left, old]) dialer.lose(id!.toString())
    host.reachable.add(back!.toString())
    dialer.consider(back!)
    dialer.forget(left!.toString())
    expect(dialer.lostCount).toBe(1)
    clock.now = LOST_RETENTION_MS + 1
    dialer.tick()
    expect(dialer.lostCount).toBe(0)
    await settle()
    expect(host.dials.map(dial => dial.id)).toEqual([back!.toString()])
  })

  it('reconnects a lost member as soon as it is reachable again', async () => {
    const [partitioned] = await peers(1)
    host.connected.add(partitioned!.toString())
    dialer.lose(partitioned!.toString())
    await runUntil(10_000)
    expect(host.connected.has(partitioned!.toString())).toBe(false)
    host.reachable.add(partitioned!.toString())
    await runUntil(10_000 + LOST_REDIAL_MAX_MS * 1.5)
    expect(host.connected.has(partitioned!.toString())).toBe(true)
  })
})
