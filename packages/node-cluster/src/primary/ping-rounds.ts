/** Rounds kept for late answers; an answer older than this counts its whole round trip. */
const KEPT_ROUNDS = 16

/**
 * The primary pings every worker at once, one round per interval, and measures each worker against the first
 * answer of its round: the part of a round trip that every worker shares (the primary's own loop, a machine
 * where every process waits for a core) is not a reason to prefer one worker, and under leastLatency's
 * latency × (connections + 1) it would make the choice least connections, blind to the blocked worker.
 */
export class PingRounds {
  private seq = 0
  private readonly firstAnswer = new Map<number, number>()

  /** Starts a round; returns its seq. */
  next (): number {
    this.seq++
    this.firstAnswer.delete(this.seq - KEPT_ROUNDS)
    return this.seq
  }

  /**
   * How much later than the first answer of round `seq` an answer arriving at `now` is (0 for the first);
   * for a round too old to be kept, the whole round trip since `sentAt`.
   */
  excess (seq: number, now: number, sentAt: number): number {
    if (seq <= this.seq - KEPT_ROUNDS) return now - sentAt
    const first = this.firstAnswer.get(seq)
    if (first === undefined) {
      this.firstAnswer.set(seq, now)
      return 0
    }
    return now - first
  }
}
