import { spawnSync } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { InvalidOptionError } from '@meshbalancer/core'
import { createNode } from '../src/index.js'
import { CLI } from '../src/testing/node-process.js'
import type { GossipNodeInit } from '../src/index.js'

async function optionNamedBy (init: Partial<GossipNodeInit> & Record<string, unknown>): Promise<string> {
  try {
    const node = await createNode({ name: 'n1', ...init } as GossipNodeInit)
    await node.stop()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    return (err as InvalidOptionError).option
  }
  throw new Error('expected an InvalidOptionError')
}

describe('node options', () => {
  it.each([
    [{ listen: ['not-a-multiaddr'] }, 'listen[0]'],
    [{ join: [42 as unknown as string] }, 'join[0]'],
    [{ joinRetryIntervalMs: 0 }, 'joinRetryIntervalMs'],
    [{ targetPeers: 0 }, 'targetPeers'],
    [{ targetPeers: 10, maxConnections: 5 }, 'targetPeers'],
    [{ clusterKey: 'secret' as unknown as Uint8Array }, 'clusterKey'],
    [{ clusterKey: new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nabc') }, 'clusterKey'],
    [{ keyFile: '' }, 'keyFile'],
    [{ name: '' }, 'name'],
    [{ heartbeatIntervalMs: 1000, suspectAfterMs: 900 }, 'suspectAfterMs'],
    [{ swarmKey: 'x' }, 'node.swarmKey']
  ])('rejects %j naming %s', async (init, option) => {
    expect(await optionNamedBy(init)).toBe(option)
  })
})

describe('command line', () => {
  const run = (...args: string[]): { status: number | null, stderr: string, stdout: string } => {
    const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 20_000 })
    return { status: result.status, stderr: result.stderr, stdout: result.stdout }
  }

  it.each([
    [['node'], /--name is required/],
    [['node', '--name', 'n1', '--weight', 'heavy'], /--weight expects an integer/],
    [['node', '--name', 'n1', '--load', 'api'], /--load expects KEY=VALUE/],
    [['node', '--name', 'n1', '--colour', 'red'], /Unknown option '--colour'/],
    [['node', '--name', 'n1', '--listen', 'nowhere'], /invalid option "listen\[0\]"/],
    [['node', '--name', 'bad name'], /invalid option "name"/],
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
})
