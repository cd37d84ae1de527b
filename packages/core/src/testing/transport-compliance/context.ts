import { until } from './harness.js'
import type { JestApi } from './jest-api.js'
import type { OptionalTransportFeature, TransportPeers } from './harness.js'
import type { TopicMessage, Transport, ValidationResult } from '../../transport/transport.js'

/** What each group of compliance tests is given. */
export interface SuiteContext {
  /** jest's functions, from its globals. */
  jest: JestApi
  /** Creates the transports of the running test; they are closed after it. */
  peers(count: number): Promise<TransportPeers>
  /** Waits until `condition` holds, failing the test after the suite's `waitMs`. */
  until(condition: () => boolean, what: string): Promise<void>
  /** False for an optional method the transport under test does not implement. */
  has(feature: OptionalTransportFeature): boolean
}

/** What one subscriber saw on a topic. */
export interface TopicRecorder {
  readonly transport: Transport
  readonly validated: TopicMessage[]
  readonly delivered: TopicMessage[]
  /** Messages delivered without having been validated first: always empty for a compliant transport. */
  readonly unvalidated: TopicMessage[]
  /** Peers its handler heard subscribe. */
  readonly subscribed: Set<string>
}

let topics = 0

/** A topic name no other test uses, so that no message of an earlier test can arrive. */
export function freshTopic (): string {
  return `/meshbalancer-compliance/topic-${process.pid}-${++topics}`
}

/** Subscribes `transport` to `topic`, recording what its handler sees; `verdict` decides validation. */
export function record (transport: Transport, topic: string, verdict: (message: TopicMessage) => ValidationResult = () => 'accept'): TopicRecorder {
  const recorder: TopicRecorder = { transport, validated: [], delivered: [], unvalidated: [], subscribed: new Set() }
  const key = (message: TopicMessage): string => `${message.from} ${Buffer.from(message.data).toString('hex')}`
  transport.subscribe(topic, {
    validate: message => {
      recorder.validated.push(message)
      return verdict(message)
    },
    deliver: message => {
      if (!recorder.validated.some(seen => key(seen) === key(message))) recorder.unvalidated.push(message)
      recorder.delivered.push(message)
    },
    peerSubscribed: peer => { recorder.subscribed.add(peer) }
  })
  return recorder
}

/**
 * Subscribes every transport to a fresh topic and waits until each has heard every other subscribe, which is when
 * a publish is sure to reach them all.
 */
export async function subscribeAll (context: SuiteContext, transports: readonly Transport[], verdict?: (message: TopicMessage) => ValidationResult): Promise<{ topic: string, recorders: TopicRecorder[] }> {
  const topic = freshTopic()
  const recorders = transports.map(transport => record(transport, topic, verdict))
  await context.until(() => recorders.every(r => transports.every(t => t === r.transport || r.subscribed.has(t.id))), 'every subscriber heard every other subscribe')
  return { topic, recorders }
}

export { until }
