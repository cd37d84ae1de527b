import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { converged, NodeProcess } from '../src/node-process.js'
import { freePort } from '../src/ports.js'

/**
 * How long a restarted seed may take to be back in every view. Each of the two others dials its last address
 * every max(1 s tick, 3 members / 2 dials per s) = 1.5 s, times a random factor below 1.5: a dial that lands while
 * the new process is still starting fails, and the next can be 2.25 s later. Then the seed learns the other
 * member from the one that reached it and dials it, and each pair exchanges its states by push-pull as soon as it
 * sees the other subscribe (within 100 ms, the newcomer exchange delay, and a round trip). Typically it takes
 * 0.2–1.2 s; the bound is the worst case of that schedule with 1 s to spare for those exchanges and a busy
 * machine (it spared one heartbeat before records were exchanged on contact), not a speed figure (docs/SCALING.md).
 */
const BACK_WITHIN_MS = 2 * 2250 + 1000

// Real processes over TCP on 127.0.0.1: the first node has no join list, the others joined through it.
describe('a seed restarted with its original command line', () => {
  let nodes: NodeProcess[] = []
  let dir: string

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'meshbalancer-')) })

  afterEach(async () => {
    await Promise.all(nodes.map(async node => { await node.kill() }))
    rmSync(dir, { recursive: true, force: true })
  })

  /** Starts n1 (no --join) at a fixed port and n2, n3 joining it; stops n1 (gracefully unless `kill`) and starts it again. */
  async function restartSeed (seedArgs: string[], kill = false): Promise<{ restarted: NodeProcess, startedAt: number, oldId: string }> {
    const seed = await new NodeProcess('n1', seedArgs).ready()
    const joiners = await Promise.all(['n2', 'n3'].map(async name => await new NodeProcess(name, ['--join', seed.address]).ready()))
    nodes = [seed, ...joiners]
    await converged(nodes)
    const leaves = joiners.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.name === 'n1', 10_000))
    if (kill) await seed.kill()
    else expect(await seed.terminate()).toBe(0)
    await Promise.all(leaves)
    const restarted = new NodeProcess('n1', seedArgs)
    nodes = [restarted, ...joiners]
    await restarted.ready()
    // From the moment it listens (its process takes about a second to get there on a busy machine).
    const startedAt = restarted.events.find(e => e.event === 'node:ready')!.t
    return { restarted, startedAt, oldId: seed.id }
  }

  it('is back in every view soon after its start, with its key file', async () => {
    const args = ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--key-file', join(dir, 'n1.key')]
    const { restarted, startedAt, oldId } = await restartSeed(args)
    expect(restarted.id).toBe(oldId)
    await converged(nodes, BACK_WITHIN_MS - (Date.now() - startedAt))
    expect(Date.now() - startedAt).toBeLessThan(BACK_WITHIN_MS)
  })

  it('is back in every view soon after its start under a new peer id, without a key file', async () => {
    const args = ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]
    const { restarted, startedAt, oldId } = await restartSeed(args)
    expect(restarted.id).not.toBe(oldId)
    await converged(nodes, BACK_WITHIN_MS - (Date.now() - startedAt))
    expect(Date.now() - startedAt).toBeLessThan(BACK_WITHIN_MS)
    for (const node of nodes.slice(1)) expect(node.sees('n1')?.id).toBe(restarted.id)
  })

  it('is back in every view soon after its start under a new peer id after a crash (SIGKILL)', async () => {
    const args = ['--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`]
    const { restarted, startedAt, oldId } = await restartSeed(args, true)
    expect(restarted.id).not.toBe(oldId)
    await converged(nodes, BACK_WITHIN_MS - (Date.now() - startedAt))
    expect(Date.now() - startedAt).toBeLessThan(BACK_WITHIN_MS)
  })
})
