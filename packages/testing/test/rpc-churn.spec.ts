import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { converged, NodeProcess } from '../src/index.js'
import { auditPicks, crashRemovedMs, expectAllSettled, expectCleanExits, keepCalling, lateRemovals, now, picked } from './support/faults.js'

// The fast part of the fault suite (the rest runs in network namespaces: pnpm test:faults). One caller that prints
// every pick, three callees on 127.0.0.1; one callee is killed and restarted with its key file while calls go on.
describe('RPC while a callee crashes and restarts', () => {
  let dir: string
  let caller: NodeProcess | undefined
  let callees: NodeProcess[] = []
  const calleeArgs = (name: string): string[] => ['--join', caller!.address, '--group', 'api', '--demo-methods', '--key-file', join(dir, `${name}.key`)]

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meshbalancer-churn-'))
    caller = new NodeProcess('caller', ['--explain-picks'])
    await caller.ready()
    callees = ['c1', 'c2', 'c3'].map(name => new NodeProcess(name, calleeArgs(name)))
    await Promise.all(callees.map(async node => await node.ready()))
    await converged([caller, ...callees])
  })

  afterAll(async () => {
    await Promise.all([caller, ...callees].map(async node => { await node?.kill() }))
    rmSync(dir, { recursive: true, force: true })
  })

  it('settles every call with a result or a typed error, and never picks a member it removed', async () => {
    const caller = startedCaller()
    const calling = keepCalling(caller, 'api')
    await picked(caller, ['c1', 'c2', 'c3'], 20_000, 0)

    const from = caller.events.length
    const killedAt = now()
    callees[0]!.signal('SIGKILL')
    await caller.until(() => caller.sees('c1') === undefined, 10_000, 'c1 removed')
    expect(lateRemovals([caller], 'c1', [from], killedAt, crashRemovedMs(4))).toEqual([])
    await callees[0]!.exited

    const oldId = callees[0]!.id
    const restarted = new NodeProcess('c1', calleeArgs('c1'))
    callees[0] = restarted
    await restarted.ready()
    expect(restarted.id).toBe(oldId)
    const back = caller.events.length
    await converged([caller, ...callees])
    await picked(caller, ['c1'], 20_000, back)

    const tally = await calling.stop()
    expectAllSettled(tally)
    // The audit has something to find: c1 was picked before it died and after it came back (waited for above).
    expect(auditPicks(caller).violations).toEqual([])
  })

  it('leaves every process running until it is asked to stop, then exits cleanly', async () => {
    await expectCleanExits([startedCaller(), ...callees])
  })

  function startedCaller (): NodeProcess {
    if (caller === undefined) throw new Error('the caller did not start')
    return caller
  }
})
