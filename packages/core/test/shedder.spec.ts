import { afterEach, describe, expect, it } from '@jest/globals'
import { first } from './algorithms.js'
import { defaults } from '../src/index.js'
import { FAST, startMesh } from './fixtures.js'
import type { ClusterInit } from '../src/index.js'
import type { Cluster, Shedder, ShedHint, ShedKnobs, ShedRound } from '../src/index.js'
import type { TestMesh } from './fixtures.js'

/**
 * A service that holds `clients` and, when told to shed, hands them to the hinted members: the directed
 * reconnect of a real service, without sockets.
 */
class FakeService {
  clients: number
  rounds: ShedRound[] = []
  shedder: Shedder | undefined
  constructor (readonly node: Cluster, clients: number, readonly services: Map<string, FakeService>) {
    this.clients = clients
    node.on('shed:round', round => { this.rounds.push(round) })
  }

  shed (knobs: Partial<ShedKnobs>): void {
    this.shedder = this.node.shedder({
      namespace: 'ws',
      ...knobs,
      implementation: {
        count: () => this.clients,
        killProcesses: async (n: number, hint: ShedHint) => {
          const moved = Math.min(n, this.clients)
          this.move(moved)
          let left = moved
          for (const target of hint.targets) {
            const share = Math.min(target.share, left)
            this.services.get(target.id)!.move(-share)
            left -= share
          }
          return moved
        }
      }
    })
    this.shedder.announce(this.clients)
  }

  move (away: number): void {
    this.clients -= away
    this.shedder?.announce(this.clients)
  }
}

/** A member of namespace `ws` with a fixed count that never sheds in the test's time (its rounds are an hour apart). */
function passive (node: Cluster, count: number): Shedder {
  const shedder = node.shedder({
    namespace: 'ws',
    roundDurationSeconds: 3600,
    implementation: { count: () => count, killProcesses: async () => 0 }
  })
  shedder.announce(count)
  return shedder
}

async function meshWithClients (counts: number[], init: Partial<ClusterInit> = {}): Promise<{ mesh: TestMesh, services: FakeService[] }> {
  const mesh = await startMesh(counts.length, init)
  const byId = new Map<string, FakeService>()
  const services = mesh.nodes.map((node, i) => new FakeService(node, counts[i]!, byId))
  for (const service of services) byId.set(service.node.id, service)
  await mesh.clock.advanceUntil(() => mesh.nodes.every(node => node.members().length === counts.length), 1000)
  return { mesh, services }
}

const withinTenPercent = (services: FakeService[]): boolean => {
  const mean = services.reduce((sum, s) => sum + s.clients, 0) / services.length
  return services.every(s => Math.abs(s.clients - mean) <= mean * 0.1)
}

