import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { InvalidOptionError } from '@meshbalancer/core'
import type { PrivateKey } from '@libp2p/interface'

/** A node's identity: its key (hence its peer id) and the incarnation of this start. */
export interface Identity {
  readonly privateKey: PrivateKey
  readonly incarnation: number
}

/**
 * Loads the key in `keyFile`, or creates it (Ed25519, mode 0600) when missing; without a file, makes an ephemeral
 * key. The incarnation is the current time in milliseconds, raised above the previous start's (kept in
 * `<keyFile>.incarnation`) when the clock went backwards, so peers always take a restart for a newer record.
 */
export async function loadIdentity (keyFile: string | undefined): Promise<Identity> {
  if (keyFile === undefined) {
    return { privateKey: await generateKeyPair('Ed25519'), incarnation: Date.now() }
  }
  const privateKey = await loadOrCreateKey(keyFile)
  const stateFile = `${keyFile}.incarnation`
  const previous = Number.parseInt(await readFile(stateFile, 'utf8').catch(() => '0'), 10)
  const incarnation = Math.max(Date.now(), (Number.isSafeInteger(previous) ? previous : 0) + 1)
  await writeAtomically(stateFile, `${incarnation}\n`)
  return { privateKey, incarnation }
}

async function loadOrCreateKey (keyFile: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(keyFile)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidOptionError('keyFile', `cannot read ${keyFile}: ${(err as Error).message}`)
    }
    const key = await generateKeyPair('Ed25519')
    await mkdir(dirname(keyFile), { recursive: true })
    await writeAtomically(keyFile, privateKeyToProtobuf(key))
    await chmod(keyFile, 0o600)
    return key
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidOptionError('keyFile', `${keyFile} does not hold a libp2p private key: ${(err as Error).message}`)
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves a half-written key. */
async function writeAtomically (file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`
  await writeFile(temporary, data, { mode: 0o600 })
  await rename(temporary, file)
}
