import { describe, expect, it } from '@jest/globals'
import { runExample } from './run-example.js'
import type { MeshReport } from '../src/report.js'

// `--kill ws2`: once the mesh is balanced after the deploy, ws2 dies by SIGKILL, without a drain or a goodbye. Its
// clients find the other servers (by themselves, or through HAProxy), and those rebalance among themselves.
describe('pnpm example:mesh -- --json --kill ws2', () => {
  for (const front of ['none', 'haproxy']) {
    it(`brings the killed server's clients back elsewhere within 5 s and rebalances the rest (front door: ${front})`, async () => {
      const { code, stdout, stderr } = await runExample(['--json', '--kill', 'ws2', '--mode', 'parallel', '--front', front]).done
      const report = JSON.parse(stdout) as MeshReport
      if (!report.ok) console.error(stderr)
      expect(report.kill).toBe('ws2')
      const run = report.runs[0]!
      const kill = run.kill!
      expect(kill.name).toBe('ws2')
      expect(kill.clients).toBeGreaterThan(0)
      expect(kill.secondsUntilItsClientsReconnected).not.toBeNull()
      expect(kill.secondsUntilItsClientsReconnected!).toBeLessThanOrEqual(5)
      // The servers left, and only they, end within ±10 % of their mean, with every client connected.
      expect(Object.keys(run.finalCounts).sort()).toEqual(['ws1', 'ws3', 'ws4'])
      const counts = Object.values(run.finalCounts)
      const mean = counts.reduce((a, b) => a + b, 0) / counts.length
      for (const count of counts) expect(Math.abs(count - mean)).toBeLessThanOrEqual(mean * 0.1)
      expect(run.connectedAtEnd).toBe(2000)
      // Each of its clients saw its connection end once; nothing else went wrong for anyone.
      expect(run.clientStats.killedServerCloses).toBe(kill.clients)
      expect(run.clientStats.unexpectedCloses).toBe(0)
      expect(run.clientStats.errors).toBe(0)
      // A connection it was opening when it died is reset; one dialed after, refused.
      for (const problem of Object.keys(run.clientStats.problems)) expect(problem).toMatch(/^ws2 \(killed\): (close 1006|error: (connect ECONNREFUSED|connect ECONNRESET|read ECONNRESET|socket hang up)\b.*)$/)
      expect(report.checks).toMatchObject({ noClientErrorsButPlannedCloses: true, killedServersClientsElsewhereWithin5s: true, serversLeftBalancedAfterTheKill: true })
      expect(report.ok).toBe(true)
      expect(code).toBe(0)
    }, 300_000)
  }
})
