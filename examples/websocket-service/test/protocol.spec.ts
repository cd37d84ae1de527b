import { describe, expect, it } from '@jest/globals'
import { MAX_CLOSE_REASON_BYTES, parseReconnectHint, reconnectHint, viaFrontDoor } from '../src/index.js'

describe('the reconnect hint', () => {
  it('is the server address with its name as ?node=, a URL to dial as it is', () => {
    const hint = reconnectHint('ws://10.0.0.2:8082', 'ws 2')
    expect(hint).toBe('ws://10.0.0.2:8082/?node=ws%202')
    expect(parseReconnectHint(hint)).toEqual({ url: hint, name: 'ws 2' })
  })

  it('stays a bare address when the name would not fit in a close reason, and reads old hints without a name', () => {
    const address = `ws://${'h'.repeat(100)}:8082`
    expect(reconnectHint(address, 'a-long-server-name')).toBe(address)
    expect(Buffer.byteLength(reconnectHint('ws://10.0.0.2:8082', 'n'.repeat(64)))).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES)
    expect(parseReconnectHint('ws://10.0.0.2:8082')).toEqual({ url: 'ws://10.0.0.2:8082', name: undefined })
    expect(parseReconnectHint('')).toBeUndefined()
  })

  it('becomes the front door with the named server for a client behind one', () => {
    const resolve = viaFrontDoor('ws://front:80/')
    expect(resolve('ws://10.0.0.2:8082/?node=ws2')).toBe('ws://front/?node=ws2')
    expect(resolve('ws://10.0.0.2:8082')).toBe('ws://front:80/')
  })
})
