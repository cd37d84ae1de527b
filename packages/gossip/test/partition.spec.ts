import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { canUseNetns, converged, NetnsLab } from '../src/testing/index.js'
import { DEAD_AFTER_MS, expectCleanExits, HEARTBEAT_MS, now, removedAt } from './support/faults.js'
import type { NodeProcess } from '../src/testing/index.js'

// The fast part of the partition tests: three hosts in network namespaces (root only; the fault suite,
// pnpm test:faults, has the longer ones and fails outright without root).
const describeWithNetns = canUseNetns() ? describe : describe.skip
if (!canUseNetns()) console.warn('partition.spec.ts skipped: network namespaces need root and iproute2')

describeWithNetns('three hosts, one cut off and let back in', () => {
  let lab: NetnsLab
  let nodes: NodeProcess[] = []

  beforeAll(async () => {
    lab = NetnsLab.create(3)
    const seed = await lab.start(1, 'n1').ready()
    nodes = [seed, lab.start(2, 'n2', ['--join', seed.address]), lab.start(3, 'n3', ['--join', seed.address])]
    await Promise.all(nodes.map(async node => await node.ready()))
    await converged(nodes)
  })

  afterAll(async () => { await lab.destroy() })

  it('splits the views within deadAfterMs of the cut and merges them within five heartbeats of healing', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess]
    const from = nodes.map(node => node.events.length)
    const cutAt = now()
    lab.isolate(3)
    await Promise.all([
      n3.until(() => n3.view.size === 0, 20_000, 'n3 alone'),
      ...[n1, n2].map(async node => await node.until(() => node.sees('n3') === undefined, 20_000, 'n3 removed'))
    ])
    // Silence is the only sign of a cut link: a member is removed deadAfterMs after it was last heard, and it was
    // last heard at most one heartbeat before the cut.
    const removals = [removedAt(n1, 'n3', from[0]!), removedAt(n2, 'n3', from[1]!), removedAt(n3, 'n1', from[2]!), removedAt(n3, 'n2', from[2]!)]
    for (const removal of removals) expect(removal! - cutAt).toBeLessThanOrEqual(DEAD_AFTER_MS + HEARTBEAT_MS)
    // The two that still see each other keep doing so.
    expect(n1.sees('n2')?.liveness).toBe('alive')

    const healedAt = Date.now()
    lab.heal()
    await converged(nodes, 30_000)
    expect(Date.now() - healedAt).toBeLessThanOrEqual(5 * HEARTBEAT_MS)
  })

  it('leaves every process running until it is asked to stop, then exits cleanly', async () => {
    await expectCleanExits(nodes)
  })
})
