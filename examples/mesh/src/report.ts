import type { MeshOptions } from './options.js'
import { KILL_RECONNECT_SECONDS } from './scenario.js'
import type { RunResult } from './scenario.js'

/** The JSON report of `--json`: each run, and how the modes compare when both ran. */
export interface MeshReport {
  nodes: number
  clients: number
  roundSeconds: number
  reconnect: MeshOptions['reconnect']
  front: MeshOptions['front']
  /** With HAProxy: its `balance`, and whether it took weights from the servers' agents. */
  balance?: MeshOptions['balance']
  agentChecks?: boolean
  /** The server `--kill` killed. */
  kill?: string
  /** How new clients were placed: an algorithm's name, or `random` (like DNS round robin). */
  placement: string
  runs: RunResult[]
  comparison?: {
    /** Exact mode's time to balance over parallel mode's. */
    parallelSpeedup: number | null
    /** Parallel mode's connections shed after the deploy over the fewest moves that could balance it. */
    parallelShedOverMinimum: number | null
  }
  checks: Record<string, boolean>
  ok: boolean
}

export function buildReport (options: MeshOptions, runs: RunResult[]): MeshReport {
  const checks: Record<string, boolean> = {
    everyRunBalanced: runs.every(run => run.secondsToBalance !== null && run.balancedAtEnd),
    allClientsConnectedAtEnd: runs.every(run => run.connectedAtEnd === options.clients),
    // A killed server's closes and refused connections are counted apart (clientStats.killedServer*), not here.
    noClientErrorsButPlannedCloses: runs.every(run => run.clientStats.unexpectedCloses === 0 && run.clientStats.errors === 0)
  }
  if (options.kill !== undefined) {
    checks.killedServersClientsElsewhereWithin5s = runs.every(run => run.kill?.secondsUntilItsClientsReconnected != null &&
      run.kill.secondsUntilItsClientsReconnected <= KILL_RECONNECT_SECONDS)
    checks.serversLeftBalancedAfterTheKill = runs.every(run => run.kill?.secondsToBalance != null && run.balancedAtEnd)
  }
  const exact = runs.find(run => run.mode === 'exact')
  const parallel = runs.find(run => run.mode === 'parallel')
  let comparison: MeshReport['comparison']
  if (exact !== undefined && parallel !== undefined) {
    const speedup = exact.secondsToBalance !== null && parallel.secondsToBalance !== null && parallel.secondsToBalance > 0
      ? exact.secondsToBalance / parallel.secondsToBalance
      : null
    const overMinimum = parallel.minimumMoves > 0 ? parallel.totalShed / parallel.minimumMoves : null
    comparison = { parallelSpeedup: round(speedup), parallelShedOverMinimum: round(overMinimum) }
    checks.parallelAtLeast3xFaster = speedup !== null && speedup >= 3
    checks.parallelShedAtMost125PercentOfMinimum = overMinimum !== null && overMinimum <= 1.25
  }
  return {
    nodes: options.nodes,
    clients: options.clients,
    roundSeconds: options.roundSeconds,
    reconnect: options.reconnect,
    front: options.front,
    ...(options.front === 'haproxy' ? { balance: options.balance, agentChecks: options.agent } : {}),
    ...(options.kill === undefined ? {} : { kill: options.kill }),
    placement: options.algorithm ?? 'random',
    runs,
    ...(comparison === undefined ? {} : { comparison }),
    checks,
    ok: Object.values(checks).every(Boolean)
  }
}

function round (value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100
}
