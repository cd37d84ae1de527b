import { afterAll, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { createNode } from '../src/index.js'
import type { Cluster } from '@meshbalancer/core'

async function until (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

// gossipsub's default scoring prunes every peer of an address once more than ten share it; members of a cluster
// share addresses routinely (every test here runs on 127.0.0.1), so the node must not.
describe('many members on one address', () => {
  const nodes: Cluster[] = []

  afterAll(async () => {
    for (const node of nodes) await node.stop()
  })

  it('keeps seeing newcomers after more than ten members share 127.0.0.1', async () => {
    nodes.push(await createNode({ name: 'seed', logger: silentLogger }))
    const join = [nodes[0]!.self().addresses[0]!]
    for (let i = 1; i < 12; i++) nodes.push(await createNode({ name: `member-${i}`, join, logger: silentLogger }))
    await until(() => nodes.every(node => node.members().length === 12), 20_000, 'twelve members seeing each other')
    for (let round = 0; round < 3; round++) {
      const newcomer = await createNode({ name: `newcomer-${round}`, join, logger: silentLogger })
      await until(() => nodes.every(node => node.member(newcomer.id) !== undefined) && newcomer.members().length === 13, 10_000, `newcomer ${round} joining`)
      await newcomer.stop()
      await until(() => nodes.every(node => node.member(newcomer.id) === undefined), 10_000, `newcomer ${round} leaving`)
    }
    expect(nodes.every(node => node.members().length === 12)).toBe(true)
  })
})
