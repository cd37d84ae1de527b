import { createPublicKey, verify as verifyEd25519 } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { KeyObject } from 'node:crypto'
import type { PublicKey } from '@libp2p/interface'

/** Verifying keys kept, most recently used first out of the cache last: enough for every member of a large cluster. */
export const VERIFYING_KEY_CACHE_SIZE = 4096

/** Checks one signature; built once per peer. */
type Verifier = (payload: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>

/**
 * The verifying keys of peers, taken from their peer ids (Ed25519 and secp256k1 ids inline the public key; RSA
 * ids, and anything that is not a peer id, have no key to take, and nothing verifies as theirs). Each key is parsed
 * once and kept in a bounded least-recently-used cache, so that a check costs the signature arithmetic only: for
 * Ed25519, a node:crypto `KeyObject` built once, where `@libp2p/crypto` builds one from a JWK on every check.
 */
export class PeerKeys {
  /** By peer id; `null` for an id with no usable key, so that it is not parsed again. */
  private readonly cache = new Map<string, Verifier | null>()

  constructor (private readonly capacity = VERIFYING_KEY_CACHE_SIZE) {}

  /** True when `signature` over `payload` is `peer`'s; false otherwise, never throwing. */
  async verify (peer: string, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const verifier = this.verifier(peer)
    if (verifier === null) return false
    try {
      return await verifier(payload, signature)
    } catch {
      // A signature of the wrong length or encoding: simply not the peer's.
      return false
    }
  }

  /** How many peers' keys are held. */
  get size (): number {
    return this.cache.size
  }

  private verifier (peer: string): Verifier | null {
    const cached = this.cache.get(peer)
    if (cached !== undefined) {
      // Refreshed as the most recently used.
      this.cache.delete(peer)
      this.cache.set(peer, cached)
      return cached
    }
    const verifier = buildVerifier(peer)
    this.cache.set(peer, verifier)
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string)
    return verifier
  }
}

function buildVerifier (peer: string): Verifier | null {
  let publicKey: PublicKey | undefined
  try {
    publicKey = peerIdFromString(peer).publicKey
  } catch {
    return null
  }
  if (publicKey === undefined) return null
  if (publicKey.type === 'Ed25519') {
    const key: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey.raw).toString('base64url') }, format: 'jwk' })
    return (payload, signature) => verifyEd25519(null, payload, key, signature)
  }
  if (publicKey.type === 'secp256k1') {
    const key = publicKey
    return (payload, signature) => key.verify(payload, signature)
  }
  return null
}
