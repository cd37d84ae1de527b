import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidOptionError } from '@meshbalancer/core'
import { loadIdentity } from '../src/index.js'

describe('identity', () => {
  let dir: string

  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'meshbalancer-identity-')) })
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('creates a key file readable by its owner only, and keeps the peer id across loads', async () => {
    const file = join(dir, 'nested', 'node.key')
    const first = await loadIdentity(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const second = await loadIdentity(file)
    expect(peerIdFromPrivateKey(second.privateKey).toString()).toBe(peerIdFromPrivateKey(first.privateKey).toString())
  })

  it('gives every load a greater incarnation, even when the clock went backwards', async () => {
    const file = join(dir, 'clock.key')
    const first = await loadIdentity(file)
    // As if the previous start had run with a clock an hour ahead.
    writeFileSync(`${file}.incarnation`, `${first.incarnation + 3_600_000}\n`)
    const second = await loadIdentity(file)
    expect(second.incarnation).toBe(first.incarnation + 3_600_001)
    expect((await loadIdentity(file)).incarnation).toBeGreaterThan(second.incarnation)
  })

  it('makes an ephemeral identity without a key file', async () => {
    const a = await loadIdentity(undefined)
    const b = await loadIdentity(undefined)
    expect(peerIdFromPrivateKey(a.privateKey).equals(peerIdFromPrivateKey(b.privateKey))).toBe(false)
  })

  it('refuses a key file that holds no key, naming the option', async () => {
    const file = join(dir, 'garbage.key')
    writeFileSync(file, 'not a key')
    await expect(loadIdentity(file)).rejects.toMatchObject({ option: 'keyFile' })
    await expect(loadIdentity(file)).rejects.toBeInstanceOf(InvalidOptionError)
  })
})
