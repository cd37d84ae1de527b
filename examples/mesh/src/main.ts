/**
 * `pnpm example:mesh`: a cluster of WebSocket servers that balances itself after a rolling deploy, each server
 * deciding alone how many of its own connections to shed. A live table in the terminal, a dashboard in the browser,
 * or with `--json` a report of the whole run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dashboard } from './dashboard/server.js'
import { parseMeshOptions, USAGE } from './options.js'
import { buildReport } from './report.js'
import { MeshScenario } from './scenario.js'
import { liveTable, renderTable } from './terminal.js'
import type { MeshOptions } from './options.js'
import type { RunResult } from './scenario.js'

let options: MeshOptions | undefined
try {
  options = parseMeshOptions(process.argv.slice(2).filter(arg => arg !== '--'))
} catch (err) {
  console.error(`example:mesh: ${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (options === undefined) {
  console.log(USAGE)
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'meshbalancer-mesh-'))
let current: MeshScenario | undefined
const dashboard = new Dashboard(() => current?.state())
const dashboardUrl = await dashboard.listen(options.dashboardPort)
// Progress goes to stderr with --json, so that stdout holds the report alone.
const say = (line: string): void => { (options!.json ? process.stderr : process.stdout).write(`${line}\n`) }
say(`dashboard: ${dashboardUrl}`)

const live = !options.json && process.stdout.isTTY === true
const results: RunResult[] = []
let exitCode = 0
const cleanup = async (): Promise<void> => {
  await current?.shutdown()
  await dashboard.close()
  rmSync(dir, { recursive: true, force: true })
}
process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)) })

try {
  for (const mode of options.modes) {
    const scenario = new MeshScenario(options, mode, dir)
    current = scenario
    const stopTable = live ? liveTable(() => renderTable(scenario.state())) : undefined
    if (!live) scenario.on('log', line => { say(`[${mode}] ${line}`) })
    try {
      results.push(await scenario.run())
    } finally {
      stopTable?.()
    }
    const result = results.at(-1)!
    say(`[${mode}] ${result.secondsToBalance === null ? 'did not balance' : `balanced ${result.secondsToBalance} s after the deploy`}; ` +
      `shed ${result.totalShed} for a minimum of ${result.minimumMoves} moves; clients ${result.connectedAtEnd}/${options.clients}`)
    if (result.kill !== undefined) {
      const { kill } = result
      say(`[${mode}] killed ${kill.name} holding ${kill.clients} clients: ` +
        `${kill.secondsUntilItsClientsReconnected === null ? 'some never reconnected' : `all connected elsewhere after ${kill.secondsUntilItsClientsReconnected} s`}; ` +
        `${kill.secondsToBalance === null ? 'the rest did not balance' : `the rest balanced after ${kill.secondsToBalance} s`}, shedding ${kill.shed}`)
    }
    if (options.linger && mode === options.modes.at(-1)) {
      say(`the mesh keeps running: ${dashboardUrl} (Ctrl-C to stop)`)
      await new Promise(() => {})
    }
    await scenario.shutdown()
  }
  const report = buildReport(options, results)
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  else say(`checks: ${Object.entries(report.checks).map(([name, ok]) => `${name} ${ok ? 'yes' : 'NO'}`).join(', ')}`)
  exitCode = report.ok ? 0 : 1
} catch (err) {
  console.error(`example:mesh: ${(err as Error).stack ?? (err as Error).message}`)
  exitCode = 1
} finally {
  await cleanup()
}
process.exit(exitCode)
