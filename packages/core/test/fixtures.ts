import { createCluster, silentLogger } from '../src/index.js'
import { ManualClock, MemoryNetwork } from '../src/testing/index.js'
import type { Cluster, ClusterInit, MemberRecord } from '../src/index.js'

/** A valid record with every field set; tests override what they examine. */
export function record (overrides: Partial<MemberRecord> = {}): MemberRecord {
  return {
    origin: 'peer-a',
    name: 'a',
    incarnation: 1_700_000_000_000,
    sequence: 1,
    status: 'active',
    groups: new Map([['api', 3]]),
    weight: 1,
    tags: { zone: 'eu-1' },
    eventLoopLagMs: 2,
    clientAddress: 'ws://127.0.0.1:8080',
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
    shedding: new Map([['ws', 7]]),
    ...overrides
  }
}

export interface TestMesh {
  clock: ManualClock
  network: MemoryNetwork
  nodes: Cluster[]
}

/**
 * Timings small enough for quick virtual-time tests, with the same proportions as the defaults: a suspicion of a
 * member of a cluster of up to 10 lasts 200 ms when confirmed by 4 members, 600 ms when claimed by one.
 */
export const FAST = { probeIntervalMs: 100, probeTimeoutMs: 50, minPublishIntervalMs: 10 }

/** The shortest and longest suspicion with {@link FAST} timings in a cluster of at most 10 members. */
export const FAST_SUSPICION = { minMs: 200, maxMs: 600 }


/** Starts `count` nodes named n1…nN on one in-memory network with a virtual clock. */
export async function startMesh (count: number, init: Partial<ClusterInit> = {}): Promise<TestMesh> {
  const clock = new ManualClock(1_000_000)
  const network = new MemoryNetwork({ clock, delayMs: 1 })
  const nodes: Cluster[] = []
  for (let i = 1; i <= count; i++) {
    nodes.push(await startNode(network, clock, `n${i}`, init))
  }
  return { clock, network, nodes }
}

export async function startNode (network: MemoryNetwork, clock: ManualClock, name: string, init: Partial<ClusterInit> = {}, incarnation = 1): Promise<Cluster> {
  return await createCluster({
    name,
    // A transport of the caller's (one it watches, say) must not be shadowed by a second one of the same id.
    transport: init.transport ?? network.createTransport(`id-${name}`),
    clock,
    logger: silentLogger,
    incarnation,
    ...FAST,
    ...init
  })
}

/** Names of the members a node sees, itself included, sorted. */
export function namesSeenBy (node: Cluster): string[] {
  return node.members().map(member => member.name).sort()
}

/** Runs the virtual clock while `call` is pending (up to `maxMs`), and returns how it settled and after how long. */
export async function settleOn<T> (clock: ManualClock, call: Promise<T>, maxMs = 20_000): Promise<{ value?: T, error?: unknown, after: number }> {
  const start = clock.now()
  let outcome: { value?: T, error?: unknown } | undefined
  call.then(value => { outcome = { value } }, (error: unknown) => { outcome = { error } })
  await clock.advanceUntil(() => outcome !== undefined, maxMs, 5)
  return { ...outcome, after: clock.now() - start }
}
