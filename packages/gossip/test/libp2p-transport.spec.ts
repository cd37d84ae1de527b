import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterEach, describe, expect, it } from '@jest/globals'
import { silentLogger, TransportStartError } from '@meshbalancer/core'
import { Libp2pTransport } from '../src/index.js'
import { createMeshLibp2p } from '../src/node/libp2p.js'

const network = (listen: string[]): Parameters<typeof createMeshLibp2p>[0] => ({ listen, announce: [], clusterKey: undefined, mdns: false, maxConnections: 16, meshDegree: 4 })

async function transport (listen: string[]): Promise<Libp2pTransport> {
  const privateKey = await generateKeyPair('Ed25519')
  const libp2p = await createMeshLibp2p(network(listen), privateKey, 'default')
  return new Libp2pTransport(libp2p, { join: [], joinRetryIntervalMs: 60_000, targetPeers: 16, logger: silentLogger, privateKey })
}

describe('Libp2pTransport', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { for (const t of started.splice(0)) await t.stop() })

  it('rejects with TRANSPORT_START_FAILED when its listen address is taken, and can start once it is free', async () => {
    const first = await transport(['/ip4/127.0.0.1/tcp/0'])
    await first.start()
    started.push(first)
    const taken = first.addresses()[0]!
    const second = await transport([taken])
    const error = await second.start().catch((err: unknown) => err)
    expect(error).toBeInstanceOf(TransportStartError)
    expect(error).toMatchObject({ code: 'TRANSPORT_START_FAILED' })
    expect((error as Error).cause).toBeDefined()
    await first.stop()
    await second.start()
    started.push(second)
    expect(second.addresses()).toContain(taken)
  })
})
