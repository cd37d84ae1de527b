import { afterAll, describe, expect, it } from '@jest/globals'
import { silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { createNode } from '../src/index.js'
import type { Cluster } from '@meshbalancer/core'

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
    await until(() => nodes.every(node => node.members().length === 12), 'twelve members seeing each other', 20_000)
    for (let round = 0; round < 3; round++) {
      const newcomer = await createNode({ name: `newcomer-${round}`, join, logger: silentLogger })
      await until(() => nodes.every(node => node.member(newcomer.id) !== undefined) && newcomer.members().length === 13, `newcomer ${round} joining`, 10_000)
      await newcomer.stop()
      await until(() => nodes.every(node => node.member(newcomer.id) === undefined), `newcomer ${round} leaving`, 10_000)
    }
    expect(nodes.every(node => node.members().length === 12)).toBe(true)
  })
})
