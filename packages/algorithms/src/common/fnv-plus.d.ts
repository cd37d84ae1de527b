// fnv-plus ships no types; this declares the one function used.
declare module 'fnv-plus' {
  const fnv: {
    /** FNV-1a, 32 bits, of the string's UTF-8 bytes. */
    fast1a32utf(text: string): number
  }
  export default fnv
}
