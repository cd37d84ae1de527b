import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from '@jest/globals'
import { PeerKeys } from '../src/transport/peer-keys.js'

const payload = new TextEncoder().encode('meshbalancer-record and a record')

describe('verifying keys taken from peer ids', () => {
  it.each(['Ed25519', 'secp256k1'] as const)('verifies %s signatures with the key inlined in the peer id', async type => {
    const key = await generateKeyPair(type)
    const peer = peerIdFromPrivateKey(key).toString()
    const signature = await key.sign(payload)
    const keys = new PeerKeys()
    await expect(keys.verify(peer, payload, signature)).resolves.toBe(true)
    await expect(keys.verify(peer, payload.subarray(1), signature)).resolves.toBe(false)
    const other = await generateKeyPair(type)
    await expect(keys.verify(peerIdFromPrivateKey(other).toString(), payload, signature)).resolves.toBe(false)
    await expect(keys.verify(peer, payload, signature.subarray(0, 10))).resolves.toBe(false)
  })

  it('verifies nothing as an RSA peer’s, whose id does not carry its key, nor as a string that is no peer id', async () => {
    const key = await generateKeyPair('RSA', 1024)
    const peer = peerIdFromPrivateKey(key).toString()
    const keys = new PeerKeys()
    await expect(keys.verify(peer, payload, await key.sign(payload))).resolves.toBe(false)
    await expect(keys.verify('not a peer id', payload, new Uint8Array(64))).resolves.toBe(false)
  })

  it('keeps at most its capacity of keys, the most recently used', async () => {
    const keys = new PeerKeys(3)
    const pairs = await Promise.all(Array.from({ length: 5 }, async () => await generateKeyPair('Ed25519')))
    const signed = await Promise.all(pairs.map(async key => ({ peer: peerIdFromPrivateKey(key).toString(), signature: await key.sign(payload) })))
    for (const { peer, signature } of signed) await expect(keys.verify(peer, payload, signature)).resolves.toBe(true)
    expect(keys.size).toBe(3)
    // A key dropped from the cache is parsed again when needed: answers do not depend on the cache.
    await expect(keys.verify(signed[0]!.peer, payload, signed[0]!.signature)).resolves.toBe(true)
    expect(keys.size).toBe(3)
  })
})
