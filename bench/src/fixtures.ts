import { createCluster, silentLogger } from '@meshbalancer/core'
import { encodeProbeResponse, memberRecord, probeProtocol, signRecord, stateTopic } from '@meshbalancer/core/protocol'
import { ManualClock, MemoryNetwork } from '@meshbalancer/core/testing'
import type { Cluster } from '@meshbalancer/core'

/**
 * A real cluster node on the in-memory network whose view holds `members` other members of `group`, each announced
 * by its own transport with a real signed record, exactly as gossip would deliver them. Loads vary (0 to 6) and
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
    // One member probed every 30 ms of virtual time, so that round trips of every member are measured quickly; the
    // timeout is above the longest round trip of the network below (2 × 13 ms). The announcing transports answer
    // direct probes, as members do, and so stay alive.
    probeIntervalMs: 30,
    probeTimeoutMs: 30,
    incarnation: 1
  })
  for (let i = 0; i < members; i++) {
    const transport = network.createTransport(`peer-${String(i).padStart(5, '0')}`)
    await transport.start()
    // A direct probe names no target and is answered with an ack at once (docs/PROTOCOL.md, 2.8).
    transport.handleRequests(probeProtocol(cluster.clusterName), async () => encodeProbeResponse(true))
    await transport.publish(stateTopic(cluster.clusterName), await signRecord(memberRecord({
      origin: transport.id,
      name: `member-${i}`,
      incarnation: 1,
      sequence: 1,
      groups: new Map([[group, i % 7]]),
      weight: 1 + (i % 3)
    }), async payload => await transport.sign(payload)))
  }
  // Deliver the records, then let the failure detector's probes (one member per interval) measure every member twice.
  await clock.advance(20)
  await clock.advanceUntil(() => cluster.members().every(member => member.latencyMs !== undefined), 60_000, 20)
  await clock.advance(members * 30)
  return cluster
}
