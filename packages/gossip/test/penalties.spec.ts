import { describe, expect, it } from '@jest/globals'
import { FALSE_CLAIMS_PENALTY, MAX_PENALISED_PEERS, PENALTY_MS, Penalties } from '../src/transport/penalties.js'

describe('penalties for false claims', () => {
  it('lowers a penalised peer\'s application-specific score for a while, on top of what was there', () => {
    let now = 0
    const params = { appSpecificScore: (peer: string) => peer === 'standing' ? 3 : 0 }
    const penalties = new Penalties({ score: { params } }, () => now)
    expect(params.appSpecificScore('liar')).toBe(0)
    penalties.add('liar')
    penalties.add('standing')
    expect(params.appSpecificScore('liar')).toBe(FALSE_CLAIMS_PENALTY)
    expect(params.appSpecificScore('standing')).toBe(3 + FALSE_CLAIMS_PENALTY)
    expect(params.appSpecificScore('honest')).toBe(0)
    now = PENALTY_MS - 1
    expect(params.appSpecificScore('liar')).toBe(FALSE_CLAIMS_PENALTY)
    now = PENALTY_MS
    expect(params.appSpecificScore('liar')).toBe(0)
    expect(params.appSpecificScore('standing')).toBe(3)
  })

  it('keeps at most MAX_PENALISED_PEERS, the oldest going first, and copes with a gossipsub without scores', () => {
    const params = { appSpecificScore: (_peer: string) => 0 }
    const penalties = new Penalties({ score: { params } }, () => 0)
    for (let i = 0; i <= MAX_PENALISED_PEERS; i++) penalties.add(`peer-${i}`)
    expect(params.appSpecificScore('peer-0')).toBe(0)
    expect(params.appSpecificScore(`peer-${MAX_PENALISED_PEERS}`)).toBe(FALSE_CLAIMS_PENALTY)
    expect(() => { new Penalties({}).add('anyone') }).not.toThrow()
  })
})
