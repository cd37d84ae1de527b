#!/usr/bin/env node
/**
 * `meshbalancer-simulate`: runs the simulations at 1,000 and 10,000 nodes, prints their figures as JSON and, with
 * `--out`, writes their charts (SVG) to a folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runSimulations } from './run.js'

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false }
  }
})
if (values.help) {
  console.log(`usage: meshbalancer-simulate [--sizes 1000,10000] [--seed 1] [--out DIR]

Simulates the membership protocol (SWIM + Lifeguard, records on change within a budget, refresh, push-pull) at
each size: messages and bytes per node per second idle and with loads changing, crash-to-removal times, false
suspicions with 5 % loss and with one slow member, power-of-two balance on stale loads, and rolling deploys.
Prints the figures as JSON; --out writes the charts as SVG. The same seed gives the same figures.`)
  process.exit(0)
}
const sizes = values.sizes.split(',').map(Number)
const seed = Number(values.seed)
if (sizes.some(size => !Number.isInteger(size) || size < 10) || !Number.isInteger(seed)) {
  console.error('meshbalancer-simulate: --sizes expects integers ≥ 10 separated by commas, --seed an integer')
  process.exit(2)
}
const report = runSimulations(sizes, seed, line => { console.error(line) })
if (values.out !== undefined) {
  mkdirSync(values.out, { recursive: true })
  for (const [file, svg] of Object.entries(report.charts)) writeFileSync(join(values.out, file), svg)
}
const { charts: _charts, ...figures } = report
const hidden = new Set(['ours', 'classic', 'deviation', 'curve'])
console.log(JSON.stringify(figures, (key, value: unknown) => (hidden.has(key) ? undefined : value === Number.POSITIVE_INFINITY ? 'never' : value), 2))
