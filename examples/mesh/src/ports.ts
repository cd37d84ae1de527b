import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

/** `count` TCP ports free on 127.0.0.1 right now, to give servers fixed addresses across restarts. */
export async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, async () => await new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve(server) })
  })))
  const ports = servers.map(server => (server.address() as AddressInfo).port)
  await Promise.all(servers.map(async server => { await new Promise(resolve => { server.close(resolve) }) }))
  return ports
}
