import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chromium } from 'playwright-core'
import { runExample } from './run-example.js'
import type { Browser } from 'playwright-core'
import type { ExampleRun } from './run-example.js'

// The dashboard in a real browser: Debian's Chromium (scripts/install-system-deps.sh installs it), driven headless.
describe('the mesh dashboard', () => {
  let browser: Browser
  let run: ExampleRun

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']
    })
  })

  afterAll(async () => {
    await browser?.close()
    run?.child.kill('SIGINT')
    await run?.done
  })

  it('lists every server and shows its count change as clients move', async () => {
    run = runExample(['--nodes', '3', '--clients', '300', '--mode', 'parallel', '--round-seconds', '1'])
    const [, url] = await run.line(/^dashboard: (\S+)$/, 30_000) as [string, string]
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForFunction("document.querySelectorAll('#nodes tbody tr').length === 3", undefined, { timeout: 60_000 })
    expect(await page.locator('#nodes tbody tr td.name').allTextContents()).toEqual(['ws1', 'ws2', 'ws3'])

    // Wait for all clients, then for the deploy to empty ws1: the page must show its count fall and rise again.
    await page.waitForFunction("document.getElementById('summary').textContent.includes('clients 300/300')", undefined, { timeout: 60_000 })
    const seen = new Set<string>()
    const deadline = Date.now() + 90_000
    while (Date.now() < deadline && !(seen.has('0') && [...seen].some(count => Number(count) >= 80))) {
      seen.add(await page.locator('#nodes tbody tr[data-node="ws1"] td.count').innerText())
      await page.waitForTimeout(100)
    }
    // On failure jest prints every count the page showed for ws1.
    expect([...seen]).toContain('0')
    expect([...seen].some(count => Number(count) >= 80)).toBe(true)
    expect(await page.locator('#chart polyline').count()).toBe(3)
    // Each server's Prometheus metrics, shown on the page. The page shows ws1, which the deploy has just restarted:
    // its labelled counters have no samples until its first shedding round, so wait for one (rounds run every second).
    const shedRounds = /meshbalancer_shed_rounds_total\{namespace="ws",result="[a-z-]+"\} \d+/
    await page.waitForFunction(
      `${shedRounds}.test(document.getElementById('metrics').textContent)`, undefined, { timeout: 30_000 }
    ).catch(() => undefined)
    expect(await page.locator('#metrics').innerText()).toMatch(shedRounds)
  }, 180_000)
})
