import { describe, expect, it } from '@jest/globals'
import { runExample } from './run-example.js'
import type { MeshReport } from '../src/report.js'
import type { RunResult } from '../src/scenario.js'

/** The rounds the servers ran after the deploy and any suspicion they saw: what explains a slow balance. */
function whatTheServersDid (run: RunResult): { rounds: string[], suspicions: string[] } {
  return {
    rounds: run.rounds.filter(r => r.t >= run.deployEndedAt).map(r => `${r.t} ${r.node} ${r.skipped ?? r.reason ?? '-'} ${r.killed}/${r.amount} ${JSON.stringify(r.counts)}`),
    suspicions: run.memberChanges.filter(c => c.change !== 'left').map(c => `${c.t} ${c.node}: ${c.member} ${c.change}`)
  }
}

// What `pnpm example:mesh -- --json` does on a fresh install: 4 servers, 2000 clients, a rolling deploy in exact
// mode, then the same in parallel mode, each balanced by the servers' own shedding.
describe('pnpm example:mesh -- --json', () => {
  it('balances after a rolling deploy in both modes, parallel at least 3× faster and within 1.25× of the fewest moves', async () => {
    const { code, stdout, stderr } = await runExample(['--json']).done
    const report = JSON.parse(stdout) as MeshReport
    if (!report.ok) console.error(stderr, JSON.stringify(report.runs.map(run => ({ mode: run.mode, secondsToBalance: run.secondsToBalance, ...whatTheServersDid(run) })), null, 1))
    expect(report.runs.map(run => run.mode)).toEqual(['exact', 'parallel'])
    for (const run of report.runs) {
      expect(run.secondsToBalance).not.toBeNull()
      expect(run.balancedAtEnd).toBe(true)
      expect(run.connectedAtEnd).toBe(2000)
      expect(run.clientStats.unexpectedCloses).toBe(0)
      expect(run.clientStats.errors).toBe(0)
      const counts = Object.values(run.finalCounts)
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length
      for (const count of counts) expect(Math.abs(count - mean)).toBeLessThanOrEqual(mean * 0.1)
      expect(run.timeline.length).toBeGreaterThan(10)
    }
    expect(report.comparison?.parallelSpeedup).toBeGreaterThanOrEqual(3)
    expect(report.comparison?.parallelShedOverMinimum).toBeLessThanOrEqual(1.25)
    expect(report.ok).toBe(true)
    expect(code).toBe(0)
  }, 300_000)

  it('puts HAProxy in front when asked, with no client error', async () => {
    const { code, stdout } = await runExample(['--json', '--front', 'haproxy', '--mode', 'parallel', '--clients', '600']).done
    const report = JSON.parse(stdout) as MeshReport
    expect(report.front).toBe('haproxy')
    // Every error and unexpected close by what it was: a failure here names its cause.
    expect(report.runs.map(run => run.clientStats.problems)).toEqual([{}])
    expect(report.checks).toEqual({ everyRunBalanced: true, allClientsConnectedAtEnd: true, noClientErrorsButPlannedCloses: true })
    expect(code).toBe(0)
  }, 180_000)

  // Clients that reconnect through HAProxy and never follow a hint: the servers' agents steer the front door to the
  // servers below the mean, so that a deploy converges with close to the fewest moves whatever `balance` is.
  for (const balance of ['roundrobin', 'leastconn']) {
    it(`behind HAProxy (balance ${balance}) with clients that ignore hints, sheds at most 1.5× the fewest moves and balances within 10 s`, async () => {
      const { code, stdout, stderr } = await runExample(['--json', '--front', 'haproxy', '--balance', balance, '--reconnect', 'random', '--mode', 'parallel', '--clients', '1000']).done
      const report = JSON.parse(stdout) as MeshReport
      if (!report.ok) console.error(stderr)
      expect(report).toMatchObject({ front: 'haproxy', balance, agentChecks: true, reconnect: 'random' })
      const run = report.runs[0]!
      // On failure jest prints the figures the assertions below are about.
      const figures = {
        minimumMoves: run.minimumMoves,
        totalShed: run.totalShed,
        secondsToBalance: run.secondsToBalance,
        problems: run.clientStats.problems,
        ...whatTheServersDid(run)
      }
      if (run.secondsToBalance === null || run.secondsToBalance > 10) console.error(JSON.stringify(figures, null, 1))
      expect(figures.problems).toEqual({})
      expect(run.minimumMoves).toBeGreaterThan(0)
      expect(run.totalShed).toBeLessThanOrEqual(1.5 * run.minimumMoves)
      expect(run.shedOverMinimum).toBe(Math.round(run.totalShed / run.minimumMoves * 100) / 100)
      expect(figures.secondsToBalance).not.toBeNull()
      expect(figures.secondsToBalance!).toBeLessThanOrEqual(10)
      expect(run.connectedAtEnd).toBe(1000)
      const counts = Object.values(run.finalCounts)
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length
      for (const count of counts) expect(Math.abs(count - mean)).toBeLessThanOrEqual(mean * 0.1)
      expect(report.ok).toBe(true)
      expect(code).toBe(0)
    }, 300_000)
  }

  it('places clients with an algorithm from another package, and sheds what it got wrong', async () => {
    const { code, stdout } = await runExample(['--json', '--algorithm', 'leastLoadedTagged', '--no-deploy', '--mode', 'parallel', '--clients', '400']).done
    const report = JSON.parse(stdout) as MeshReport
    expect(report.placement).toBe('leastLoadedTagged')
    // Every client first went to zone a (ws1, ws3); shedding then spread them over all four.
    const placed = report.runs[0]!.countsWhenPlaced
    expect(placed.ws2! + placed.ws4!).toBe(0)
    expect(placed.ws1! + placed.ws3!).toBe(400)
    expect(report.ok).toBe(true)
    expect(code).toBe(0)
  }, 180_000)

  it('refuses a bad flag, naming it', async () => {
    const { code, stderr } = await runExample(['--nodes', 'many']).done
    expect(code).toBe(2)
    expect(stderr).toMatch(/--nodes expects an integer/)
    for (const [args, message] of [[['--kill', 'ws9'], /--kill expects a server's name, ws1 to ws4/], [['--balance', 'leastconn'], /--balance needs --front haproxy/], [['--front', 'haproxy', '--balance', 'first'], /--balance expects roundrobin or leastconn/]] as const) {
      const refused = await runExample([...args]).done
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(message)
    }
  })
})
