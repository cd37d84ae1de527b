import { afterEach, describe, expect, it } from '@jest/globals'
import { connect } from 'node:net'
import { silentLogger } from '@meshbalancer/core'
import { agentReply, ReconnectingClient, startWebsocketService } from '../src/index.js'
import type { WebsocketService } from '../src/index.js'

const up = (count: number): { count: number, draining: boolean } => ({ count, draining: false })

describe('agentReply', () => {
  it('answers full weight to all while every server is within the allowed deviation', () => {
    expect(agentReply(up(100), [up(101), up(99), up(100)], 2)).toBe('ready 100%')
    expect(agentReply(up(0), [], 2)).toBe('ready 100%')
  })

  it('weighs the servers below the mean by their room, the emptiest at 100 %, and the others at 1 %', () => {
    // Mean 250: the restarted server has all the room, the three others none.
    expect(agentReply(up(0), [up(334), up(333), up(333)], 2)).toBe('ready 100%')
    expect(agentReply(up(334), [up(0), up(333), up(333)], 2)).toBe('ready 1%')
    // Mean 200: room 200 and 100.
    expect(agentReply(up(100), [up(0), up(350), up(350)], 2)).toBe('ready 50%')
  })

  it('drains while draining, and counts what a draining server holds toward the mean of the others', () => {
    expect(agentReply({ count: 300, draining: true }, [up(300), up(300)], 2)).toBe('drain')
    // 900 clients for the two that take connections: both below a mean of 450.
    expect(agentReply(up(300), [{ count: 300, draining: true }, up(300)], 2)).toBe('ready 100%')
  })

  it('never answers a weight of 0, which would take the server out of HAProxy', () => {
    for (let count = 0; count < 1000; count += 37) {
      expect(agentReply(up(count), [up(1000 - count), up(0)], 2)).toMatch(/^ready ([1-9]\d*)%$/)
    }
  })
})

describe('the HAProxy agent of a running server', () => {
  const services: WebsocketService[] = []
  const clients: ReconnectingClient[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.stop()
    for (const service of services.splice(0)) await service.stop()
  })

  async function ask (port: number): Promise<string> {
    return await new Promise((resolve, reject) => {
      let text = ''
      const socket = connect(port, '127.0.0.1')
      socket.on('data', chunk => { text += chunk.toString() })
      socket.once('end', () => { resolve(text) })
      socket.once('error', reject)
    })
  }

  async function untilAnswer (port: number, expected: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while ((last = await ask(port)) !== expected) {
      if (Date.now() > deadline) throw new Error(`the agent answered ${JSON.stringify(last)}, not ${JSON.stringify(expected)}, for ${timeoutMs} ms`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  it('answers one line from its place against the gossiped mean, and drain once it drains', async () => {
    // Rounds far apart: the imbalance stays while the agents are asked.
    const shed = { roundDurationSeconds: 600, allowedAverageDeviationPercent: 2, minShedCount: 5 }
    const a = await startWebsocketService({ name: 'a', agentPort: 0, shed, logger: silentLogger, drainWithinMs: 1500 })
    services.push(a)
    const b = await startWebsocketService({ name: 'b', join: a.node.self().addresses, agentPort: 0, shed, logger: silentLogger })
    services.push(b)
    expect(a.agentPort).toBeGreaterThan(0)
    for (let i = 0; i < 40; i++) {
      const client = new ReconnectingClient({ pick: () => a.url, jitterMs: 50 })
      clients.push(client)
      client.start()
    }
    await untilAnswer(a.agentPort!, 'ready 1%\n', 10_000)
    await untilAnswer(b.agentPort!, 'ready 100%\n', 10_000)
    const stopping = a.stop()
    await untilAnswer(a.agentPort!, 'drain\n', 2000)
    await stopping
    services.splice(services.indexOf(a), 1)
  })

  it('is off unless asked for', async () => {
    const a = await startWebsocketService({ name: 'a', logger: silentLogger })
    services.push(a)
    expect(a.agentPort).toBeUndefined()
  })
})
