/**
 * The IPC messages between the primary and its workers. Every message of ours carries `meshbalancer: <kind>`, so
 * that it never collides with an application's own `process.send()` traffic; the ready message also carries
 * `cmd: 'ready'`, which is what seed-style workers (and recluster's `readyWhen: 'ready'`) already send.
 */

/** Primary → worker: the socket handle sent with this message is a new connection. */
export interface ConnectionMessage { readonly meshbalancer: 'connection' }
/** Primary → worker: answer with a pong carrying `seq`. */
export interface PingMessage { readonly meshbalancer: 'ping', readonly seq: number }
/** Primary → worker: close `count` of the connections handed over (shedding). */
export interface ShedMessage { readonly meshbalancer: 'shed', readonly seq: number, readonly count: number }

/** Worker → primary: ready for connections. */
export interface ReadyMessage { readonly meshbalancer?: 'ready', readonly cmd: 'ready' }
/** Worker → primary: the answer to a ping, with the worker's event-loop lag since its previous pong. */
export interface PongMessage { readonly meshbalancer: 'pong', readonly seq: number, readonly lagMs: number }
/** Worker → primary: the connection handed over last has arrived; the primary closes its own copy. */
export interface AcceptedMessage { readonly meshbalancer: 'accepted' }
/** Worker → primary: one connection handed over has closed. */
export interface ClosedMessage { readonly meshbalancer: 'closed' }
/** Worker → primary: how many connections a shed request closed. */
export interface ShedDoneMessage { readonly meshbalancer: 'shed:done', readonly seq: number, readonly closed: number }

export type PrimaryMessage = ConnectionMessage | PingMessage | ShedMessage
export type WorkerMessage = ReadyMessage | PongMessage | AcceptedMessage | ClosedMessage | ShedDoneMessage

const WORKER_KINDS = new Set(['ready', 'pong', 'accepted', 'closed', 'shed:done'])
const PRIMARY_KINDS = new Set(['connection', 'ping', 'shed'])

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * The message as one of ours from a worker, or undefined when it is the application's own or malformed (a
 * worker is trusted code, but a message that would put NaN into a latency is still refused).
 */
export function asWorkerMessage (message: unknown): WorkerMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const { meshbalancer: kind, cmd } = message as { meshbalancer?: unknown, cmd?: unknown }
  if (kind === undefined) return cmd === 'ready' ? { cmd: 'ready' } : undefined
  if (typeof kind !== 'string' || !WORKER_KINDS.has(kind)) return undefined
  const fields = message as Record<string, unknown>
  if (kind === 'pong') {
    const lag = fields.lagMs
    if (!isCount(fields.seq) || typeof lag !== 'number' || !Number.isFinite(lag) || lag < 0) return undefined
  }
  if (kind === 'shed:done' && (!isCount(fields.seq) || !isCount(fields.closed))) return undefined
  return message as WorkerMessage
}

/** The message as one of ours from the primary, or undefined. */
export function asPrimaryMessage (message: unknown): PrimaryMessage | undefined {
  if (typeof message !== 'object' || message === null) return undefined
  const kind = (message as { meshbalancer?: unknown }).meshbalancer
  if (typeof kind !== 'string' || !PRIMARY_KINDS.has(kind)) return undefined
  const fields = message as Record<string, unknown>
  if (kind === 'ping' && !isCount(fields.seq)) return undefined
  if (kind === 'shed' && (!isCount(fields.seq) || !isCount(fields.count))) return undefined
  return message as PrimaryMessage
}
