import type { PrimaryMessage } from '../protocol.js'
import type { WorkerEntry } from './worker-entry.js'

interface Pending { readonly resolve: (closed: number) => void, readonly timer: NodeJS.Timeout }

/**
 * The shed requests in flight to workers: `shed(n)` splits n over the workers, most loaded first, and sums what
 * each reports it closed. A worker that does not answer in time, or goes away, counts 0.
 */
export class ShedRequests {
  private readonly pending = new Map<string, Pending>()
  private seq = 0

  constructor (private readonly timeoutMs: number) {}

  async shed (entries: readonly WorkerEntry[], count: number, send: (entry: WorkerEntry, message: PrimaryMessage) => void): Promise<number> {
    const shares = split(entries, count)
    const answers = [...shares].map(async ([entry, share]) => {
      const seq = ++this.seq
      const answer = new Promise<number>(resolve => {
        const timer = setTimeout(() => { this.settle(entry, seq, 0) }, this.timeoutMs)
        timer.unref()
        this.pending.set(key(entry, seq), { resolve, timer })
      })
      send(entry, { meshbalancer: 'shed', seq, count: share })
      return await answer
    })
    const closed = await Promise.all(answers)
    return closed.reduce((sum, n) => sum + n, 0)
  }

  done (entry: WorkerEntry, seq: number, closed: number): void {
    this.settle(entry, seq, closed)
  }

  /** The worker went away: its requests count 0. */
  gone (entry: WorkerEntry): void {
    for (const id of [...this.pending.keys()]) if (id.startsWith(`${entry.id}:`)) this.settleKey(id, 0)
  }

  close (): void {
    for (const id of [...this.pending.keys()]) this.settleKey(id, 0)
  }

  private settle (entry: WorkerEntry, seq: number, closed: number): void {
    this.settleKey(key(entry, seq), closed)
  }

  private settleKey (id: string, closed: number): void {
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    clearTimeout(pending.timer)
    pending.resolve(closed)
  }
}

function key (entry: WorkerEntry, seq: number): string {
  return `${entry.id}:${seq}`
}

/** Splits `count` over the entries one connection at a time, always from the one with the most left. */
function split (entries: readonly WorkerEntry[], count: number): Map<WorkerEntry, number> {
  const left = new Map(entries.map(entry => [entry, entry.connections]))
  const shares = new Map<WorkerEntry, number>()
  for (let i = 0; i < count; i++) {
    let most: WorkerEntry | undefined
    for (const [entry, open] of left) if (open > 0 && (most === undefined || open > left.get(most)!)) most = entry
    if (most === undefined) break
    left.set(most, left.get(most)! - 1)
    shares.set(most, (shares.get(most) ?? 0) + 1)
  }
  return shares
}
