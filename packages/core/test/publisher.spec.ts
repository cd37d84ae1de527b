import { describe, expect, it } from '@jest/globals'
import { seededRandom } from '../src/index.js'
import { ManualClock } from '../src/testing/index.js'
import { Publisher, REFRESH_JITTER, REFRESH_SCALE_PEERS } from '../src/cluster/publisher.js'
import type { PublishReason } from '../src/cluster/publisher.js'

interface Harness {
  clock: ManualClock
  publisher: Publisher
  published: Array<{ at: number, reason: PublishReason }>
  setPeers(n: number): void
}

function harness (init: { minIntervalMs?: number, refreshIntervalMs?: number, loadRecordsPerSecond?: number, peers?: number } = {}): Harness {
  const clock = new ManualClock(0)
  let peers = init.peers ?? 9
  const published: Array<{ at: number, reason: PublishReason }> = []
  const publisher = new Publisher({
    clock,
    random: seededRandom(3),
    minIntervalMs: init.minIntervalMs ?? 100,
    refreshIntervalMs: init.refreshIntervalMs ?? 30_000,
    loadRecordsPerSecond: init.loadRecordsPerSecond ?? 50,
    peers: () => peers,
    publish: reason => { published.push({ at: clock.now(), reason }) }
  })
  return { clock, publisher, published, setPeers: n => { peers = n } }
}

describe('the record publisher', () => {
  it('publishes a change at once, and changes within minPublishIntervalMs together at its end', async () => {
    const { clock, publisher, published } = harness()
    publisher.start()
    await clock.advance(500)
    publisher.changed()
    publisher.changed()
    await clock.advance(0)
    expect(published.map(p => p.reason)).toEqual(['start', 'change'])
    await clock.advance(10)
    publisher.changed()
    publisher.changed()
    await clock.advance(50)
    expect(published).toHaveLength(2)
    await clock.advance(50)
    expect(published.map(p => [p.at, p.reason])).toEqual([[0, 'start'], [500, 'change'], [600, 'change']])
    publisher.stop()
  })

  it('publishes nothing when idle but a refresh every refreshIntervalMs, jittered', async () => {
    const { clock, publisher, published } = harness({ refreshIntervalMs: 1000, peers: 4 })
    publisher.start()
    await clock.advance(20_000)
    const gaps = published.slice(1).map((p, i) => p.at - published[i]!.at)
    expect(published.slice(1).every(p => p.reason === 'refresh')).toBe(true)
    expect(gaps.length).toBeGreaterThanOrEqual(15)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 * (1 - REFRESH_JITTER))
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1000 * (1 + REFRESH_JITTER))
    // Jittered: not all equal.
    expect(new Set(gaps).size).toBeGreaterThan(1)
    publisher.stop()
  })

  it('stretches the refresh beyond 4 peers, so that each member receives as many refreshes as at 5 members', async () => {
    expect(REFRESH_SCALE_PEERS).toBe(4)
    const { publisher, setPeers } = harness({ refreshIntervalMs: 30_000 })
    setPeers(1)
    expect(publisher.refreshInterval()).toBe(30_000)
    setPeers(REFRESH_SCALE_PEERS)
    expect(publisher.refreshInterval()).toBe(30_000)
    // 10, 20 and 1,000 members.
    setPeers(9)
    expect(publisher.refreshInterval()).toBe(67_500)
    setPeers(19)
    expect(publisher.refreshInterval()).toBe(142_500)
    setPeers(999)
    expect(publisher.refreshInterval()).toBe(7_492_500)
    // Refreshes received per member per second: peers / interval, the same at 20 and 1,000 members as at 5.
    for (const peers of [19, 999]) {
      setPeers(peers)
      expect(peers / publisher.refreshInterval()).toBeCloseTo(REFRESH_SCALE_PEERS / 30_000)
    }
  })

  it('refreshes at the stretched interval, jittered, in a cluster of 20', async () => {
    const { clock, publisher, published } = harness({ refreshIntervalMs: 1000, peers: 19 })
    publisher.start()
    await clock.advance(100_000)
    const gaps = published.slice(1).map((p, i) => p.at - published[i]!.at)
    expect(published.slice(1).every(p => p.reason === 'refresh')).toBe(true)
    expect(gaps.length).toBeGreaterThanOrEqual(Math.floor(100_000 / (4750 * (1 + REFRESH_JITTER))))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(4750 * (1 - REFRESH_JITTER))
    expect(Math.max(...gaps)).toBeLessThanOrEqual(4750 * (1 + REFRESH_JITTER))
    publisher.stop()
  })

  it('holds load-only records to loadRecordsPerSecond / (n − 1), carrying the latest load each time', async () => {
    // 9 peers: 50 / 9 ≈ 5.6 load records a second, whatever asks for more.
    const { clock, publisher, published } = harness({ minIntervalMs: 10, peers: 9 })
    publisher.start()
    await clock.advance(1000)
    const before = published.length
    for (let t = 0; t < 10_000; t += 5) {
      publisher.loadChanged()
      await clock.advance(5)
    }
    const loads = published.slice(before).filter(p => p.reason === 'load')
    expect(published.slice(before).every(p => p.reason === 'load')).toBe(true)
    // The share over 10 s plus the bucket's one second of burst.
    expect(loads.length).toBeGreaterThanOrEqual(Math.floor(10 * 50 / 9))
    expect(loads.length).toBeLessThanOrEqual(Math.ceil(11 * 50 / 9))
    publisher.stop()
  })

  it('lets a change of content through at once while a load publish waits for the budget, without spending a token', async () => {
    const { clock, publisher, published } = harness({ minIntervalMs: 10, peers: 99, loadRecordsPerSecond: 10 })
    // 99 peers at 10 a second: one load record every 9.9 s.
    publisher.start()
    await clock.advance(20_000)
    publisher.loadChanged()
    await clock.advance(0)
    expect(published.at(-1)?.reason).toBe('load')
    publisher.loadChanged()
    await clock.advance(1000)
    expect(published.at(-1)?.reason).toBe('load')
    const waiting = published.length
    publisher.changed()
    await clock.advance(20)
    expect(published.length).toBe(waiting + 1)
    expect(published.at(-1)?.reason).toBe('change')
    // The change carried the load: nothing more is due until asked again.
    await clock.advance(20_000)
    expect(published.slice(waiting + 1).every(p => p.reason === 'refresh')).toBe(true)
    publisher.stop()
  })

  it('flushes at once, whatever the interval and the budget', async () => {
    const { clock, publisher, published } = harness({ minIntervalMs: 1000 })
    publisher.start()
    publisher.changed()
    publisher.flush()
    expect(published.map(p => p.reason)).toEqual(['start', 'flush'])
    await clock.advance(2000)
    // The coalesced change was carried by the flush.
    expect(published.map(p => p.reason)).toEqual(['start', 'flush'])
    publisher.stop()
  })
})
