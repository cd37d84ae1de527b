/**
 * What the RPC suite and its two peer processes tell each other over the IPC channel of `child_process.fork`.
 * Only orders and results travel there, between measurements: the calls measured go over TCP.
 */

/** The three ways of calling echo that the suite compares. */
export type Kind = 'meshbalancer' | 'http' | 'ws'

/** The small JSON object every call sends and gets back, the same for all three. */
export const PAYLOAD = Object.freeze({ id: 42, user: 'ada', roles: ['reader', 'writer'], score: 0.75, active: true })

/** The server is up: where each of its three servers listens. */
export interface ServerReady {
  readonly type: 'server-ready'
  readonly address: string
  readonly peerId: string
  readonly httpPort: number
  readonly wsPort: number
}

/** The client sees the server as an alive member and has its WebSocket open. */
export interface ClientReady {
  readonly type: 'client-ready'
}

/** Make `calls` calls of one kind, `concurrency` at a time. */
export interface RunOrder {
  readonly type: 'run'
  readonly kind: Kind
  readonly calls: number
  readonly concurrency: number
  /** Keep the duration of each call (for percentiles); only the total otherwise. */
  readonly samples: boolean
}

export interface RunResult {
  readonly type: 'result'
  /** Milliseconds from the first call's start to the last one's end. */
  readonly elapsedMs: number
  /** Milliseconds of each call, when asked for. */
  readonly samples: readonly number[]
  /** Calls that failed, or whose answer was not the payload. */
  readonly failed: number
  /** The first failure's message, for the log. */
  readonly firstError?: string
}

export interface StopOrder {
  readonly type: 'stop'
}

export type ToClient = RunOrder | StopOrder
export type FromPeer = ServerReady | ClientReady | RunResult
