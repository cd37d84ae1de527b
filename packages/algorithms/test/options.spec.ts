import { describe, expect, it } from '@jest/globals'
import { InvalidOptionError } from '@meshbalancer/core'
import { hashRing, leastConnections, leastLatency, powerOfTwo, random, roundRobin, weightedRoundRobin } from '../src/index.js'

function optionNamedBy (make: () => unknown): string {
  try {
    make()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    return (err as InvalidOptionError).option
  }
  throw new Error('expected an InvalidOptionError')
}

describe('algorithm factories', () => {
  it.each([
    ['a negative ring weight', () => hashRing({ weight: -1 }), 'hashRing.weight'],
    ['a fractional ring weight', () => hashRing({ weight: 1.5 }), 'hashRing.weight'],
    ['a misspelt option', () => hashRing({ weigth: 64 } as never), 'hashRing.weigth'],
    ['a random that is not a function', () => powerOfTwo({ random: 4 } as never), 'powerOfTwo.random'],
    ['an unknown option of random', () => random({ seed: 1 } as never), 'random.seed'],
    ['any option of roundRobin', () => roundRobin({ start: 1 } as never), 'roundRobin.start'],
    ['an unknown option of leastConnections', () => leastConnections({ max: 1 } as never), 'leastConnections.max'],
    ['an unknown option of leastLatency', () => leastLatency({ choices: 3 } as never), 'leastLatency.choices'],
    ['a negative weight', () => weightedRoundRobin({ weights: { a: -1 } }), 'weightedRoundRobin.weights.a'],
    ['a weight that is not a number', () => weightedRoundRobin({ weights: new Map([['b', '2' as never]]) }), 'weightedRoundRobin.weights.b'],
    ['weights that are not an object', () => weightedRoundRobin({ weights: 3 as never }), 'weightedRoundRobin.weights']
  ])('rejects %s, naming it', (_, make, option) => {
    expect(optionNamedBy(make)).toBe(option)
  })
})
