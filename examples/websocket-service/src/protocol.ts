/**
 * What a server and its clients agree on. A server that sheds a connection closes it with
 * {@link RECONNECT_CLOSE_CODE} and, as the close reason, the reconnect hint: the address of the server the client
 * should reconnect to, with that server's name as the `node` query parameter (`ws://10.0.0.2:8082/?node=ws2`), or
 * nothing when any server will do. The hint is a URL a client can dial as it is (the server ignores the query), and a
 * client behind a front door keeps its path and query and dials the front door instead, which routes on `node`
 * ({@link viaFrontDoor}). Close reasons are limited to 123 bytes by the WebSocket protocol: a hint that would not fit
 * with the name is the bare address.
 */
export const RECONNECT_CLOSE_CODE = 4000

/** The shedding namespace, and the balancer group, of WebSocket servers. */
export const NAMESPACE = 'ws'

/** The most bytes of a close reason (RFC 6455: a control frame carries 125, 2 of them the code). */
export const MAX_CLOSE_REASON_BYTES = 123

/**
 * The first message a server sends on every connection, as JSON text: `{"server":"ws://127.0.0.1:8081","name":"ws1"}`.
 * A client behind a front door learns from it which server it reached.
 */
export interface Greeting {
  /** The server's own address (its `clientAddress`, gossiped to the others and used in their hints). */
  server: string
  /** The server's name (its cluster node's name, the `node` a hint names). */
  name: string
}

/** The close reason that sends a client to server `name` at `address`: `address/?node=name`, or `address` alone if that would not fit. */
export function reconnectHint (address: string, name: string): string {
  const hint = `${address.replace(/\/+$/, '')}/?node=${encodeURIComponent(name)}`
  return Buffer.byteLength(hint) <= MAX_CLOSE_REASON_BYTES ? hint : address
}

/** A close reason read back: the address to dial and, when the hint carries one, the server's name. */
export interface ParsedHint {
  url: string
  name: string | undefined
}

/** Reads a reconnect hint; an empty reason (any server will do) gives undefined. Old, bare-address hints have no name. */
export function parseReconnectHint (reason: string): ParsedHint | undefined {
  if (reason === '') return undefined
  let name: string | undefined
  try {
    name = new URL(reason).searchParams.get('node') ?? undefined
  } catch {}
  return { url: reason, name }
}

/**
 * For a client behind a front door: turns a hint into the front door's address with the hint's path and query, so
 * that `ws://10.0.0.2:8082/?node=ws2` becomes `ws://front:80/?node=ws2` and the front door routes it to ws2. A hint
 * without a name becomes the front door's address as it is, where the front door picks a server.
 */
export function viaFrontDoor (front: string): (hint: string) => string {
  return hint => {
    const parsed = parseReconnectHint(hint)
    if (parsed?.name === undefined) return front
    const url = new URL(front)
    url.searchParams.set('node', parsed.name)
    return url.toString()
  }
}
