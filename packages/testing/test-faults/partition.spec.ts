import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { converged, NetnsLab } from '../src/index.js'
import { auditPicks, cutOffRemovedMs, describeTally, expectAllSettled, expectCleanExits, HEAL_MERGE_MS, keepCalling, now, picked, removedAt, report, sleep } from '../test/support/faults.js'
import type { NodeProcess } from '../src/index.js'

/** How long each side lives without the other: long enough for TCP's retransmissions to back off for tens of seconds. */
const PARTITION_MS = 30_000

// Six hosts in network namespaces: a caller (n1) that prints every pick, and five callees. The network splits
// {n1, n2, n3} | {n4, n5, n6} while the caller keeps calling, and heals.
describe('six hosts split in two and healed', () => {
  let lab: NetnsLab | undefined
  let nodes: NodeProcess[] = []
  const sideA = (): NodeProcess[] => nodes.slice(0, 3)
  const sideB = (): NodeProcess[] => nodes.slice(3)

  beforeAll(async () => {
    const created = NetnsLab.create(6)
    lab = created
    const caller = await created.start(1, 'n1', ['--explain-picks']).ready()
    nodes = [caller, ...[2, 3, 4, 5, 6].map(i => created.start(i, `n${i}`, ['--join', caller.address, '--group', 'api', '--demo-methods']))]
    await Promise.all(nodes.map(async node => await node.ready()))
    await converged(nodes)
  })

  afterAll(async () => { await lab?.destroy() })

  it('splits the views within the failure detector\'s bound for a cut, merges them within HEAL_MERGE_MS of healing, and never picks a removed member', async () => {
    const caller = nodes[0]!
    const calling = keepCalling(caller, 'api')
    await picked(caller, ['n2', 'n3', 'n4', 'n5', 'n6'], 20_000, 0)

    const from = nodes.map(node => node.events.length)
    const cutAt = now()
    lab!.partition([1, 2, 3], [4, 5, 6])
    const split = async (side: NodeProcess[], other: NodeProcess[]): Promise<void> => {
      await Promise.all(side.map(async node => await node.until(() => other.every(o => node.sees(o.name) === undefined), 20_000, 'the other side removed')))
    }
    await Promise.all([split(sideA(), sideB()), split(sideB(), sideA())])
    const removals = nodes.flatMap((node, i) => (i < 3 ? sideB() : sideA()).map(o => removedAt(node, o.name, from[i]!)! - cutAt))
    report(`partition 3|3: the other side removed after ${Math.min(...removals).toFixed(0)}-${Math.max(...removals).toFixed(0)} ms`)
    // Each side of three confirms its own claims (see cutOffRemovedMs).
    for (const removal of removals) expect(removal).toBeLessThanOrEqual(cutOffRemovedMs(nodes.length, 3))
    // Each side still works on its own.
    await converged(sideA())
    await converged(sideB())
    await sleep(PARTITION_MS - (now() - cutAt))

    const healedAt = Date.now()
    lab!.heal()
    await converged(nodes, 60_000)
    const mergeMs = Date.now() - healedAt
    report(`partition 3|3 healed after ${PARTITION_MS / 1000} s: views merged in ${mergeMs} ms`)
    expect(mergeMs).toBeLessThanOrEqual(HEAL_MERGE_MS)
    await picked(caller, ['n4', 'n5', 'n6'], 20_000)

    const tally = await calling.stop()
    report(`partition 3|3: ${describeTally(tally)}`)
    expectAllSettled(tally)
    // n4, n5 and n6 were picked before the cut and after the heal (waited for above).
    expect(auditPicks(caller).violations).toEqual([])
  })

  // The host cut off finds itself alone more slowly than the others find it gone: every probe it makes goes
  // unanswered, helpers included, so its local health score rises with each, and it probes less often and waits
  // longer (Lifeguard), while the others confirm each other's claims (see cutOffRemovedMs).
  const aloneMs = cutOffRemovedMs(6, 1)
  const removedMs = cutOffRemovedMs(6, 5)
  it('cuts one host off and lets it back in, twice', async () => {
    for (const index of [6, 2]) {
      const lonely = nodes[index - 1]!
      const others = nodes.filter(node => node !== lonely)
      const cutAt = now()
      lab!.isolate(index)
      await Promise.all(others.map(async node => await node.until(() => node.sees(lonely.name) === undefined, removedMs, `${lonely.name} removed`)))
      await lonely.until(() => lonely.view.size === 0, aloneMs - (now() - cutAt), `${lonely.name} alone`)
      report(`${lonely.name} cut off: removed by the others, alone after ${Math.round(now() - cutAt)} ms`)
      const healedAt = Date.now()
      lab!.heal()
      await converged(nodes, 60_000)
      const mergeMs = Date.now() - healedAt
      report(`${lonely.name} cut off and healed: views merged in ${mergeMs} ms`)
      expect(mergeMs).toBeLessThanOrEqual(HEAL_MERGE_MS)
    }
  }, 2 * (cutOffRemovedMs(6, 1) + 60_000))

  it('leaves every process running until it is asked to stop, then exits cleanly', async () => {
    await expectCleanExits(nodes)
  })
})
