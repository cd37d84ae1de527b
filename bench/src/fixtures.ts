import { createCluster, silentLogger } from '@meshbalancer/core'
import { encodeRecord, memberRecord } from '@meshbalancer/core/protocol'
import { ManualClock, MemoryNetwork } from '@meshbalancer/core/testing'
import type { Cluster } from '@meshbalancer/core'

/**
 * A real cluster node on the in-memory network whose view holds `members` other members of `group`, each announced
 * by its own transport with a real encoded record, exactly as gossip would deliver them. Loads vary (0 to 6) and
 * every link has its own delay, so latency-aware algorithms see measured, distinct latencies.
 */
export async function clusterWithMembers (members: number, group: string): Promise<Cluster> {
  const clock = new ManualClock(1)
  const network = new MemoryNetwork({ clock, delayMs: (from, to) => 1 + (Number((from + to).replace(/\D/g, '')) % 13) })
  const cluster = await createCluster({
    name: 'bench',
    transport: network.createTransport('bench'),
    clock,
    logger: silentLogger,
    latencyProbeIntervalMs: 1,
    incarnation: 1,
    // The announcing transports never heartbeat: keep them alive for as long as virtual time runs here.
    heartbeatIntervalMs: 60_000,
    suspectAfterMs: 600_000,
    deadAfterMs: 900_000
  })
  for (let i = 0; i < members; i++) {
    const transport = network.createTransport(`peer-${String(i).padStart(5, '0')}`)
    await transport.start()
    await transport.publish(`/meshbalancer/${cluster.clusterName}/state/1`, encodeRecord(memberRecord({
      origin: transport.id,
      name: `member-${i}`,
      incarnation: 1,
      sequence: 1,
      groups: new Map([[group, i % 7]]),
      weight: 1 + (i % 3)
    })))
  }
  // Deliver the records, then let the prober (8 members per interval) measure every member twice.
  await clock.advance(20)
  await clock.advanceUntil(() => cluster.members().every(member => member.latencyMs !== undefined), 60_000, 20)
  await clock.advance(Math.ceil(members / 8) * 2)
  return cluster
}
