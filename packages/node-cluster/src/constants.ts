/** Defaults of the balancer's and the worker's options; each is documented where the option is declared. */

/** How often the primary pings each worker over IPC. */
export const DEFAULT_PING_INTERVAL_MS = 250
/** How fast a worker's measured latency falls back after a slow answer (time constant of the decay). */
export const DEFAULT_LATENCY_DECAY_MS = 5000
/** How long `reload()` waits for a new worker to say it is ready. */
export const DEFAULT_READY_TIMEOUT_MS = 30_000
/** How long a disconnected worker may take to close its connections and exit before it is killed. */
export const DEFAULT_DISCONNECT_TIMEOUT_MS = 30_000
/** How long `shed()` waits for the workers to report what they closed. */
export const DEFAULT_SHED_TIMEOUT_MS = 5000
/** The tick of a worker's event-loop lag timer. */
export const DEFAULT_LAG_RESOLUTION_MS = 10
