// Runs jest over the workspace (ESM needs --experimental-vm-modules) and ends with one plain line,
// "tests: N passed, N failed", that CI logs can be read by.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const results = join(root, '.jest-results.json')
const jest = createRequire(join(root, 'package.json')).resolve('jest/bin/jest')

rmSync(results, { force: true })
const run = spawnSync(process.execPath, ['--experimental-vm-modules', jest, '--json', `--outputFile=${results}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit'
})

try {
  const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(results, 'utf8'))
  console.log(`tests: ${numPassedTests} passed, ${numFailedTests} failed${numPendingTests > 0 ? `, ${numPendingTests} skipped` : ''}`)
} catch {
  console.log('tests: 0 passed, 1 failed (jest wrote no results)')
}
process.exit(run.status ?? 1)
