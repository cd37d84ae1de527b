import { afterEach, describe, expect, it } from '@jest/globals'
import { WebSocket } from 'ws'
import { silentLogger } from '@meshbalancer/core'
import { startWebsocketService } from '../src/index.js'
import type { ChatError, ChatMessage, WebsocketService } from '../src/index.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
async function until (condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what()} within ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** A chat client: a plain WebSocket that counts every chat message it receives, by text. */
class ChatClient {
  readonly heard = new Map<string, number>()
  readonly serversHeard = new Set<string>()
  readonly errors: ChatError[] = []
  readonly socket: WebSocket

  constructor (readonly service: WebsocketService) {
    this.socket = new WebSocket(service.url)
    this.socket.on('message', data => {
      const frame = JSON.parse(data.toString()) as Partial<ChatMessage & ChatError>
      if (frame.error !== undefined) this.errors.push(frame as ChatError)
      else if (typeof frame.chat === 'string') {
        this.serversHeard.add(frame.server!)
        if (!frame.chat.startsWith('warm-up')) this.heard.set(frame.chat, (this.heard.get(frame.chat) ?? 0) + 1)
      }
    })
  }

  async open (): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return
    await new Promise((resolve, reject) => { this.socket.once('open', resolve).once('error', reject) })
  }

  say (text: string): void {
    this.socket.send(JSON.stringify({ chat: text }))
  }
}

describe('the chat room', () => {
  const services: WebsocketService[] = []
  const clients: ChatClient[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate()
    for (const service of services.splice(0)) await service.stop()
  })

  it('brings every message from a client on any of 3 servers to every client on every server exactly once', async () => {
    const first = await startWebsocketService({ name: 's1', logger: silentLogger, drainWithinMs: 200 })
    services.push(first)
    for (const name of ['s2', 's3']) {
      services.push(await startWebsocketService({ name, join: first.node.self().addresses, logger: silentLogger, drainWithinMs: 200 }))
    }
    await until(() => services.every(s => s.node.members().length === 3), 20_000, () => 'every server seeing 3 members not reached')
    for (const service of services) for (let i = 0; i < 3; i++) clients.push(new ChatClient(service))
    for (const client of clients) await client.open()

    // Until every client has heard each server: by then every server knows the others' subscriptions.
    const deadline = Date.now() + 20_000
    while (!clients.every(client => client.serversHeard.size === 3)) {
      if (Date.now() > deadline) throw new Error('warm-up messages from every server not heard by every client')
      for (let s = 0; s < 3; s++) clients[3 * s]!.say(`warm-up ${s}`)
      await sleep(200)
    }

    // 1,000 messages from the 9 clients in turn, 20 every 100 ms: each server publishes about 67 a second, within
    // its rate of 100.
    for (let n = 0; n < 1000; n++) {
      clients[n % clients.length]!.say(`message ${n}`)
      if (n % 20 === 19) await sleep(100)
    }
    await until(() => clients.every(client => client.heard.size === 1000), 30_000,
      () => `every client hearing 1,000 messages not reached: ${clients.map(c => c.heard.size).join(', ')}`)
    // Give a duplicate the time to arrive, were one on its way.
    await sleep(500)
    for (const client of clients) {
      expect(client.errors).toEqual([])
      expect(client.heard.size).toBe(1000)
      expect([...client.heard].filter(([, count]) => count !== 1)).toEqual([])
    }
    for (const service of services) {
      expect(Object.values(service.node.stats().broadcastsRejected).reduce((sum, count) => sum + count, 0)).toBe(0)
    }
  }, 90_000)

  it('tells the sender of an oversized message why it was not sent, and nobody else anything', async () => {
    const service = await startWebsocketService({ name: 's1', logger: silentLogger, drainWithinMs: 200 })
    services.push(service)
    const [sender, listener] = [new ChatClient(service), new ChatClient(service)]
    clients.push(sender, listener)
    await sender.open()
    await listener.open()
    sender.say('x'.repeat(9000))
    sender.say('small')
    await until(() => listener.heard.has('small'), 5000, () => 'the small message not heard')
    expect(sender.errors).toEqual([{ error: 'MESSAGE_TOO_LARGE', chat: 'x'.repeat(9000) }])
    expect([...listener.heard.keys()]).toEqual(['small'])
    expect(listener.errors).toEqual([])
  })

  it('still echoes what is not a chat message', async () => {
    const service = await startWebsocketService({ name: 's1', logger: silentLogger, drainWithinMs: 200 })
    services.push(service)
    const socket = new WebSocket(service.url)
    const frames: string[] = []
    socket.on('message', data => { frames.push(data.toString()) })
    await new Promise(resolve => socket.once('open', resolve))
    socket.send('ping')
    socket.send('{"not":"chat"}')
    await until(() => frames.length === 3, 5000, () => `echoes not received: ${JSON.stringify(frames)}`)
    socket.terminate()
    expect(frames.slice(1)).toEqual(['ping', '{"not":"chat"}'])
  })
})
