import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** The kernel's range of ephemeral ports, the local ports it gives outgoing connections. */
function ephemeralRange (): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!]
  } catch {}
  return [32768, 60999]
}

async function canListen (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

/**
 * `count` TCP ports free on 127.0.0.1 right now, to give servers fixed addresses across restarts. They are taken
 * below the ephemeral range: a port from inside it can be handed, while its server restarts, to one of the
 * thousands of outgoing connections that clients and the front door open, and the server could not listen again.
 */
export async function freePorts (count: number): Promise<number[]> {
  const [ephemeralLow] = ephemeralRange()
  const low = 10_000
  const high = Math.max(low + 4 * count, ephemeralLow) - 1
  const ports: number[] = []
  for (let tries = 0; ports.length < count && tries < 100 * count; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1))
    if (!ports.includes(port) && await canListen(port)) ports.push(port)
  }
  if (ports.length < count) throw new Error(`found only ${ports.length} of ${count} free ports in ${low}-${high}`)
  return ports
}
