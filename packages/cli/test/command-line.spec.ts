import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ALGORITHMS } from '../src/algorithm.js'

/** The built command (`pnpm build`), as the package's bin runs it. */
const CLI = join(import.meta.dirname, '..', 'dist', 'main.js')

const run = (...args: string[]): { status: number | null, stderr: string, stdout: string } => {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 20_000 })
  return { status: result.status, stderr: result.stderr, stdout: result.stdout }
}

describe('command line', () => {
  it.each([
    [['node'], /--name is required/],
    [['node', '--name', 'n1', '--weight', 'heavy'], /--weight expects an integer/],
    [['node', '--name', 'n1', '--load', 'api'], /--load expects KEY=VALUE/],
    [['node', '--name', 'n1', '--heartbeat-ms', '1000'], /--heartbeat-ms was removed; use --refresh-interval-ms and --probe-interval-ms/],
    [['node', '--name', 'n1', '--suspect-after-ms', '2000'], /--suspect-after-ms was removed; use --probe-interval-ms and --probe-timeout-ms/],
    [['node', '--name', 'n1', '--dead-after-ms', '3000'], /--dead-after-ms was removed; use --suspicion-multiplier and --suspicion-max-multiplier/],
    [['node', '--name', 'n1', '--suspicion-multiplier', 'many'], /--suspicion-multiplier expects a number, got "many"/],
    [['node', '--name', 'n1', '--probe-timeout-ms', '5000'], /invalid option "probeTimeoutMs"/],
    [['node', '--name', 'n1', '--colour', 'red'], /Unknown option '--colour'/],
    [['node', '--name', 'n1', '--listen', 'nowhere'], /invalid option "listen\[0\]"/],
    [['node', '--name', 'bad name'], /invalid option "name"/],
    [['node', '--name', 'n1', '--algorithm', 'fastest'], /--algorithm expects one of powerOfTwo, random, roundRobin, leastConnections, hashRing, weightedRoundRobin, leastLatency, got "fastest"/],
    [['node', '--name', 'n1', '--algorithm', 'toString'], /--algorithm expects one of .*got "toString"/],
    [['teleport'], /unknown command "teleport"/]
  ])('exits 2 for %j with a message naming the problem', (args, message) => {
    const { status, stderr } = run(...args)
    expect(status).toBe(2)
    expect(stderr).toMatch(message)
  })

  it('prints a new cluster key in the swarm key format', () => {
    const { status, stdout } = run('cluster-key')
    expect(status).toBe(0)
    expect(stdout).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
  })

  it('lists every built-in algorithm in its help', () => {
    const { status, stdout } = run('node', '--help')
    expect(status).toBe(0)
    for (const name of Object.keys(ALGORITHMS)) expect(stdout).toContain(name)
  })
})
