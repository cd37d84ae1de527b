#!/usr/bin/env node
/**
 * The meshbalancer command line: `meshbalancer node` runs a cluster node, `meshbalancer cluster-key` prints a new
 * private-network key.
 */
// First: the package entry defines what Node 20 lacks before libp2p runs.
import { generateClusterKey } from '@meshbalancer/gossip'
import { InvalidOptionError } from '@meshbalancer/core'
import { NODE_USAGE, runNode, UsageError } from './node-command.js'

const USAGE = `usage: meshbalancer <command> [options]

commands:
  node          run a cluster node (meshbalancer node --help)
  cluster-key   print a new private-network key; save it to a file and pass it with --cluster-key`

const [command, ...args] = process.argv.slice(2)
try {
  switch (command) {
    case 'node':
      await runNode(args)
      break
    case 'cluster-key':
      process.stdout.write(generateClusterKey())
      break
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE)
      break
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
} catch (err) {
  const error = err as Error
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
  console.error(`meshbalancer: ${error instanceof InvalidOptionError || usage ? error.message : error.stack ?? error.message}`)
  if (usage) console.error(command === 'node' ? NODE_USAGE : USAGE)
  process.exit(2)
}
