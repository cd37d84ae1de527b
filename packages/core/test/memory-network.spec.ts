import { describe, expect, it } from '@jest/globals'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import { seededRandom } from '../src/index.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Settles `promise` into what it resolved with or the code it rejected with, without unhandled rejections. */
function outcome<T> (promise: Promise<T>): { value: () => T | string | undefined } {
  let settled: T | string | undefined
  promise.then(v => { settled = v }, (err: { code?: string, message?: string }) => { settled = err.code ?? err.message })
  return { value: () => settled }
}

describe('memory network: paused and lossy peers', () => {
  it('holds what a paused peer would read or send until it resumes, then delivers it in order', async () => {
    const clock = new ManualClock(0)
    const network = new MemoryNetwork({ clock, delayMs: 1 })
    const [a, b] = [network.createTransport('a'), network.createTransport('b')]
    await a.start(); await b.start()
    const atB: string[] = []
    const atA: string[] = []
    b.subscribe('t', { validate: () => 'accept', deliver: m => { atB.push(new TextDecoder().decode(m.data)) } })
    a.subscribe('t', { validate: () => 'accept', deliver: m => { atA.push(new TextDecoder().decode(m.data)) } })
    b.handleRequests('/echo', async data => data)
    network.pause('b')
    await a.publish('t', bytes('one'))
    await a.publish('t', bytes('two'))
    await b.publish('t', bytes('from b'))
    const ping = outcome(a.ping('b', { signal: AbortSignal.timeout(60_000) }))
    const request = outcome(a.request('b', '/echo', bytes('hi'), { signal: AbortSignal.timeout(60_000), expectResponse: true }))
    await clock.advance(1000)
    expect([atB, atA, ping.value(), request.value()]).toEqual([[], [], undefined, undefined])
    expect(a.connectedPeers()).toEqual(['b'])
    network.resume('b')
    await clock.advance(5)
    expect(atB).toEqual(['one', 'two'])
    expect(atA).toEqual(['from b'])
    expect(ping.value()).toBe(1001)
    expect(new TextDecoder().decode(request.value() as Uint8Array)).toBe('hi')
  })

  it('loses messages, requests and pings of a lossy peer at its rate, and nothing of the others', async () => {
    const clock = new ManualClock(0)
    const network = new MemoryNetwork({ clock, delayMs: 1, random: seededRandom(5) })
    const [a, b, c] = [network.createTransport('a'), network.createTransport('b'), network.createTransport('c')]
    for (const t of [a, b, c]) await t.start()
    network.setPeerLoss('b', 0.5)
    const pings = (to: string): Array<{ value: () => unknown }> => Array.from({ length: 200 }, () => {
      const controller = new AbortController()
      clock.setTimeout(() => { controller.abort(new Error('lost')) }, 100)
      return outcome(a.ping(to, { signal: controller.signal }))
    })
    const toB = pings('b')
    const toC = pings('c')
    await clock.advance(200)
    const lost = (results: Array<{ value: () => unknown }>): number => results.filter(r => r.value() === 'lost').length
    expect(lost(toB)).toBeGreaterThan(70)
    expect(lost(toB)).toBeLessThan(130)
    expect(lost(toC)).toBe(0)
    network.setPeerLoss('b', 0)
    const after = pings('b')
    await clock.advance(200)
    expect(lost(after)).toBe(0)
    expect(() => { network.setPeerLoss('b', 2) }).toThrow(/"loss"/)
  })

  it('records the penalties a transport is asked for', async () => {
    const network = new MemoryNetwork()
    const a = network.createTransport('a')
    a.penalize('b', 'false-claims')
    expect(a.penalties).toEqual([{ peer: 'b', reason: 'false-claims' }])
  })
})
