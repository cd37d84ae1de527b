import { bytes } from './harness.js'
import type { SuiteContext } from './context.js'

/** Signatures: what one peer signs verifies as its own at every other peer, and as nothing else. */
export function signingTests (context: SuiteContext): void {
  const { expect, it } = context.jest
  it('verifies what a peer signs as that peer’s, at every other peer and at itself', async () => {
    const { transports } = await context.peers(3)
    const [signer] = transports as [typeof transports[0]]
    const payload = bytes('a record to sign')
    const signature = await signer.sign(payload)
    expect(signature.byteLength).toBeGreaterThan(0)
    for (const verifier of transports) {
      await expect(verifier.verify(signer.id, payload, signature)).resolves.toBe(true)
      // Again: a second check (with the key now cached, where a transport caches it) gives the same answer.
      await expect(verifier.verify(signer.id, payload, signature)).resolves.toBe(true)
    }
  })

  it('refuses a signature as another peer’s, over other bytes, or altered', async () => {
    const { transports } = await context.peers(3)
    const [signer, verifier, other] = transports as [typeof transports[0], typeof transports[0], typeof transports[0]]
    const payload = bytes('signed by the first peer')
    const signature = await signer.sign(payload)
    await expect(verifier.verify(other.id, payload, signature)).resolves.toBe(false)
    await expect(verifier.verify(signer.id, bytes('signed by the first peer!'), signature)).resolves.toBe(false)
    const altered = Uint8Array.from(signature)
    altered[0] = (altered[0] ?? 0) ^ 0xff
    await expect(verifier.verify(signer.id, payload, altered)).resolves.toBe(false)
    await expect(verifier.verify(signer.id, payload, signature.subarray(1))).resolves.toBe(false)
    // The other peer's own signature of the same bytes is its own, not the signer's.
    const theirs = await other.sign(payload)
    await expect(verifier.verify(signer.id, payload, theirs)).resolves.toBe(false)
    await expect(verifier.verify(other.id, payload, theirs)).resolves.toBe(true)
  })

  it('answers false, without rejecting, for a peer it cannot know and for garbage', async () => {
    const { transports } = await context.peers(2)
    const [signer, verifier] = transports as [typeof transports[0], typeof transports[0]]
    const payload = bytes('anything')
    const signature = await signer.sign(payload)
    await expect(verifier.verify('not-a-peer-id', payload, signature)).resolves.toBe(false)
    await expect(verifier.verify('', payload, signature)).resolves.toBe(false)
    await expect(verifier.verify(signer.id, payload, new Uint8Array())).resolves.toBe(false)
    await expect(verifier.verify(signer.id, payload, new Uint8Array(4096).fill(7))).resolves.toBe(false)
  })
}
