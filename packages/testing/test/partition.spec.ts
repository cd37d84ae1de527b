import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { canUseNetns, converged, NetnsLab } from '../src/index.js'
import { cutOffRemovedMs, expectCleanExits, HEAL_MERGE_MS, now, removedAt } from './support/faults.js'
import type { NodeProcess } from '../src/index.js'

// The fast part of the partition tests: three hosts in network namespaces (root only; the fault suite,
// pnpm test:faults, has the longer ones and fails outright without root).
const describeWithNetns = canUseNetns() ? describe : describe.skip
if (!canUseNetns()) console.warn('partition.spec.ts skipped: network namespaces need root and iproute2')

describeWithNetns('three hosts, one cut off and let back in', () => {
  let lab: NetnsLab | undefined
  let nodes: NodeProcess[] = []

  beforeAll(async () => {
    const created = NetnsLab.create(3)
    lab = created
    const seed = await created.start(1, 'n1').ready()
    nodes = [seed, created.start(2, 'n2', ['--join', seed.address]), created.start(3, 'n3', ['--join', seed.address])]
    await Promise.all(nodes.map(async node => await node.ready()))
    await converged(nodes)
  })

  afterAll(async () => { await lab?.destroy() })

  it('splits the views within the failure detector\'s bound for a cut and merges them within HEAL_MERGE_MS of healing', async () => {
    // The seed is cut off: it has no join address to fall back on, so only redialling members it declared dead
    // brings it back, while n2 and n3 keep each other.
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess]
    const from = nodes.map(node => node.events.length)
    const cutAt = now()
    lab!.isolate(1)
    await Promise.all([
      n1.until(() => n1.view.size === 0, 20_000, 'n1 alone'),
      ...[n2, n3].map(async node => await node.until(() => node.sees('n1') === undefined, 20_000, 'n1 removed'))
    ])
    // No connection closes on a cut link: each side finds the other by its probes, n2 and n3 confirming each
    // other's claims, n1 alone with none (see cutOffRemovedMs).
    for (const removal of [removedAt(n2, 'n1', from[1]!), removedAt(n3, 'n1', from[2]!)]) expect(removal! - cutAt).toBeLessThanOrEqual(cutOffRemovedMs(3, 2))
    for (const removal of [removedAt(n1, 'n2', from[0]!), removedAt(n1, 'n3', from[0]!)]) expect(removal! - cutAt).toBeLessThanOrEqual(cutOffRemovedMs(3, 1))
    expect(n2.sees('n3')?.liveness).toBe('alive')

    const healedAt = Date.now()
    lab!.heal()
    await converged(nodes, 30_000)
    expect(Date.now() - healedAt).toBeLessThanOrEqual(HEAL_MERGE_MS)
  })

  it('leaves every process running until it is asked to stop, then exits cleanly', async () => {
    await expectCleanExits(nodes)
  })
})
