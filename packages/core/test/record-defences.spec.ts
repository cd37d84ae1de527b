import { afterEach, describe, expect, it } from '@jest/globals'
import { signRecord, stateTopic } from '../src/protocol.js'
import { FAST, record, startMesh, startNode } from './fixtures.js'
import type { TestMesh } from './fixtures.js'

describe('defences of the state topic', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) await node.stop()
    mesh = undefined
  })

  it('rejects records from peers not on the allow-list, and never shows them', async () => {
    mesh = await startMesh(2, { allowPeers: ['id-n1', 'id-n2'] })
    const { clock, network, nodes } = mesh
    const outsider = await startNode(network, clock, 'intruder')
    nodes.push(outsider)
    const rejected: string[] = []
    nodes[0]!.on('record:reject', (reason, from) => { rejected.push(`${reason} ${from}`) })
    // The intruder announces itself when it starts and again to each peer that subscribes while it is new.
    await clock.advance(500)
    expect(nodes[0]!.members().map(m => m.name).sort()).toEqual(['n1', 'n2'])
    expect(rejected).toContain('not-allowed id-intruder')
    expect(nodes[0]!.stats().recordsRejected['not-allowed']).toBeGreaterThan(0)
  })

  it('rejects a flood of records from one origin, and nothing from members publishing as fast as they may', async () => {
    // With these fast timings an honest member may publish 100 records a second: the default limit is 250.
    mesh = await startMesh(2)
    const { clock, network, nodes } = mesh
    const [watcher, busy] = nodes as [typeof nodes[0], typeof nodes[0]]
    // An honest member changing its load all the time publishes once per minPublishIntervalMs at most.
    for (let i = 0; i < 100; i++) {
      busy.setLoad('api', i)
      await clock.advance(FAST.minPublishIntervalMs)
    }
    expect(watcher.stats().recordsRejected['rate-limited']).toBe(0)
    // A flooder publishing 2000 records in one second, each newer than the last.
    const flooder = network.createTransport('flooder')
    await flooder.start()
    for (let sequence = 1; sequence <= 2000; sequence++) {
      await flooder.publish(stateTopic('default'), await signRecord(record({ origin: 'flooder', name: 'flood', sequence, incarnation: 1 }), async payload => await flooder.sign(payload)))
      await clock.advance(0.5)
    }
    const rejected = watcher.stats().recordsRejected['rate-limited']
    // A burst of 500 and 250 a second get through; the rest, about 1250, is refused.
    expect(rejected).toBeGreaterThan(1200)
    expect(rejected).toBeLessThan(1300)
  })
})
