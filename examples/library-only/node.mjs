// One meshbalancer node over real libp2p, for the README's quick start in two terminals:
//   node node.mjs --name a --port 4001
//   node node.mjs --name b --port 4002 --join /ip4/127.0.0.1/tcp/4001
// Every node serves `hello` in group `greeter`. A node started with --join waits for a greeter, calls it once,
// prints the answer and leaves; one without stays until SIGTERM or Ctrl-C, then drains and leaves.
import { parseArgs } from 'node:util'
import { powerOfTwo } from '@meshbalancer/algorithms'
import { silentLogger } from '@meshbalancer/core'
import { createNode } from '@meshbalancer/gossip'

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    announce: { type: 'string' },
    join: { type: 'string', multiple: true, default: [] }
  }
})
if (values.name === undefined) {
  console.error('node.mjs: --name is required')
  process.exit(2)
}

const node = await createNode({
  name: values.name,
  listen: [`/ip4/${values.host}/tcp/${values.port}`],
  ...(values.announce === undefined ? {} : { announce: [values.announce] }),
  join: values.join,
  logger: silentLogger
})
node.handle('hello', ({ from }) => `hello ${from}, from ${node.name}`)
// A node that joins others only calls them: it stays out of the group it selects from.
const greeters = node.loadBalancer({ name: 'greeter', algorithm: powerOfTwo(), nodeMatch: values.join.length > 0 ? [] : 'all' })
console.log(`${node.name} listening on ${node.self().addresses.join(' ')}`)

if (values.join.length > 0) {
  await greeters.ready({ timeoutMs: 15_000 })
  console.log(await greeters.call('hello', { from: node.name }, { timeoutMs: 5000 }))
  await node.stop()
  process.exit(0)
}

// A deploy's SIGTERM, or Ctrl-C: announce draining (no balancer selects this node any more, shedders hand their
// connections over), then leave (peers drop the node at once) and exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void (async () => {
      await node.drain({ withinMs: 5000 })
      await node.stop()
      console.log(`${node.name} left`)
      process.exit(0)
    })()
  })
}
