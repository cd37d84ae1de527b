import { createServer } from 'node:http'
import { PAGE } from './page.js'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MeshState } from '../scenario.js'

/** Serves the dashboard page at / and the current state as JSON at /state. */
export class Dashboard {
  private readonly server: Server

  constructor (private readonly state: () => MeshState | undefined) {
    this.server = createServer((request, response) => {
      if (request.url === '/' || request.url === '/index.html') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      } else if (request.url === '/state') {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(this.state() ?? null))
      } else {
        response.writeHead(404).end('not found\n')
      }
    })
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
