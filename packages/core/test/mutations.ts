import fc from 'fast-check'

/** Random edits of valid bytes, for fuzzing decoders: one to six flips, insertions, deletions or a cut. */
export function mutated (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete', 'cut')), { minLength: 1, maxLength: 6 })
    .map(edits => {
      const bytes = [...valid]
      for (const [at, value, edit] of edits) {
        const i = at % Math.max(1, bytes.length)
        if (edit === 'flip') bytes[i] = value
        else if (edit === 'insert') bytes.splice(i, 0, value)
        else if (edit === 'delete') bytes.splice(i, 1)
        else bytes.length = i
      }
      return Uint8Array.from(bytes)
    })
}
