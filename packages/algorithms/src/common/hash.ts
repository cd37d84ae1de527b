import xxhash from 'xxhash-wasm'

/**
 * The 32-bit hash of the hash ring: xxHash32 (seed 0) of the UTF-8 bytes of a string, from xxhash-wasm. It is
 * specified, portable (another implementation can place the same points, see docs/PROTOCOL.md), handles any
 * Unicode key, and costs about 100 ns for a short key.
 */
const { h32 } = await xxhash()

export function hash32 (text: string): number {
  return h32(text)
}