describe('shedder rounds on the in-memory cluster', () => {
  let mesh: TestMesh | undefined

  afterEach(async () => {
    for (const node of mesh?.nodes ?? []) await node.stop()
    mesh = undefined
  })

  async function converge (mode: 'exact' | 'parallel'): Promise<{ roundsTaken: number, shed: number, minimumMoves: number, services: FakeService[] }> {
    const counts = [600, 600, 600, 200]
    const built = await meshWithClients(counts)
    mesh = built.mesh
    const mean = 2000 / 4
    const minimumMoves = Math.max(counts.reduce((s, c) => s + Math.max(0, c - Math.ceil(mean)), 0), counts.reduce((s, c) => s + Math.max(0, Math.floor(mean) - c), 0))
    // Exact mode only looks at the most loaded node: it reaches ±10 % only with a threshold well inside that.
    for (const service of built.services) service.shed({ mode, roundDurationSeconds: 1, allowedAverageDeviationPercent: 2, minShedCount: 5 })
    const took = await mesh.clock.advanceUntil(() => withinTenPercent(built.services), 120_000, 100)
    const shed = built.services.reduce((sum, s) => sum + s.rounds.reduce((k, r) => k + r.killed, 0), 0)
    return { roundsTaken: took / 1000, shed, minimumMoves, services: built.services }
  }

  it('balances [600, 600, 600, 200] in both modes, parallel at least three times faster and with no wasted moves', async () => {
    const exact = await converge('exact')
    for (const node of mesh!.nodes) await node.stop()
    const parallel = await converge('parallel')
    expect(withinTenPercent(exact.services)).toBe(true)
    expect(withinTenPercent(parallel.services)).toBe(true)
    expect(exact.roundsTaken / parallel.roundsTaken).toBeGreaterThanOrEqual(3)
    expect(parallel.shed).toBeLessThanOrEqual(1.25 * parallel.minimumMoves)
    expect(exact.services.reduce((s, x) => s + x.clients, 0)).toBe(2000)
    expect(parallel.services.reduce((s, x) => s + x.clients, 0)).toBe(2000)
  })

  it('explains every round: the snapshot version, the counts, the threshold and the amount', async () => {
    const built = await meshWithClients([1000, 1000, 0])
    mesh = built.mesh
    for (const service of built.services) service.shed({ mode: 'exact', roundDurationSeconds: 1 })
    await mesh.clock.advanceUntil(() => built.services.every(s => s.rounds.some(r => r.decision !== undefined)), 10_000, 50)
    const decided = built.services.flatMap(s => s.rounds).find(r => r.decision?.reason === 'shed')!
    expect(decided.snapshotVersion).toBeGreaterThan(0)
    expect(decided.members.map(m => m.count).sort((a, b) => a - b)).toEqual([0, 1000, 1000])
    expect(decided.decision).toMatchObject({ amount: 100, threshold: (2000 / 3) * 1.25 })
    expect(decided.killed).toBe(100)
  })

  it('never sheds before it has heard from every member, nor alone', async () => {
    const built = await meshWithClients([500], FAST)
    mesh = built.mesh
    // Alone, the node completes no push-pull exchange: its view settles only once every member's refresh could
    // have arrived, SETTLE_WITHOUT_SYNC_MS at most. The first round comes at once, before; the next after it.
    const roundMs = 1.2 * defaults.SETTLE_WITHOUT_SYNC_MS
    built.services[0]!.shed({ roundDurationSeconds: roundMs / 1000 })
    await mesh.clock.advance(5 * roundMs)
    const rounds = built.services[0]!.rounds
    expect(rounds[0]?.skipped).toBe('not-settled')
    expect(rounds.slice(1).every(r => r.decision?.reason === 'alone')).toBe(true)
    expect(rounds.every(r => r.killed === 0)).toBe(true)
  })

  it('skips rounds while a member of the namespace is suspect', async () => {
    const built = await meshWithClients([900, 100, 100], FAST)
    mesh = built.mesh
    const [heavy, middle, silent] = built.services as [FakeService, FakeService, FakeService]
    passive(middle.node, middle.clients)
    passive(silent.node, silent.clients)
    // Each node completed a push-pull exchange when it joined: every view is settled once all members are seen.
    await mesh.clock.advance(10)
    mesh.network.partition([heavy.node.id, built.services[1]!.node.id], [silent.node.id])
    await mesh.clock.advanceUntil(() => heavy.node.member(silent.node.id)?.liveness === 'suspect', 2000)
    heavy.shed({ roundDurationSeconds: 0.05 })
    await mesh.clock.advanceUntil(() => heavy.rounds.length >= 1, 1000, 5)
    expect(heavy.rounds[0]?.skipped).toBe('incomplete-view')
    expect(heavy.clients).toBe(900)
  })

  it('logs and skips a round whose count() or killProcesses() fails, and carries on', async () => {
    mesh = await startMesh(2)
    const [node, other] = mesh.nodes as [Cluster, Cluster]
    passive(other, 0)
    const rounds: ShedRound[] = []
    // count() fails from the end of the first round until a round has reported it (polls in between fail too).
    let failing = false
    node.on('shed:round', round => {
      rounds.push(round)
      failing = rounds.length === 1
    })
    node.shedder({
      namespace: 'ws',
      roundDurationSeconds: 0.5,
      implementation: {
        count: () => { if (failing) throw new Error('socket table busy'); return 400 },
        killProcesses: async () => { throw new Error('cannot close sockets') }
      }
    })
    await mesh.clock.advanceUntil(() => rounds.length >= 4, 10_000, 50)
    expect(rounds.map(r => r.skipped)).toContain('count-failed')
    expect(rounds.map(r => r.skipped)).toContain('kill-failed')
    expect(node.isRunning).toBe(true)
  })

  it('never overlaps rounds, even when dropping connections outlasts a round', async () => {
    mesh = await startMesh(2)
    const [node, other] = mesh.nodes as [Cluster, Cluster]
    passive(other, 0)
    let inFlight = 0
    let mostInFlight = 0
    let rounds = 0
    node.shedder({
      namespace: 'ws',
      roundDurationSeconds: 0.1,
      implementation: {
        count: () => 1000,
        killProcesses: async (n: number) => {
          inFlight++
          mostInFlight = Math.max(mostInFlight, inFlight)
          await new Promise<void>(resolve => { mesh!.clock.setTimeout(resolve, 350) })
          inFlight--
          rounds++
          return 0
        }
      }
    })
    await mesh.clock.advanceUntil(() => rounds >= 3, 10_000, 10)
    expect(mostInFlight).toBe(1)
  })

  it('drains: selected by no balancer, hands everything over, then resolves with nothing left', async () => {
    const built = await meshWithClients([300, 100, 100])
    mesh = built.mesh
    const [leaving, ...staying] = built.services as [FakeService, FakeService, FakeService]
    for (const service of built.services) service.shed({ roundDurationSeconds: 1, maxShedCount: 50 })
    // Every node also serves a balancer group of the same name, which only the drain takes the leaving node out of.
    const balancer = built.services.map(service => service.node.loadBalancer({ name: 'ws', algorithm: first() }))[1]
    // The groups joined just now reach the others within the publish interval and the network's delay.
    await mesh.clock.advance(FAST.minPublishIntervalMs + 10)
    expect(balancer!.getMembers().map(m => m.name)).toContain(leaving.node.name)
    let left: number | undefined
    void leaving.node.drain({ withinMs: 2000 }).then(count => { left = count })
    await mesh.clock.advance(20)
    expect(balancer!.getMembers().map(m => m.name)).not.toContain(leaving.node.name)
    await mesh.clock.advanceUntil(() => left !== undefined, 10_000, 20)
    expect(left).toBe(0)
    expect(leaving.clients).toBe(0)
    expect(staying.map(s => s.clients)).toEqual([250, 250])
    expect(leaving.rounds.filter(r => r.killed > 0).every(r => r.killed <= 50)).toBe(true)
  })

  it('announces a count polled between rounds, so the others decide from counts at most countIntervalMs old', async () => {
    mesh = await startMesh(2)
    const [node, other] = mesh.nodes as [Cluster, Cluster]
    let count = 10
    // Like the core README's example: the service never calls announce().
    node.shedder({ namespace: 'ws', roundDurationSeconds: 10, implementation: { count: () => count, killProcesses: async () => 0 } })
    const seen = (): number | undefined => other.member(node.id)?.shedding.get('ws')
    await mesh.clock.advanceUntil(() => seen() === 10, 11_000, 10)
    count = 250
    const took = await mesh.clock.advanceUntil(() => seen() === 250, 5000, 10)
    // The default interval with 10 s rounds is 1 s; the publish and the network add a few ms.
    expect(took).toBeLessThanOrEqual(1000 + FAST.minPublishIntervalMs + 20)
  })

  it('decides on counts at most countAgeBoundMs old, however small its share of the load budget', async () => {
    // Six nodes and 2 load records a second for the cluster: each node may send one every 2.5 s.
    mesh = await startMesh(6, { loadRecordsPerSecond: 2 })
    const [node, watcher] = mesh.nodes as [Cluster, Cluster]
    await mesh.clock.advanceUntil(() => mesh!.nodes.every(n => n.members().length === 6), 1000)
    let count = 0
    /** When each count stopped being the current one. */
    const replacedAt = new Map<number, number>()
    node.shedder({ namespace: 'ws', roundDurationSeconds: 10, implementation: { count: () => count, killProcesses: async () => 0 } })
    const rounds: ShedRound[] = []
    watcher.shedder({ namespace: 'ws', roundDurationSeconds: 10, implementation: { count: () => 0, killProcesses: async () => 0 } }).on('round', round => { rounds.push(round) })
    let worst = 0
    for (let tick = 1; tick <= 300; tick++) {
      replacedAt.set(count, mesh.clock.now())
      count = tick
      await mesh.clock.advance(100)
      const seen = watcher.member(node.id)?.shedding.get('ws')
      if (seen !== undefined && seen !== count) worst = Math.max(worst, mesh.clock.now() - replacedAt.get(seen)!)
    }
    const bound = rounds.at(-1)!.countAgeBoundMs
    // countIntervalMs (1 s with 10 s rounds) and one load record every 5 / 2 s.
    expect(bound).toBe(1000 + 2500)
    // The network's 1 ms comes on top.
    expect(worst).toBeLessThanOrEqual(bound + 2)
    expect(worst).toBeGreaterThan(2000)
  })

  it('does not shed twice for one imbalance when the target announces its new count late', async () => {
    // Slow records rather than lost ones: the target stays alive in every view, as probes wait longer than the delay.
    mesh = await startMesh(2, { probeIntervalMs: 4000, probeTimeoutMs: 4000 })
    const byId = new Map<string, FakeService>()
    const [heavy, light] = mesh.nodes.map((node, i) => new FakeService(node, i === 0 ? 200 : 0, byId)) as [FakeService, FakeService]
    for (const service of [heavy, light]) byId.set(service.node.id, service)
    await mesh.clock.advanceUntil(() => mesh!.nodes.every(node => node.members().length === 2), 1000)
    // What the target says takes 2.5 s to arrive: more than two rounds.
    mesh.network.setDelay((from) => from === light.node.id ? 2500 : 1)
    for (const service of [heavy, light]) service.shed({ roundDurationSeconds: 1 })
    await mesh.clock.advanceUntil(() => heavy.rounds.some(round => round.killed > 0), 20_000, 50)
    await mesh.clock.advance(6000)
    const shedding = heavy.rounds.filter(round => round.killed > 0)
    expect(shedding.map(round => round.killed)).toEqual([100])
    expect([heavy.clients, light.clients]).toEqual([100, 100])
    // The rounds in between decided, on the target's count as it would be with the clients arrived.
    const after = heavy.rounds.slice(heavy.rounds.indexOf(shedding[0]!) + 1)
    expect(after.length).toBeGreaterThanOrEqual(5)
    expect(after.every(round => round.decision?.reason === 'balanced')).toBe(true)
  })
})
