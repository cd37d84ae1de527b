import { WebSocket } from 'ws'
import { RECONNECT_CLOSE_CODE } from './protocol.js'
import type { Greeting } from './protocol.js'

export interface ReconnectingClientOptions {
  /** Where to connect when there is no hint to follow: like a DNS name that resolves to one of the servers. */
  pick(): string | undefined
  /** Follow the address a shedding server names in its close reason. @default true */
  followHints?: boolean
  /** Reconnects wait a random time up to this, so that shed clients do not arrive at once. @default 500 */
  jitterMs?: number
  /**
   * Turns a hint (see protocol.ts) into the address to dial, for clients behind a front door: `viaFrontDoor(url)`
   * keeps the hint's `?node=NAME` and dials the front door. @default as is
   */
  resolveHint?(hint: string): string
  /**
   * Called with every problem as it is counted, and the server it concerns: the address in the server's greeting
   * for a close, the address dialed for a connection that failed. Lets a caller tell apart, say, the closes of a
   * server that was killed.
   */
  onProblem?(what: string, server: string): void
}

/** What a client went through. */
export interface ClientStats {
  connects: number
  /** Closes with the reconnect code: planned. */
  plannedCloses: number
  /** Any other close of an open connection. */
  unexpectedCloses: number
  /** Connections that failed to open, or errored. */
  errors: number
  /**
   * Every unexpected close and error by what it was (`error: <message>` or `close <code>`), so that a run that went
   * wrong says how.
   */
  problems: Record<string, number>
}

/**
 * A WebSocket client that stays connected: when a server closes it with the reconnect code it reconnects, after a
 * little jitter, to the address in the close reason (or wherever `pick` says); after anything else it reconnects
 * as well, and counts what went wrong.
 */
export class ReconnectingClient {
  readonly stats: ClientStats = { connects: 0, plannedCloses: 0, unexpectedCloses: 0, errors: 0, problems: {} }
  /** The server it is connected to, as the server's greeting named it. */
  server: string | undefined
  /** The first server it reached, where it was placed before any close moved it. */
  firstServer: string | undefined
  private open = false
  private socket: WebSocket | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor (private readonly options: ReconnectingClientOptions) {}

  get connected (): boolean {
    return this.open
  }

  start (): void {
    this.connect(this.options.pick())
  }

  /** Closes for good. */
  stop (): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.socket?.removeAllListeners()
    this.socket?.on('error', () => {})
    this.socket?.terminate()
    this.open = false
    this.server = undefined
  }

  private connect (target: string | undefined): void {
    if (this.stopped) return
    if (target === undefined) {
      this.later(undefined)
      return
    }
    const socket = new WebSocket(target)
    this.socket = socket
    let opened = false
    socket.on('open', () => {
      opened = true
      this.open = true
      this.stats.connects++
    })
    let greeted: string | undefined
    socket.once('message', data => {
      try {
        this.server = (JSON.parse(data.toString()) as Greeting).server
      } catch {
        this.server = target
      }
      this.firstServer ??= this.server
      greeted = this.server
    })
    socket.on('error', err => {
      if (opened) return
      this.stats.errors++
      this.problem(`error: ${err.message}`, target)
    })
    socket.on('close', (code, reason) => {
      this.open = false
      this.server = undefined
      if (this.stopped) return
      if (code === RECONNECT_CLOSE_CODE) {
        this.stats.plannedCloses++
        const hinted = reason.toString()
        const follow = (this.options.followHints ?? true) && hinted !== ''
        this.later(follow ? (this.options.resolveHint?.(hinted) ?? hinted) : undefined)
      } else {
        if (opened) {
          this.stats.unexpectedCloses++
          this.problem(`close ${code}`, greeted ?? target)
        }
        this.later(undefined)
      }
    })
  }

  private problem (what: string, server: string): void {
    this.stats.problems[what] = (this.stats.problems[what] ?? 0) + 1
    this.options.onProblem?.(what, server)
  }

  private later (target: string | undefined): void {
    const delay = Math.random() * (this.options.jitterMs ?? 500)
    this.timer = setTimeout(() => { this.connect(target ?? this.options.pick()) }, delay)
  }
}
