import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLibp2p } from 'libp2p'
import { silentLogger } from '@meshbalancer/core'
import { until } from '@meshbalancer/core/testing'
import { ClusterLeftError, clusterGossipsubInit, createNode, meshbalancer, MissingServiceError } from '../src/index.js'
import type { Libp2p } from '@libp2p/interface'
import type { Cluster, LoadBalancer, SelectionAlgorithm } from '@meshbalancer/core'
import type { MeshbalancerInit } from '../src/index.js'

/** A libp2p node as an application composes it, with the meshbalancer service among its services. */
async function serviceNode (init: MeshbalancerInit): Promise<Libp2p<{ mesh: Cluster }>> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(clusterGossipsubInit()),
      mesh: meshbalancer(init)
    }
  })
}

/** Picks the member named `target()`: each call goes where the test says. */
function toward (target: () => string): SelectionAlgorithm {
  return {
    name: 'toward',
    chooseFromNodes: nodes => {
      const name = target()
      const member = nodes.find(node => node.name === name)
      if (member === undefined) throw new Error(`${name} is not among ${nodes.map(node => node.name).join(', ')}`)
      return member
    }
  }
}

describe('the meshbalancer libp2p service', () => {
  let a: Libp2p<{ mesh: Cluster }>
  let b: Libp2p<{ mesh: Cluster }>
  let preset: Cluster
  /** Each node's balancer over the group `who`, which every node serves. */
  const balancers = new Map<Cluster, LoadBalancer>()
  let callee = ''

  beforeAll(async () => {
    a = await serviceNode({ name: 'svc-a', logger: silentLogger })
    preset = await createNode({ name: 'preset', join: a.getMultiaddrs().map(address => address.toString()), logger: silentLogger })
    b = await serviceNode({ name: 'svc-b', join: [...preset.self().addresses], logger: silentLogger })
    for (const cluster of [a.services.mesh, b.services.mesh, preset]) {
      cluster.handle('whoami', (args: { from: string }) => ({ from: args.from, to: cluster.name }))
      balancers.set(cluster, cluster.loadBalancer({ name: 'who', algorithm: toward(() => callee) }))
    }
  })

  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await preset?.stop()
  })

  it('is a started Cluster once libp2p has started', () => {
    expect(a.services.mesh.isRunning).toBe(true)
    expect(a.services.mesh.id).toBe(a.peerId.toString())
    expect(a.services.mesh.self().addresses.length).toBeGreaterThan(0)
  })

  it('forms one cluster with a createNode node', async () => {
    const all = [a.services.mesh, b.services.mesh, preset]
    await until(() => all.every(cluster => cluster.members().length === 3 && cluster.members().every(member => member.status === 'active')), 'three members seeing each other', 15_000)
    expect(preset.members().map(member => member.name).sort()).toEqual(['preset', 'svc-a', 'svc-b'])
  })

  it('calls across service and preset nodes, both ways', async () => {
    const pairs: Array<[Cluster, string]> = [
      [a.services.mesh, 'preset'], [preset, 'svc-a'],
      [b.services.mesh, 'preset'], [preset, 'svc-b'],
      [a.services.mesh, 'svc-b'], [b.services.mesh, 'svc-a']
    ]
    await until(() => [...balancers.keys()].every(cluster => cluster.members().every(member => member.groups.has('who'))), 'every node in the group', 10_000)
    for (const [caller, name] of pairs) {
      callee = name
      await expect(balancers.get(caller)!.call('whoami', { from: caller.name }, { timeoutMs: 5000 })).resolves.toEqual({ from: caller.name, to: name })
    }
  })

  it('leaves the cluster gracefully when libp2p stops', async () => {
    const leaving = b.services.mesh.id
    const reasons: string[] = []
    preset.on('member:leave', (member, reason) => { if (member.id === leaving) reasons.push(reason) })
    await b.stop()
    expect(b.services.mesh.isRunning).toBe(false)
    // `left` is announced before gossipsub stops: no waiting for a failed probe and a suspicion (2 s or more).
    await until(() => reasons.length > 0, 'the stopped node removed', 2000)
    expect(reasons).toEqual(['left'])
  })

  it('leaves at cluster.stop() while libp2p runs on, and does not rejoin', async () => {
    const leaving = a.services.mesh.id
    const reasons: string[] = []
    preset.on('member:leave', (member, reason) => { if (member.id === leaving) reasons.push(reason) })
    await a.services.mesh.stop()
    await until(() => reasons.length > 0, 'the stopped member removed', 2000)
    expect(reasons).toEqual(['left'])
    expect(a.status).toBe('started')
    await expect(a.services.mesh.start()).rejects.toBeInstanceOf(ClusterLeftError)
    await a.stop()
    await expect(a.start()).rejects.toBeInstanceOf(ClusterLeftError)
  })
})

describe('the services the meshbalancer service needs', () => {
  const base = {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  }

  it('are declared: libp2p refuses a node without ping', async () => {
    // TypeScript refuses this composition already (the components lack `ping`); JavaScript gets the error here.
    const mesh = meshbalancer({ name: 'n1', logger: silentLogger }) as (components: unknown) => Cluster
    const creating = createLibp2p({ ...base, services: { identify: identify(), pubsub: gossipsub(), mesh } })
    await expect(creating).rejects.toMatchObject({ name: 'UnmetServiceDependenciesError', message: expect.stringContaining('"@libp2p/ping"') })
  })

  it('are found by name: gossipsub under another name fails the start, naming pubsub', async () => {
    // TypeScript refuses this composition already (the components lack `pubsub`); JavaScript gets the error at start.
    const mesh = meshbalancer({ name: 'n1', logger: silentLogger }) as (components: unknown) => Cluster
    const creating = createLibp2p({ ...base, services: { identify: identify(), ping: ping(), gossip: gossipsub(), mesh } })
    await expect(creating).rejects.toBeInstanceOf(MissingServiceError)
    await expect(creating).rejects.toThrow(/named "pubsub"/)
  })
})
