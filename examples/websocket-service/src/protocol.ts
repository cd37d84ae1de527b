/**
 * What a server and its clients agree on. A server that sheds a connection closes it with
 * {@link RECONNECT_CLOSE_CODE} and, as the close reason, the address the client should reconnect to (empty when
 * any will do). Close reasons are limited to 123 bytes by the WebSocket protocol; addresses fit.
 */
export const RECONNECT_CLOSE_CODE = 4000

/** The shedding namespace, and the balancer group, of WebSocket servers. */
export const NAMESPACE = 'ws'

/** The first message a server sends on every connection. */
export interface Greeting {
  /** The server's own address (its `clientAddress`). */
  server: string
  name: string
}
