import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chromium } from 'playwright-core'
import { silentLogger } from '@meshbalancer/core'
import { startWebsocketService } from '@meshbalancer/example-websocket-service'
import { Dashboard } from '../src/dashboard/server.js'
import type { Browser, Page } from 'playwright-core'
import type { WebsocketService } from '@meshbalancer/example-websocket-service'
import type { MeshState } from '../src/scenario.js'

const MESSAGES = 1000

/** The mesh as the dashboard shows it: three servers, all up. */
function stateOf (services: WebsocketService[]): MeshState {
  return {
    mode: 'parallel',
    phase: 'balanced',
    elapsed: 0,
    clients: { total: 0, connected: 0 },
    nodes: services.map(service => ({
      name: service.node.name,
      url: service.url,
      state: 'up',
      clients: service.count(),
      count: service.count(),
      members: service.node.members().length,
      rounds: service.shedder.rounds,
      shed: service.shedder.shed
    })),
    history: [],
    log: []
  }
}

/** Texts of the chat messages a tab shows, with how many times each. */
async function heard (page: Page): Promise<Map<string, number>> {
  const texts = await page.locator('#chat-log li.message .text').allTextContents()
  const counts = new Map<string, number>()
  for (const text of texts) if (!text.startsWith('warm-up')) counts.set(text, (counts.get(text) ?? 0) + 1)
  return counts
}

// The dashboard's chat box in a real browser: Debian's Chromium, driven headless, one tab on each server.
describe('the dashboard chat box', () => {
  let browser: Browser
  const services: WebsocketService[] = []
  let dashboard: Dashboard

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
    })
    const first = await startWebsocketService({ name: 'ws1', logger: silentLogger, drainWithinMs: 200 })
    services.push(first)
    for (const name of ['ws2', 'ws3']) {
      services.push(await startWebsocketService({ name, join: first.node.self().addresses, logger: silentLogger, drainWithinMs: 200 }))
    }
    dashboard = new Dashboard(() => stateOf(services))
  })

  afterAll(async () => {
    await browser?.close()
    await dashboard?.close()
    for (const service of services) await service.stop()
  })

  it(`brings each of ${MESSAGES} messages said in tabs on different servers to every tab exactly once`, async () => {
    const url = await dashboard.listen(0)
    const deadline = Date.now() + 20_000
    while (!services.every(service => service.node.members().length === 3)) {
      if (Date.now() > deadline) throw new Error('the servers did not see each other within 20 s')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const tabs: Page[] = []
    for (const server of ['ws1', 'ws2', 'ws3']) {
      const page = await browser.newPage()
      await page.goto(`${url}?server=${server}`)
      await page.waitForFunction(`document.getElementById('chat-status').dataset.server === '${server}'`, undefined, { timeout: 20_000 })
      tabs.push(page)
    }
    expect(services.map(service => service.count())).toEqual([1, 1, 1])

    // Said through the box until every tab shows a message from every server: by then the servers know each
    // other's subscriptions.
    const warmDeadline = Date.now() + 20_000
    const serversShown = async (page: Page): Promise<number> => new Set(await page.locator('#chat-log li.message .server').allTextContents()).size
    while ((await Promise.all(tabs.map(serversShown))).some(count => count < 3)) {
      if (Date.now() > warmDeadline) throw new Error('warm-up messages from every server not shown in every tab')
      for (const page of tabs) {
        await page.fill('#chat-input', 'warm-up')
        await page.press('#chat-input', 'Enter')
      }
      await tabs[0]!.waitForTimeout(200)
    }

    // Each tab says its share through the form, 5 every 100 ms (about 50 a second per server, within its 100).
    await Promise.all(tabs.map(async (page, t) => {
      // A string, run in the page (whose DOM the test's types do not know).
      await page.evaluate(`(async () => {
        const input = document.getElementById('chat-input')
        const form = document.getElementById('chat-form')
        let sent = 0
        for (let n = ${t}; n < ${MESSAGES}; n += 3) {
          input.value = 'message ' + n
          form.requestSubmit()
          if (++sent % 5 === 0) await new Promise(resolve => setTimeout(resolve, 100))
        }
      })()`)
    }))
    for (const page of tabs) {
      await page.waitForFunction(
        `[...document.querySelectorAll('#chat-log li.message .text')].filter(e => e.textContent.startsWith('message ')).length >= ${MESSAGES}`,
        undefined, { timeout: 30_000 }
      ).catch(() => undefined)
    }
    // Time for a duplicate to show, were one on its way.
    await tabs[0]!.waitForTimeout(500)
    for (const page of tabs) {
      const counts = await heard(page)
      expect((await page.locator('#chat-log li.error').allTextContents()).slice(0, 3)).toEqual([])
      expect(counts.size).toBe(MESSAGES)
      expect([...counts].filter(([, count]) => count !== 1)).toEqual([])
    }
    for (const service of services) {
      expect(Object.values(service.node.stats().broadcastsRejected).reduce((sum, count) => sum + count, 0)).toBe(0)
    }
  }, 150_000)
})
