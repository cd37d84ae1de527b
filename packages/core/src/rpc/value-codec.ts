import { InvalidValueError } from '../errors.js'

/**
 * How RPC arguments and results become bytes. The default is JSON; a cluster may use another codec (MessagePack,
 * CBOR, protobuf) as long as every member uses the same one.
 */
export interface ValueCodec {
  /** A short name for logs and errors. */
  readonly name: string
  /** @throws when the value cannot be encoded (jsonCodec: `InvalidValueError`) */
  encode(value: unknown): Uint8Array
  /** @throws when the bytes are not a valid encoding (jsonCodec: `InvalidValueError`) */
  decode(bytes: Uint8Array): unknown
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** JSON as UTF-8. `undefined` travels as zero bytes, so handlers that return nothing cost nothing on the wire. */
export const jsonCodec: ValueCodec = {
  name: 'json',
  encode (value) {
    if (value === undefined) return new Uint8Array(0)
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (err) {
      // BigInts and cycles: JSON.stringify's own TypeError, reported as the codec's error.
      throw new InvalidValueError(`value has no JSON form: ${(err as Error).message}`)
    }
    if (text === undefined) throw new InvalidValueError(`a value of type ${typeof value} has no JSON form`)
    return encoder.encode(text)
  },
  decode (bytes) {
    if (bytes.byteLength === 0) return undefined
    try {
      return JSON.parse(decoder.decode(bytes))
    } catch (err) {
      throw new InvalidValueError(`bytes are not JSON in UTF-8: ${(err as Error).message}`)
    }
  }
}
