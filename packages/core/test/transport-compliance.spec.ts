import { describeTransportCompliance, MemoryNetwork } from '../src/testing/index.js'

// Real time on the system clock: the suite waits for deliveries as it does over a real network.
describeTransportCompliance('MemoryTransport', {
  async createPeers (count) {
    const network = new MemoryNetwork()
    const transports = Array.from({ length: count }, () => network.createTransport())
    for (const transport of transports) await transport.start()
    return {
      transports,
      disconnect: async (a, b) => { network.disconnect(a.id, b.id) },
      close: async () => { for (const transport of transports) await transport.stop() }
    }
  }
}, {
  // Nothing to set up in memory: a request is timed from the start.
  without: ['prepare']
})
