import { describeCompliance } from '../src/compliance/index.js'
import { hashRing, leastConnections, leastLatency, powerOfTwo, random, roundRobin, weightedRoundRobin } from '../src/index.js'
import { testMembers } from '../src/compliance/members.js'

describeCompliance('random', ({ random: draw }) => random({ random: draw }))
describeCompliance('roundRobin', () => roundRobin())
describeCompliance('leastConnections', ({ random: draw }) => leastConnections({ random: draw }))
describeCompliance('powerOfTwo', ({ random: draw }) => powerOfTwo({ random: draw }))
describeCompliance('hashRing', ({ random: draw }) => hashRing({ random: draw }))
describeCompliance('weightedRoundRobin', () => weightedRoundRobin(), {
  members: (count) => testMembers(count, i => ({ weight: 1 + (i % 3) }))
})
describeCompliance('leastLatency', ({ random: draw }) => leastLatency({ random: draw }))
// With measured latencies and loads, the slowest or busiest members are rightly never picked.
describeCompliance('leastLatency with measured latencies', ({ random: draw }) => leastLatency({ random: draw }), {
  members: (count) => testMembers(count, i => ({ latencyMs: i % 4 === 3 ? undefined : 1 + i })),
  everyMemberReachable: false
})
describeCompliance('leastConnections with gossiped loads', ({ random: draw }) => leastConnections({ random: draw }), {
  members: (count) => testMembers(count, i => ({ load: (i * 7) % 5 })),
  everyMemberReachable: false
})
