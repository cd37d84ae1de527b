import { describe, expect, it } from '@jest/globals'
import { decodeProbeRequest, encodeProbeResponse } from '../src/protocol.js'
import { directProbeWithin } from '../src/membership/ping.js'
import { askHelper } from '../src/membership/probe-protocol.js'
import { ManualClock } from '../src/testing/index.js'
import type { Transport } from '../src/transport/transport.js'

const TIMEOUT_MS = 500
const SLACK_MS = 150
const PROTOCOL = '/meshbalancer/default/probe/1.0.0'

/**
 * A transport, on a manual clock, whose stream to the peer takes `setupMs` to open (undefined: nothing to set up,
 * no `prepare`) and whose requests are answered after `answerMs` with `ack`. A request on a stream not open yet
 * opens it first, as over libp2p. Only what a probe uses is there.
 */
function slowPeer (clock: ManualClock, setupMs: number | undefined, answerMs: number, ack: boolean | ((request: Uint8Array) => boolean) = true): Transport {
  const after = async (ms: number, signal: AbortSignal): Promise<void> => { await new Promise<void>((resolve, reject) => {
    const timer = clock.setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clock.clearTimeout(timer); reject(signal.reason) }, { once: true })
  }) }
  let opening: Promise<void> | undefined
  const open = async (signal: AbortSignal): Promise<void> => {
    // The stream opens in its own time, whoever gave up waiting for it.
    opening ??= after(setupMs ?? 0, new AbortController().signal)
    await Promise.race([opening, new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })])
  }
  const transport: Partial<Transport> = {
    id: 'prober',
    request: async (_peer, _protocol, data, { signal }) => {
      await open(signal)
      await after(answerMs, signal)
      return encodeProbeResponse(typeof ack === 'function' ? ack(data) : ack)
    }
  }
  if (setupMs !== undefined) transport.prepare = async (_peer, _protocol, { signal }) => { await open(signal) }
  return transport as Transport
}

async function settle<T> (clock: ManualClock, pending: Promise<T>): Promise<T> {
  let done = false
  void pending.finally(() => { done = true })
  await clock.advanceUntil(() => done, 10_000)
  return await pending
}

describe('a direct probe and the stream it rides', () => {
  it('times the probe apart from opening its stream: a peer slow to negotiate but prompt to answer is alive', async () => {
    const clock = new ManualClock()
    // 400 ms to open the stream, then 300 ms to answer: 700 ms in all, over the 500 ms timeout, but each step within it.
    const result = await settle(clock, directProbeWithin(clock, slowPeer(clock, 400, 300), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))
    expect(result).toEqual({ ok: true, rttMs: 300 })
  })

  it('fails a probe whose stream does not open within the timeout, and one whose answer does not come within it', async () => {
    const clock = new ManualClock()
    expect(await settle(clock, directProbeWithin(clock, slowPeer(clock, 600, 10), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))).toEqual({ ok: false, late: false })
    expect(await settle(clock, directProbeWithin(clock, slowPeer(clock, 10, 600), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))).toEqual({ ok: false, late: false })
  })

  it('times everything against one timeout on a transport with nothing to set up', async () => {
    const clock = new ManualClock()
    expect(await settle(clock, directProbeWithin(clock, slowPeer(clock, undefined, 450), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))).toEqual({ ok: true, rttMs: 450 })
    expect(await settle(clock, directProbeWithin(clock, slowPeer(clock, undefined, 550), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))).toEqual({ ok: false, late: false })
  })

  it('fails a nack and an answer that is not a probe response', async () => {
    const clock = new ManualClock()
    expect((await settle(clock, directProbeWithin(clock, slowPeer(clock, 0, 10, false), PROTOCOL, 'target', TIMEOUT_MS, SLACK_MS))).ok).toBe(false)
  })
})

describe('an indirect probe and the helper it asks', () => {
  it("waits for a helper's nack even when the helper had to open its own stream to the target first", async () => {
    const clock = new ManualClock()
    // The helper's two steps (0.8 × 500 ms each, at most) end after 500 ms: a nack at 750 ms still counts.
    const helper = slowPeer(clock, 200, 750, request => {
      const decoded = decodeProbeRequest(request)
      return !(decoded.ok && decoded.value.target === 'target')
    })
    expect(await settle(clock, askHelper(clock, helper, PROTOCOL, 'helper', 'target', TIMEOUT_MS, SLACK_MS))).toBe('nack')
  })

  it('hears nothing from a helper that answers after both of its steps could have ended', async () => {
    const clock = new ManualClock()
    expect(await settle(clock, askHelper(clock, slowPeer(clock, 0, 950), PROTOCOL, 'helper', 'target', TIMEOUT_MS, SLACK_MS))).toBe('none')
    expect(await settle(clock, askHelper(clock, slowPeer(clock, 600, 10), PROTOCOL, 'helper', 'target', TIMEOUT_MS, SLACK_MS))).toBe('none')
  })
})
