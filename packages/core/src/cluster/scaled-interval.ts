/**
 * The interval of a periodic message that every member sends to others (the refresh, the periodic push-pull) in a
 * cluster of `members`, itself included: `baseMs` up to `scalePeers` other members, then growing in proportion to
 * them, so that what each member receives of it per second, and the bytes that costs, stay the same whatever the
 * size of the cluster.
 */
export function scaledInterval (baseMs: number, members: number, scalePeers: number): number {
  return baseMs * Math.max(1, (members - 1) / scalePeers)
}
