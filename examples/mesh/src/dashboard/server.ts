import { createServer } from 'node:http'
import { PAGE } from './page.js'
import type { Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MeshState } from '../scenario.js'

/**
 * Serves the dashboard page at /, the current state as JSON at /state, and each server's Prometheus metrics at
 * /metrics/<server> (fetched from the server's own /metrics).
 */
export class Dashboard {
  private readonly server: Server

  constructor (private readonly state: () => MeshState | undefined) {
    this.server = createServer((request, response) => {
      const metrics = /^\/metrics\/([\w-]+)$/.exec(request.url ?? '')
      if (metrics !== null) {
        this.proxyMetrics(metrics[1]!, response)
      } else if (/^\/(index\.html)?(\?.*)?$/.test(request.url ?? '')) {
        // The page reads its query itself (`?server=ws2` for the chat box).
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      } else if (request.url === '/state') {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(this.state() ?? null))
      } else {
        response.writeHead(404).end('not found\n')
      }
    })
  }

  private proxyMetrics (name: string, response: ServerResponse): void {
    const node = this.state()?.nodes.find(candidate => candidate.name === name)
    if (node === undefined) {
      response.writeHead(404).end(`no server ${name}\n`)
      return
    }
    fetch(`${node.url.replace(/^ws:/, 'http:')}/metrics`, { signal: AbortSignal.timeout(2000) })
      .then(async upstream => {
        response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' }).end(await upstream.text())
      })
      .catch((err: Error) => { response.writeHead(502).end(`${name} did not answer: ${err.message}\n`) })
  }

  async listen (port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => { resolve() })
    })
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
  }

  async close (): Promise<void> {
    this.server.closeAllConnections()
    await new Promise(resolve => { this.server.close(resolve) })
  }
}
