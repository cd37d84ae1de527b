import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A TCP port free on 127.0.0.1 now, for a node that must listen (or come back) at a known address. The port is
 * released before it is returned, so another process may take it meanwhile: fine for tests and benchmarks on one
 * machine, not a reservation.
 */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject).listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}
