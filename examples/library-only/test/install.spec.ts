import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

// What a user of the library gets: the built core, algorithms and gossip packages, packed as they would be
// published (pnpm rewrites workspace:* to versions), installed with npm into an empty folder from the registry.
const root = join(import.meta.dirname, '..', '..', '..')
const LIBRARY = ['core', 'algorithms', 'gossip']
/** Packages only the command line, the examples or the metrics package bring in. */
const NOT_LIBRARY = ['prom-client', '@meshbalancer/metrics', '@meshbalancer/cli', '@meshbalancer/testing', '@libp2p/prometheus-metrics']

describe('a library-only install', () => {
  let folder: string

  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'meshbalancer-install-'))
    for (const name of LIBRARY) {
      execFileSync('pnpm', ['pack', '--pack-destination', folder], { cwd: join(root, 'packages', name), stdio: 'pipe' })
    }
    const tarballs = readdirSync(folder).filter(file => file.endsWith('.tgz')).map(file => `./${file}`)
    expect(tarballs).toHaveLength(LIBRARY.length)
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'library-only', private: true, type: 'module' }))
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: folder, stdio: 'pipe', timeout: 150_000 })
    for (const script of ['two-nodes.mjs', 'node.mjs']) copyFileSync(join(import.meta.dirname, '..', script), join(folder, script))
  }, 180_000)

  afterAll(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true })
  })

  it('installs the library without prom-client or the command line\'s dependencies', () => {
    expect(existsSync(join(folder, 'node_modules', '@meshbalancer', 'gossip', 'package.json'))).toBe(true)
    expect(existsSync(join(folder, 'node_modules', 'libp2p', 'package.json'))).toBe(true)
    for (const name of NOT_LIBRARY) {
      const found = execFileSync('npm', ['ls', '--all', '--parseable', name], { cwd: folder, encoding: 'utf8' }).trim()
      expect({ name, found }).toEqual({ name, found: '' })
    }
  })

  it('runs its two-node example there', () => {
    const output = execFileSync(process.execPath, ['two-nodes.mjs'], { cwd: folder, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } })
    expect(JSON.parse(output.trim())).toEqual({ members: 2, answer: { greeting: 'hello app', node: 'seed' } })
  }, 90_000)

  it("runs the README's quick start: two processes, one calls the other, and a SIGTERM drains and leaves", async () => {
    const env = { ...process.env, NODE_OPTIONS: '' }
    const a = spawn(process.execPath, ['node.mjs', '--name', 'a', '--port', '0'], { cwd: folder, env, stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const lines = createInterface({ input: a.stdout! })
      const [first] = await once(lines, 'line') as [string]
      const address = /^a listening on (\S+)/.exec(first)?.[1]
      expect(address).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+$/)
      const output = execFileSync(process.execPath, ['node.mjs', '--name', 'b', '--join', address!], { cwd: folder, env, encoding: 'utf8', timeout: 60_000 })
      expect(output.trim().split('\n').at(-1)).toBe('hello b, from a')
      const exited = once(a, 'exit')
      const left = once(lines, 'line')
      a.kill('SIGTERM')
      expect(await left).toEqual(['a left'])
      expect(await exited).toEqual([0, null])
    } finally {
      a.kill('SIGKILL')
    }
  }, 90_000)
})
