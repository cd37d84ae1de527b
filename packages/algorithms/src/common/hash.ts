import fnv from 'fnv-plus'

/**
 * The 32-bit hash of the hash ring: FNV-1a (32 bits) of the string's UTF-8 bytes, from fnv-plus, followed by
 * MurmurHash3's 32-bit finaliser. FNV-1a alone spreads short, similar strings (a member's point names differ in
 * their last digits) unevenly over the ring; the finaliser's multiply-xorshift avalanche fixes that for a few
 * nanoseconds. Both steps are specified and portable, so another implementation places the same points
 * (docs/PROTOCOL.md). About 30 ns for a short key; xxHash32 through WebAssembly costs about 75.
 */
export function hash32 (text: string): number {
  let h = fnv.fast1a32utf(text)
  h ^= h >>> 16
  h = Math.imul(h, 0x85eb_ca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2_ae35)
  h ^= h >>> 16
  return h >>> 0
}
