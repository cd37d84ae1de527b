import { describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { DEFAULT_SHED_KNOBS } from '@meshbalancer/core'
import { parseServiceArgs, SERVICE_FLAGS, USAGE } from '../src/index.js'

/** The built command, as a user runs it. */
const MAIN = join(import.meta.dirname, '..', 'dist', 'main.js')
const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })

describe('websocket-service, the command', () => {
  it('prints its usage for --help, and exits 0', () => {
    const { status, stdout, stderr } = run(['--help'])
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' })
    expect(stdout).toBe(`${USAGE}\n`)
  })

  it('documents every flag and its default in --help and in the README', () => {
    for (const [flag, config] of Object.entries(SERVICE_FLAGS)) {
      expect(USAGE).toMatch(new RegExp(`^ {2}--${flag}\\b`, 'm'))
      expect(README).toContain(`| \`--${flag}`)
      const def = 'default' in config ? config.default : undefined
      if (typeof def === 'string') {
        expect(USAGE).toMatch(new RegExp(`^ {2}--${flag}\\b.*\\(default ${def.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\b`, 'm'))
        expect(README).toMatch(new RegExp(`^\\| \`--${flag}[^|]*\\| \`${def.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\``, 'm'))
      }
    }
  })

  it("says where its defaults differ from the library's, and the library's are those it names", () => {
    const differing = { 'round-seconds': DEFAULT_SHED_KNOBS.roundDurationSeconds, deviation: DEFAULT_SHED_KNOBS.allowedAverageDeviationPercent, 'min-shed': DEFAULT_SHED_KNOBS.minShedCount }
    for (const [flag, library] of Object.entries(differing)) {
      expect(USAGE).toMatch(new RegExp(`^ {2}--${flag}\\b.*the library's is ${library}\\)`, 'm'))
      expect(README).toMatch(new RegExp(`^\\| \`--${flag}.*\\(library: ${library}\\)`, 'm'))
    }
    expect(SERVICE_FLAGS['max-shed'].default).toBe(String(DEFAULT_SHED_KNOBS.maxShedCount))
    expect(SERVICE_FLAGS.mode.default).toBe(DEFAULT_SHED_KNOBS.mode)
  })

  it('refuses an unknown or bad flag with status 2, naming it, without a stack trace', () => {
    for (const [args, message] of [[['--name', 'a', '--bogus'], /Unknown option '--bogus'/], [['--name', 'a', '--port', 'x'], /--port expects an integer/], [[], /--name is required/], [['--name', 'a', '--tag', 'zone'], /--tag expects KEY=VALUE/]] as const) {
      const { status, stderr } = run([...args])
      expect(status).toBe(2)
      expect(stderr).toMatch(message)
      expect(stderr).toContain('usage: websocket-service')
      expect(stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('reads its flags into the service options', () => {
    const args = parseServiceArgs(['--name', 'ws1', '--agent-port', '9081', '--tag', 'zone=a', '--mode', 'exact', '--shed-percentage', '30'])
    expect(args?.service).toMatchObject({ name: 'ws1', agentPort: 9081, tags: { zone: 'a' }, port: 0, drainWithinMs: 2000, shed: { mode: 'exact', shedPercentage: 30, roundDurationSeconds: 2 } })
    expect(parseServiceArgs(['--help'])).toBeUndefined()
  })

  it('prints ready, count, stopping and stopped lines, each naming the server, as the README lists them', async () => {
    const child = spawn(process.execPath, [MAIN, '--name', 'cli-test', '--report-ms', '50', '--agent-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } })
    const events: Array<Record<string, unknown>> = []
    const exited = new Promise<number | null>(resolve => { child.once('exit', resolve) })
    const seen = async (event: string): Promise<void> => {
      const deadline = Date.now() + 30_000
      while (!events.some(line => line.event === event)) {
        if (Date.now() > deadline) throw new Error(`no ${event} line within 30 s`)
        await new Promise(resolve => setTimeout(resolve, 25))
      }
    }
    createInterface({ input: child.stdout! }).on('line', line => { events.push(JSON.parse(line) as Record<string, unknown>) })
    try {
      await seen('count')
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
    const kinds = [...new Set(events.map(line => line.event))]
    expect(kinds).toEqual(expect.arrayContaining(['ready', 'count', 'stopping', 'stopped']))
    expect(events.every(line => line.name === 'cli-test' && typeof line.t === 'number')).toBe(true)
    expect(events.find(line => line.event === 'ready')).toMatchObject({ url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/), agentPort: expect.any(Number) })
    for (const kind of ['ready', 'count', 'round', 'stopping', 'stopped']) expect(README).toContain(`- \`${kind}\`:`)
  })
})
