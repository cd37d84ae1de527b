import { readFile } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'
import { InvalidOptionError } from '@meshbalancer/core'

const SWARM_KEY = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-fA-F]{64}\s*$/

/** A new private-network key in the swarm key format, to write to a file shared by every member. */
export function generateClusterKey (): Uint8Array {
  const key = new Uint8Array(95)
  generateKey(key)
  return key
}

/** Reads and checks a swarm key file. */
export async function readClusterKey (file: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    throw new InvalidOptionError('clusterKey', `cannot read ${file}: ${(err as Error).message}`)
  }
  return assertClusterKey(bytes, file)
}

/** Throws an error naming `clusterKey` unless `key` holds a swarm key. */
export function assertClusterKey (key: unknown, source = 'the key'): Uint8Array {
  if (!(key instanceof Uint8Array) || !SWARM_KEY.test(new TextDecoder().decode(key))) {
    throw new InvalidOptionError('clusterKey', `${source} is not a swarm key (/key/swarm/psk/1.0.0/, /base16/, 64 hex digits)`)
  }
  return key
}
