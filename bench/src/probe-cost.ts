/**
 * What one direct probe costs on the wire and in CPU, next to a libp2p ping: two libp2p nodes with the stack of
 * `createMeshLibp2p` (TCP, noise, yamux, identify, ping, gossipsub) in this process, over TCP on 127.0.0.1.
 *
 * - direct probe: a probe request naming no target on the probe protocol, answered with an ack, over the
 *   protocol's long-lived RPC stream (as the failure detector sends it);
 * - libp2p ping: one ping on a new stream, as the detector's probes used to be.
 *
 * Each kind runs 500 times, one at a time as a prober does, after a warm-up that opens the RPC stream. Bytes are
 * what this process wrote through system calls (`wchar` of /proc/self/io): with both ends in it, each byte on the
 * wire is written once, so this is one copy of the exchange, both ways. CPU is `process.cpuUsage()`, both ends
 * together. Nothing is printed while a kind runs. Linux only. Run after `pnpm build`:
 * `node bench/dist/probe-cost.js`; prints one JSON object per kind and round.
 */
import { readFileSync } from 'node:fs'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { silentLogger } from '@meshbalancer/core'
import { decodeProbeRequest, decodeProbeResponse, encodeProbeRequest, encodeProbeResponse, probeProtocol } from '@meshbalancer/core/protocol'
import { clusterGossipsubInit, Libp2pTransport, loadIdentity } from '@meshbalancer/gossip'

const COUNT = 500
const WARM_UP = 50
const ROUNDS = 3
const PROTOCOL = probeProtocol('probe-cost')

/** Bytes written through system calls so far, and read (for a check: in one process, read ≈ written). */
function io (): { written: number, read: number } {
  const text = readFileSync('/proc/self/io', 'utf8')
  const field = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(text)?.[1] ?? 0)
  return { written: field('wchar'), read: field('rchar') }
}

async function node (): Promise<Libp2pTransport> {
  const { privateKey } = await loadIdentity(undefined)
  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { identify: identify(), ping: ping(), pubsub: gossipsub(clusterGossipsubInit()) },
    start: false
  })
  const transport = new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey })
  await transport.start()
  return transport
}

const prober = await node()
const target = await node()
// The target answers as a member's probe server answers a direct probe: decode, then ack.
target.handleRequests(PROTOCOL, async request => {
  const decoded = decodeProbeRequest(request)
  return decoded.ok && decoded.value.target === undefined ? encodeProbeResponse(true) : undefined
})
await prober.libp2p.dial(target.libp2p.getMultiaddrs())

const kinds: Record<string, () => Promise<void>> = {
  'direct probe': async () => {
    const response = await prober.request(target.id, PROTOCOL, encodeProbeRequest({}), { signal: AbortSignal.timeout(5000), expectResponse: true })
    if (response === undefined || decodeProbeResponse(response) !== true) throw new Error('the direct probe was not acked')
  },
  'libp2p ping': async () => { await prober.ping(target.id, { signal: AbortSignal.timeout(5000) }) }
}

for (const run of Object.values(kinds)) for (let i = 0; i < WARM_UP; i++) await run()
for (let round = 1; round <= ROUNDS; round++) {
  for (const [kind, run] of Object.entries(kinds)) {
    const ioBefore = io()
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < COUNT; i++) await run()
    const elapsedMs = performance.now() - started
    const cpu = process.cpuUsage(cpuBefore)
    const ioAfter = io()
    process.stdout.write(`${JSON.stringify({
      kind,
      round,
      count: COUNT,
      bytesPerExchange: Math.round((ioAfter.written - ioBefore.written) / COUNT),
      bytesReadPerExchange: Math.round((ioAfter.read - ioBefore.read) / COUNT),
      cpuMsPerExchange: Math.round((cpu.user + cpu.system) / COUNT) / 1000,
      roundTripMs: Math.round(elapsedMs / COUNT * 1000) / 1000
    })}\n`)
  }
}
await prober.stop()
await target.stop()
