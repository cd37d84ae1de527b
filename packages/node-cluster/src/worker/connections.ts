import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Server, Socket } from 'node:net'

/**
 * The connections a worker was handed, oldest first, and for an HTTP server which of them are between requests,
 * so that draining and shedding close idle connections at once, and busy ones, or new ones that have yet to send
 * their first request, after their response: no request is cut off.
 */
export class HandedConnections {
  private readonly sockets = new Set<Socket>()
  private readonly busy = new Map<Socket, number>()
  /** The response in progress on each busy socket, whose headers may still say that the connection ends. */
  private readonly responses = new Map<Socket, ServerResponse>()
  private readonly closeAfterResponse = new Set<Socket>()
  /**
   * Connections that have had a response. One that has not is not idle, even with no request in progress: its
   * first request may be on its way, and ending it then would reset a client that did nothing wrong.
   */
  private readonly served = new Set<Socket>()
  private draining = false

  constructor (server: Server, private readonly closed: (socket: Socket) => void) {
    // Only HTTP servers emit 'request'; for any other server every connection counts as busy until it closes.
    // First among the listeners, so that the header below is set before the application writes its response.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => { this.request(req, res) })
    this.http = 'maxHeadersCount' in server
  }

  private readonly http: boolean

  get size (): number {
    return this.sockets.size
  }

  /** The open connections, oldest first. */
  list (): Socket[] {
    return [...this.sockets]
  }

  add (socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => {
      this.sockets.delete(socket)
      this.busy.delete(socket)
      this.responses.delete(socket)
      this.closeAfterResponse.delete(socket)
      this.served.delete(socket)
      this.closed(socket)
    })
    if (this.draining) this.close(socket)
  }

  /** Closes every connection as soon as it is idle, and keeps new requests from keeping theirs open. */
  drain (): void {
    this.draining = true
    for (const socket of this.sockets) this.close(socket)
  }

  /** Closes up to `count` connections, idle ones first, oldest first; returns how many it closes. */
  shed (count: number): number {
    const idle = [...this.sockets].filter(socket => this.isIdle(socket) && !this.closeAfterResponse.has(socket))
    const busy = [...this.sockets].filter(socket => !this.isIdle(socket) && !this.closeAfterResponse.has(socket))
    const chosen = [...idle, ...busy].slice(0, count)
    for (const socket of chosen) this.close(socket)
    return chosen.length
  }

  private isIdle (socket: Socket): boolean {
    return this.http && (this.busy.get(socket) ?? 0) === 0 && this.served.has(socket)
  }

  private close (socket: Socket): void {
    if (this.isIdle(socket)) {
      socket.end()
      return
    }
    this.closeAfterResponse.add(socket)
    const response = this.responses.get(socket)
    if (response !== undefined && !response.headersSent) response.setHeader('connection', 'close')
  }

  private request (req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket
    if (!this.sockets.has(socket)) return
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1)
    this.responses.set(socket, res)
    // Tells the client this connection ends with this response, so that it does not send the next request on it.
    if ((this.draining || this.closeAfterResponse.has(socket)) && !res.headersSent) res.setHeader('connection', 'close')
    res.once('close', () => {
      const left = (this.busy.get(socket) ?? 1) - 1
      this.busy.set(socket, left)
      this.served.add(socket)
      if (this.responses.get(socket) === res) this.responses.delete(socket)
      if (left === 0 && this.closeAfterResponse.has(socket)) socket.end()
    })
  }
}
