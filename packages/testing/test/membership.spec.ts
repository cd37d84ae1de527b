import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { converged, fullyConnected, NodeProcess, startProcesses } from '../src/node-process.js'
import { crashRemovedMs, suspicionMs } from './support/faults.js'

// Real processes over TCP on 127.0.0.1, with the default timings (probe 1 s, probe timeout 0.5 s, suspicion of a
// 5-member cluster 2 s when confirmed by 4 members, 6 s when claimed by one).
describe('membership across five processes', () => {
  let nodes: NodeProcess[] = []
  let dir: string
  const keyFile = (): string => join(dir, 'n5.key')
  const others = (...names: string[]): NodeProcess[] => nodes.filter(node => !names.includes(node.name))
  const byName = (name: string): NodeProcess => nodes.find(node => node.name === name)!

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshbalancer-'))
    const started = await startProcesses(4)
    const n5 = await new NodeProcess('n5', ['--join', started[0]!.address, '--key-file', keyFile()]).ready()
    nodes = [...started, n5]
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async node => { await node.kill() }))
    rmSync(dir, { recursive: true, force: true })
  })

  it('lets five nodes that join through one seed all see all', async () => {
    await converged(nodes)
    for (const node of nodes) {
      expect([...node.view.values()].map(member => member.name).sort()).toEqual(others(node.name).map(other => other.name).sort())
    }
  })

  it('connects every node to every other, the ones it met through gossip included', async () => {
    // Each joined through n1 only; the others' addresses came in their records.
    await fullyConnected(nodes)
  })

  it('shows a load change on one node to all the others', async () => {
    byName('n2').send('load api 42')
    await Promise.all(others('n2').map(async node => await node.until(() => node.sees('n2')?.groups.api === 42, 5000, 'n2 at load 42')))
  })

  it('makes a stopped process suspect, then dead, and brings it back when it continues', async () => {
    const n4 = byName('n4')
    const watchers = others('n4')
    const from = nodes.map(node => node.events.length)
    n4.signal('SIGSTOP')
    await Promise.all(watchers.map(async node => await node.until(() => node.sees('n4')?.liveness === 'suspect', 10_000, 'n4 suspect')))
    await Promise.all(watchers.map(async node => await node.until(() => node.sees('n4') === undefined, 10_000, 'n4 removed')))
    n4.signal('SIGCONT')
    await Promise.all(watchers.map(async node => await node.until(() => node.sees('n4')?.liveness === 'alive', 10_000, 'n4 back')))
    // Its own pause is not held against the others: it still sees all of them.
    await n4.until(() => watchers.every(other => n4.sees(other.name)?.liveness === 'alive'), 10_000, 'n4 seeing everyone')
    // Nobody but the stopped process was suspected, by anyone, n4 included once it ran again.
    const suspected = nodes.flatMap((node, i) => node.events.slice(from[i]).filter(e => e.event === 'member:suspect').map(e => `${node.name} suspected ${e.member?.name}`))
    expect(suspected.filter(line => !line.endsWith(' n4'))).toEqual([])
  })

  it('removes a process killed with SIGKILL from every view within the confirmed suspicion', async () => {
    const n5 = byName('n5')
    const watchers = others('n5')
    const killedAt = performance.timeOrigin + performance.now()
    n5.signal('SIGKILL')
    const leaves = await Promise.all(watchers.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.name === 'n5', 10_000)))
    for (const leave of leaves) {
      expect(leave.reason).toBe('dead')
      // Measured on the watcher's clock when it printed the removal: the closed connections are crash hints, so
      // every watcher probes it at once and claims, and the suspicion runs out at its shortest.
      expect(leave.t - killedAt).toBeLessThanOrEqual(crashRemovedMs(nodes.length))
    }
    await n5.exited
  })

  it('brings a node restarted with the same key file back with its peer id and a new incarnation', async () => {
    const old = byName('n5')
    const restarted = await new NodeProcess('n5', ['--join', byName('n1').address, '--key-file', keyFile()]).ready()
    nodes = [...others('n5'), restarted]
    expect(restarted.id).toBe(old.id)
    expect(restarted.incarnation).toBeGreaterThan(old.incarnation)
    await Promise.all(others('n5').map(async node => await node.until(() => node.sees('n5')?.incarnation === restarted.incarnation, 10_000, 'n5 restarted')))
    for (const node of others('n5')) expect(node.sees('n5')?.id).toBe(old.id)
    await converged(nodes)
  })

  it('removes a node that stops gracefully from every view at once', async () => {
    const n3 = byName('n3')
    const watchers = others('n3')
    const stoppedAt = Date.now()
    n3.signal('SIGTERM')
    const leaves = await Promise.all(watchers.map(async node => await node.next(e => e.event === 'member:leave' && e.member?.name === 'n3', 10_000)))
    for (const leave of leaves) {
      expect(leave.reason).toBe('left')
      // Faster than any failure detection could remove it: that takes at least the shortest suspicion.
      expect(Date.parse(leave.time) - stoppedAt).toBeLessThan(suspicionMs(nodes.length, nodes.length))
    }
    expect(await n3.exited).toBe(0)
  })
})
