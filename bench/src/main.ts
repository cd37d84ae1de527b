import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeMachine } from './machine.js'
import { mesh } from './suites/mesh.js'
import { nodeCluster } from './suites/node-cluster.js'
import { peers } from './suites/peers.js'
import { picks } from './suites/picks.js'
import { rpc } from './suites/rpc.js'
import { scaling } from './suites/scaling.js'
import { simulation } from './suites/simulation.js'
import type { Suite } from './suite.js'

const SUITES: readonly Suite[] = [picks, peers, mesh, rpc, nodeCluster, scaling, simulation]

const { values } = parseArgs({
  // `pnpm bench -- --only rpc` hands the `--` on as an argument of its own.
  args: process.argv.slice(2).filter(arg => arg !== '--'),
  options: {
    only: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false }
  }
})

if (values.list) {
  for (const suite of SUITES) console.log(`${suite.name.padEnd(16)} ${suite.summary}`)
  process.exit(0)
}

const unknown = (values.only ?? []).filter(name => !SUITES.some(suite => suite.name === name))
if (unknown.length > 0) {
  console.error(`unknown suite: ${unknown.join(', ')}; known: ${SUITES.map(suite => suite.name).join(', ')}`)
  process.exit(2)
}
const selected = values.only === undefined ? SUITES : SUITES.filter(suite => values.only!.includes(suite.name))

const sections: string[] = []
for (const suite of selected) {
  console.log(`\n# ${suite.name}: ${suite.summary}`)
  sections.push(await suite.run())
}

// Only a full run rewrites the document, so that its figures always come from one run on one machine.
if (values.only === undefined && !values['no-write']) {
  const document = [
    '# Benchmarks',
    '',
    'Written by `pnpm bench` (all suites, one run); do not edit by hand. Each figure is the median of several runs,',
    'and says whether it is an absolute time (depends on the machine) or a ratio (comparable across machines).',
    '',
    ...describeMachine(),
    `- Command: \`pnpm bench\``,
    '',
    ...sections.flatMap(section => [section, ''])
  ].join('\n')
  const target = join(import.meta.dirname, '..', '..', 'docs', 'BENCHMARKS.md')
  writeFileSync(target, document)
  console.log(`\nwrote ${target}`)
}
