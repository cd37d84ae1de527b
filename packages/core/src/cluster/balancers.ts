import { InvalidOptionError } from '../errors.js'
import { assertKnownOptions, assertName } from '../options.js'
import { LoadBalancer } from '../balancer/load-balancer.js'
import { matchesNode, validateNodeMatch } from '../balancer/node-match.js'
import { MAX_GROUP_NAME_LENGTH } from '../codec/limits.js'
import type { SelectionAlgorithm } from '../balancer/algorithm.js'
import type { NodeMatch } from '../balancer/node-match.js'
import type { CallPath } from '../balancer/call-path.js'
import type { PickExplanation } from '../balancer/observer.js'
import type { Clock } from '../clock.js'
import type { MemberTable } from '../member/table.js'
import type { RandomSource } from '../random.js'

/** Options of `cluster.loadBalancer()`. */
export interface LoadBalancerOptions {
  /** The balancer's name, which is also the group it selects from (**contract**). */
  name: string
  /** The selection algorithm, made by a factory such as `powerOfTwo()`. */
  algorithm: SelectionAlgorithm
  /** Which nodes join the group; this node joins when its name matches. @default 'all' */
  nodeMatch?: NodeMatch
}

export interface BalancersHost {
  nodeName: string
  table: MemberTable
  calls: CallPath
  random: RandomSource
  clock: Clock
  explainOnePickIn: number
  /** This node joins or leaves a group (counted: two balancers of one group leave it when both close). */
  join(group: string): void
  leave(group: string): void
  wantsExplanations(): boolean
  explained(explanation: PickExplanation): void
}

const OPTIONS = ['name', 'algorithm', 'nodeMatch']

/** Creates a node's balancers and keeps track of the open ones. */
export class Balancers {
  private readonly balancers = new Set<LoadBalancer>()

  constructor (private readonly host: BalancersHost) {}

  create (options: LoadBalancerOptions): LoadBalancer {
    assertKnownOptions('loadBalancer', options, OPTIONS)
    const name = assertName('name', options.name, MAX_GROUP_NAME_LENGTH)
    const { algorithm } = options
    if (algorithm == null || typeof algorithm.chooseFromNodes !== 'function' || typeof algorithm.name !== 'string') {
      throw new InvalidOptionError('algorithm', 'expected a selection algorithm such as powerOfTwo()')
    }
    const { host } = this
    const joins = matchesNode(validateNodeMatch(options.nodeMatch ?? 'all'), host.nodeName)
    if (joins) host.join(name)
    const balancer: LoadBalancer = new LoadBalancer({
      name,
      algorithm,
      table: host.table,
      calls: host.calls,
      random: host.random,
      clock: host.clock,
      observer: {
        explainOnePickIn: host.explainOnePickIn,
        version: () => host.table.version,
        wantsExplanations: () => host.wantsExplanations(),
        explained: explanation => { host.explained(explanation) }
      },
      onClose: () => {
        this.balancers.delete(balancer)
        if (joins) host.leave(name)
      }
    })
    this.balancers.add(balancer)
    return balancer
  }

  open (): readonly LoadBalancer[] {
    return [...this.balancers]
  }
}
