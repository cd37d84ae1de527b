/** One WebSocket server as HAProxy's configuration names it. */
export interface HaproxyServer {
  /** Its name: the server's `--name`, the `node` its reconnect hints carry. */
  name: string
  /** `host:port` of its WebSocket server. */
  address: string
  /** Port of its agent (`--agent-port`), on the same host. Without it HAProxy only health-checks the server. */
  agentPort?: number
}

/** The configuration {@link haproxyConfig} writes. */
export interface HaproxyConfigOptions {
  /** `host:port` the front door listens on. */
  bind: string
  servers: readonly HaproxyServer[]
  /** HAProxy's `balance`; the agents steer both. @default 'roundrobin' */
  balance?: 'roundrobin' | 'leastconn'
  /** Connections HAProxy accepts at once (each takes two file descriptors). @default 10000 */
  maxconn?: number
  /** Interval of the health checks and of the agent checks, in ms. @default 250 */
  checkIntervalMs?: number
}

/**
 * The HAProxy configuration recommended for these servers (HAPROXY.md explains each line): WebSockets in HTTP mode
 * with long tunnel timeouts; `/health` checks that take a draining server out at once; each server's agent setting
 * its weight from its place against the mean, so that the clients shedding closes come back to the servers below
 * it, whatever `balance` is; `?node=NAME` routes a client that follows a reconnect hint to the named server; and a
 * connection refused by a server that just stopped is retried on another.
 */
export function haproxyConfig (options: HaproxyConfigOptions): string {
  const inter = options.checkIntervalMs ?? 250
  return [
    'global',
    `  maxconn ${options.maxconn ?? 10_000}`,
    '',
    'defaults',
    '  mode http',
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    '  timeout connect 2s',
    '  timeout check 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout tunnel 1h',
    '',
    'frontend websockets',
    `  bind ${options.bind}`,
    '  default_backend servers',
    '',
    'backend servers',
    `  balance ${options.balance ?? 'roundrobin'}`,
    '  option httpchk GET /health',
    `  default-server check inter ${inter} fall 1 rise 1 weight 100 agent-inter ${inter}`,
    ...options.servers.map(s => `  use-server ${s.name} if { urlp(node) -m str ${s.name} }`),
    ...options.servers.map(s => `  server ${s.name} ${s.address}${s.agentPort === undefined ? '' : ` agent-check agent-port ${s.agentPort}`}`),
    ''
  ].join('\n')
}
