import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { multiaddrConnectionPair } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import type { Stream, StreamMuxer } from '@libp2p/interface'

// The patches of patches/README.md that change how a dependency behaves, not only what it does on error: each
// case fails on the unpatched package.

// node:crypto's exports object, which the package's default import of 'crypto' is, so that a spy sees its calls.
const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')

afterEach(() => { jest.restoreAllMocks() })

describe('@libp2p/crypto: Ed25519 KeyObjects kept', () => {
  it('builds the verifying key of a peer once, and a kept key still rejects a bad signature', async () => {
    const key = await generateKeyPair('Ed25519')
    const message = new TextEncoder().encode('a record')
    const signature = await key.sign(message)
    const built = jest.spyOn(crypto, 'createPublicKey')

    for (let i = 0; i < 3; i++) {
      // A copy of the key each time, as a message's sender brings it.
      expect(await publicKeyFromRaw(Uint8Array.from(key.publicKey.raw)).verify(message, signature)).toBe(true)
    }
    const forged = Uint8Array.from(signature)
    forged[0]! ^= 1
    expect(await key.publicKey.verify(message, forged)).toBe(false)
    expect(await key.publicKey.verify(new TextEncoder().encode('another record'), signature)).toBe(false)
    expect(built.mock.calls.filter(([input]: unknown[]) => isJwkFor(input, key.publicKey.raw))).toHaveLength(1)
  })

  it('keeps no key that verified nothing', async () => {
    const key = await generateKeyPair('Ed25519')
    const message = new TextEncoder().encode('a claim')
    const built = jest.spyOn(crypto, 'createPublicKey')
    expect(await key.publicKey.verify(message, new Uint8Array(64))).toBe(false)
    expect(await key.publicKey.verify(message, await key.sign(message))).toBe(true)
    expect(await key.publicKey.verify(message, await key.sign(message))).toBe(true)
    // Built for the bad signature and again for the first good one, then kept.
    expect(built.mock.calls.filter(([input]: unknown[]) => isJwkFor(input, key.publicKey.raw))).toHaveLength(2)
  })

  it('builds the signing key once per key', async () => {
    const key = await generateKeyPair('Ed25519')
    const built = jest.spyOn(crypto, 'createPrivateKey')
    const signatures = await Promise.all(['one', 'two', 'three'].map(async text => await key.sign(new TextEncoder().encode(text))))
    expect(built).toHaveBeenCalledTimes(1)
    expect(await key.publicKey.verify(new TextEncoder().encode('three'), signatures[2]!)).toBe(true)
  })
})

function isJwkFor (input: unknown, raw: Uint8Array): boolean {
  const jwk = (input as { key?: { x?: string } } | undefined)?.key
  return jwk?.x === Buffer.from(raw).toString('base64url')
}

describe('@libp2p/yamux: window updates at half of the window', () => {
  const WINDOW_UPDATE = 1 // yamux's frame types: 0 data, 1 window update, 2 ping, 3 go away

  /** Two yamux muxers over an in-memory connection pair; counts the window updates the receiving side writes. */
  function muxerPair (): { sender: StreamMuxer, receiver: StreamMuxer, windowUpdates: () => number } {
    const [outbound, inbound] = multiaddrConnectionPair()
    let windowUpdates = 0
    const send = inbound.send.bind(inbound)
    inbound.send = data => {
      // Each frame is sent on its own: a 12-byte header (version, type, flags, stream, length), then any data.
      if (data.subarray()[1] === WINDOW_UPDATE) windowUpdates++
      return send(data)
    }
    const muxer = yamux({ enableKeepAlive: false })()
    return { sender: muxer.createStreamMuxer(outbound), receiver: muxer.createStreamMuxer(inbound), windowUpdates: () => windowUpdates }
  }

  async function received (stream: Stream, bytes: number): Promise<void> {
    let seen = 0
    for await (const chunk of stream) {
      seen += chunk.byteLength
      if (seen >= bytes) return
    }
  }

  async function write (stream: Stream, chunk: Uint8Array, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      if (!stream.send(chunk)) await new Promise(resolve => { stream.addEventListener('drain', resolve, { once: true }) })
    }
  }

  it('answers 200 small messages with no window update beyond the stream\'s acknowledgement', async () => {
    const { sender, receiver, windowUpdates } = muxerPair()
    const incoming = new Promise<Stream>(resolve => { receiver.addEventListener('stream', event => { resolve(event.detail) }, { once: true }) })
    const stream = await sender.createStream()
    await write(stream, new Uint8Array(200), 200)
    await received(await incoming, 200 * 200)
    // The stream's acknowledgement only: 40 kB is far from half of the 256 KiB window.
    expect(windowUpdates()).toBe(1)
    await Promise.all([sender.close(), receiver.close()])
  })

  it('still moves many windows of data without stalling', async () => {
    const { sender, receiver } = muxerPair()
    const incoming = new Promise<Stream>(resolve => { receiver.addEventListener('stream', event => { resolve(event.detail) }, { once: true }) })
    const stream = await sender.createStream()
    const chunk = new Uint8Array(16 * 1024)
    const count = 1024 // 16 MiB, beyond the largest window (16 MiB) as the window grows
    await Promise.all([write(stream, chunk, count), received(await incoming, chunk.byteLength * count)])
    await Promise.all([sender.close(), receiver.close()])
  })
})
