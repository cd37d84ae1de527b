/**
 * A bare libp2p node with the stack of `meshbalancer node` (TCP, noise, yamux, identify, ping, gossipsub) and no
 * meshbalancer code: the baseline of the scaling suite, and the subject of gossipsub's tuning measurements.
 * Started as `node bare-node.js '<options as JSON>'`; reads commands on stdin, prints one JSON object per line.
 *
 * Options: `gossipsub` (options handed to gossipsub as they are), `preset: 'cluster'` (start from the cluster's
 * `clusterGossipsubInit` and libp2p options of `createMeshLibp2p` instead of the libraries' defaults),
 * `connectionMonitor`, `topic`.
 * Commands: `dial ADDR`, `publish BYTES` (the payload starts with the send time), `stats`.
 */
import { createInterface } from 'node:readline'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { clusterGossipsubInit } from '@meshbalancer/gossip'
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub'

interface BareOptions {
  gossipsub?: Partial<GossipsubOpts>
  /** libp2p's connection monitor (a ping of every connection every 10 s). @default libp2p's: on, off with the cluster preset */
  connectionMonitor?: boolean
  preset?: 'default' | 'cluster'
  topic?: string
}

const options = JSON.parse(process.argv[2] ?? '{}') as BareOptions
const cluster = options.preset === 'cluster'
const topic = options.topic ?? '/meshbalancer/default/state/1'
const now = (): number => performance.timeOrigin + performance.now()
const print = (event: string, fields: Record<string, unknown> = {}): void => { process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`) }

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionMonitor: { enabled: options.connectionMonitor ?? !cluster },
  services: {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({ ...(cluster ? clusterGossipsubInit() : { allowPublishToZeroTopicPeers: true }), ...options.gossipsub })
  }
})
const pubsub = node.services.pubsub as GossipSub
pubsub.subscribe(topic)
pubsub.addEventListener('message', event => {
  const data = event.detail.data
  if (data.byteLength < 8) return
  const sent = new DataView(data.buffer, data.byteOffset, 8).getFloat64(0)
  print('message', { sent, t: now() })
})
print('ready', { id: node.peerId.toString(), address: `${node.getMultiaddrs()[0]!.toString()}` })

createInterface({ input: process.stdin }).on('line', line => {
  const [command, argument = ''] = line.trim().split(/\s+/)
  void (async () => {
    switch (command) {
      case 'dial':
        await node.dial(multiaddr(argument))
        print('dialed', { address: argument })
        return
      case 'publish': {
        const data = new Uint8Array(Math.max(8, Number(argument)))
        const sent = now()
        new DataView(data.buffer).setFloat64(0, sent)
        await pubsub.publish(topic, data)
        print('published', { sent })
        return
      }
      case 'stats':
        print('stats', { connections: node.getConnections().length, subscribers: pubsub.getSubscribers(topic).length })
        return
      default:
        print('error', { message: `unknown command ${command}` })
    }
  })().catch((err: Error) => { print('error', { message: err.message }) })
}).once('close', () => { void (async () => { await node.stop(); process.exit(0) })() })
