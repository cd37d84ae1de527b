import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { converged, fullyConnected, NetnsLab } from '../src/index.js'
import { auditPicks, crashRemovedMs, describeTally, expectAllSettled, expectCleanExits, keepCalling, lateRemovals, now, picked, report, sleep } from '../test/support/faults.js'
import type { NodeProcess, PrintedMember } from '../src/index.js'

// Five hosts in network namespaces and a spare: a caller (n1) that prints every pick calls four callees while they
// crash, pause, lose their link and restart, one after the other; a crashed callee comes back on another host.
describe('RPC while callees crash, pause, lose their link and restart', () => {
  let dir: string
  let lab: NetnsLab | undefined
  let nodes: NodeProcess[] = []
  const byName = (name: string): NodeProcess => nodes.find(node => node.name === name)!
  /** The nodes running, but for `name`. */
  const others = (name: string): NodeProcess[] => nodes.filter(node => node.name !== name && node.running)
  const calleeArgs = (name: string): string[] => ['--join', nodes[0]!.address, '--group', 'api', '--demo-methods', '--key-file', join(dir, `${name}.key`)]
  const gone = async (name: string): Promise<void> => {
    await Promise.all(others(name).map(async node => await node.until(() => node.sees(name) === undefined, 20_000, `${name} removed`)))
  }

  /**
   * Waits until `node` has accepted two records per expected member since this call, and its own table (the
   * `members` command, not what it printed earlier) holds each of them alive.
   */
  const seesAfresh = async (node: NodeProcess, names: string[]): Promise<void> => {
    const accepted = async (): Promise<number> => (await node.ask('stats', 'stats')).recordsAccepted as number
    const start = await accepted()
    const deadline = Date.now() + 30_000
    for (;;) {
      const members = (await node.ask('members', 'members')).members as PrintedMember[]
      const fresh = await accepted() - start >= 2 * names.length
      if (fresh && names.every(name => members.some(m => m.name === name && m.liveness === 'alive'))) return
      if (Date.now() > deadline) throw new Error(`${node.name} does not see ${names.join(', ')} alive: ${JSON.stringify(members)}`)
      await sleep(250)
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshbalancer-faults-'))
    const created = NetnsLab.create(6)
    lab = created
    nodes = [await created.start(1, 'n1', ['--explain-picks']).ready()]
    nodes.push(...[2, 3, 4, 5].map(i => created.start(i, `n${i}`, calleeArgs(`n${i}`))))
    await Promise.all(nodes.map(async node => await node.ready()))
    await converged(nodes)
  })

  afterAll(async () => {
    await lab?.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  it('settles every call with a result or a typed error and never picks a member it removed', async () => {
    const caller = nodes[0]!
    const calling = keepCalling(caller, 'api', 50, 16)
    await picked(caller, ['n2', 'n3', 'n4', 'n5'], 20_000, 0)

    // SIGKILL: its connections close, so every member probes it at once and the suspicion is confirmed by all (the
    // shortest timeout). Members met through gossip are dialled on the dialler's next tick: wait until every node
    // is connected to every other.
    const n2 = byName('n2')
    await fullyConnected(nodes)
    const from = nodes.map(node => node.events.length)
    const killedAt = now()
    n2.signal('SIGKILL')
    await gone('n2')
    const observers = nodes.filter(node => node !== n2)
    expect(lateRemovals(observers, 'n2', observers.map(node => from[nodes.indexOf(node)]!), killedAt, crashRemovedMs(nodes.length))).toEqual([])
    await n2.exited

    // SIGSTOP: suspect, then removed; SIGCONT: back, and it sees everyone again.
    const n3 = byName('n3')
    const stoppedFrom = others('n3').map(node => node.events.length)
    n3.signal('SIGSTOP')
    await Promise.all(others('n3').map(async (node, i) => await node.next(e => e.event === 'member:suspect' && e.member?.name === 'n3', 20_000, stoppedFrom[i])))
    await gone('n3')
    n3.signal('SIGCONT')
    // Its own view, asked of it after it resumed, and fed by records received since: everyone alive again.
    await seesAfresh(n3, others('n3').map(node => node.name))
    await converged(others('n2'), 30_000)

    // A cut link: removed, and back once the link heals.
    const n4 = byName('n4')
    lab!.isolate(4)
    await gone('n4')
    await n4.until(() => n4.view.size === 0, 20_000, 'n4 alone')
    lab!.heal()
    await converged(others('n2'), 30_000)

    // The crashed node comes back on another host with its key file: same peer id, new incarnation, new address.
    const restarted = lab!.start(6, 'n2', calleeArgs('n2'))
    nodes[nodes.indexOf(n2)] = restarted
    await restarted.ready()
    expect(restarted.id).toBe(n2.id)
    expect(restarted.incarnation).toBeGreaterThan(n2.incarnation)
    expect(restarted.address).toContain(lab!.host(6).address)
    await converged(nodes, 30_000)
    for (const node of others('n2')) expect(node.sees('n2')?.incarnation).toBe(restarted.incarnation)
    await picked(caller, ['n2', 'n3', 'n4'], 20_000)

    const tally = await calling.stop()
    report(`churn: ${describeTally(tally)}`)
    expectAllSettled(tally)
    // Each of the three was picked before its fault and after it came back (waited for above).
    expect(auditPicks(caller).violations).toEqual([])
  })

  it('leaves every process running until it is asked to stop, then exits cleanly', async () => {
    await expectCleanExits(nodes)
  })
})
