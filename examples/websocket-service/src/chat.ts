import { BroadcastRateLimitedError, MessageTooLargeError } from '@meshbalancer/core'
import type { Cluster, Logger } from '@meshbalancer/core'
import type { RawData, WebSocket } from 'ws'

/** The cluster broadcast topic of the chat room. */
export const CHAT_TOPIC = 'chat'

/** Chat messages a server holds while it publishes as fast as the cluster lets it; beyond, they are refused. */
export const MAX_QUEUED = 1000
/** How long a server waits to publish again after reaching its broadcast rate. */
const RETRY_MS = 20

/** What a client sends to say something in the chat room (a JSON text frame). */
export interface ChatRequest {
  chat: string
}

/** What every server sends to each of its clients for every message said in the chat room, once. */
export interface ChatMessage {
  chat: string
  /** The name of the server the message was said on. */
  server: string
  /** The message's broadcast id: the same id never comes twice. */
  id: string
}

/** What a server answers a client whose message it could not send (too large, or beyond a full queue). */
export interface ChatError {
  error: string
  chat: string
}

export interface Chat {
  /**
   * Takes a text frame from a client: a chat request is published to every server (true); anything else is not
   * the chat's (false).
   */
  receive(socket: WebSocket, data: RawData): boolean
}

/**
 * The chat room: a client on any server says `{ "chat": text }`; the server publishes it on the cluster's `chat`
 * topic, and every server, this one included, sends it as a {@link ChatMessage} to each of its own sockets. The
 * cluster delivers each broadcast to each server once, so each client sees each message once.
 */
export function startChat (cluster: Cluster, sockets: () => Iterable<WebSocket>, logger: Logger): Chat {
  // Messages wait their turn here when clients say more than the cluster lets one server publish a second (100 by
  // default): they go out a little later, in order, rather than not at all. Bounded, so that a flood is refused.
  const queue: Array<{ socket: WebSocket, chat: string }> = []
  let draining = false
  const drain = async (): Promise<void> => {
    if (draining) return
    draining = true
    while (queue.length > 0) {
      const { socket, chat } = queue[0]!
      try {
        await cluster.publish(CHAT_TOPIC, JSON.stringify({ chat } satisfies ChatRequest))
      } catch (err) {
        if (err instanceof BroadcastRateLimitedError && cluster.isRunning) {
          await new Promise(resolve => setTimeout(resolve, RETRY_MS))
          continue
        }
        // Too large, or the server is stopping: the sender hears why; nobody else hears anything.
        const code = err instanceof MessageTooLargeError ? err.code : 'UNAVAILABLE'
        if (code === 'UNAVAILABLE') logger.warn(`chat message not sent: ${(err as Error).message}`)
        socket.send(JSON.stringify({ error: code, chat } satisfies ChatError))
      }
      queue.shift()
    }
    draining = false
  }
  cluster.subscribe(CHAT_TOPIC, message => {
    let chat: unknown
    try {
      chat = (JSON.parse(new TextDecoder().decode(message.data)) as Partial<ChatRequest>).chat
    } catch {}
    // Another member may send anything on the topic: only what a server of this example would send goes out.
    if (typeof chat !== 'string') return
    const frame = JSON.stringify({ chat, server: message.fromName, id: message.id } satisfies ChatMessage)
    for (const socket of sockets()) socket.send(frame)
  })
  return {
    receive (socket, data) {
      const text = data.toString()
      if (!text.startsWith('{')) return false
      let chat: unknown
      try {
        chat = (JSON.parse(text) as Partial<ChatRequest>).chat
      } catch {
        return false
      }
      if (typeof chat !== 'string') return false
      if (queue.length >= MAX_QUEUED) {
        socket.send(JSON.stringify({ error: 'BROADCAST_RATE_LIMITED', chat } satisfies ChatError))
        return true
      }
      queue.push({ socket, chat })
      void drain()
      return true
    }
  }
}
