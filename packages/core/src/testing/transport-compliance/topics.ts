import { bytes, text } from './harness.js'
import { freshTopic, record, subscribeAll } from './context.js'
import type { SuiteContext } from './context.js'
import type { OptionalTransportFeature } from './harness.js'
import type { Transport, ValidationResult } from '../../transport/transport.js'

/** Topics: delivery to every other subscriber, validation verdicts, origin and sender, subscription changes. */
export function topicTests (context: SuiteContext): void {
  const { expect, it } = context.jest
  const optional = (feature: OptionalTransportFeature): typeof it.skip => context.has(feature) ? it : it.skip
  it('delivers a publish to every other subscriber, from the publisher, but not back to the publisher', async () => {
    const { transports } = await context.peers(3)
    const [publisher] = transports as [typeof transports[0]]
    const { topic, recorders } = await subscribeAll(context, transports)
    await publisher.publish(topic, bytes('hello'))
    const receivers = recorders.slice(1)
    await context.until(() => receivers.every(r => r.delivered.length === 1), 'both subscribers received the message')
    for (const receiver of receivers) {
      const [message] = receiver.delivered
      expect(text(message?.data)).toBe('hello')
      expect(message?.from).toBe(publisher.id)
      expect(receiver.validated.map(m => text(m.data))).toEqual(['hello'])
      expect(receiver.validated[0]?.from).toBe(publisher.id)
      expect(receiver.unvalidated).toEqual([])
    }
    // Published after, from another peer: once it has arrived, the publisher's own copy would have too.
    await transports[1]!.publish(topic, bytes('barrier'))
    await context.until(() => recorders[0]!.delivered.length === 1, 'the publisher received the other peer’s message')
    expect(recorders[0]!.delivered.map(m => text(m.data))).toEqual(['barrier'])
    expect(recorders[0]!.validated.map(m => text(m.data))).toEqual(['barrier'])
  })

  it('names the peer that handed each message over as `via`, in validation and in delivery', async () => {
    const { transports } = await context.peers(3)
    const { topic, recorders } = await subscribeAll(context, transports)
    await transports[0]!.publish(topic, bytes('which way'))
    const receivers = recorders.slice(1)
    await context.until(() => receivers.every(r => r.delivered.length === 1), 'both subscribers received the message')
    for (const receiver of receivers) {
      const others = transports.filter(t => t !== receiver.transport).map(t => t.id)
      // The publisher itself, or a member forwarding it: never the receiver, never unset.
      expect(others).toContain(receiver.validated[0]?.via)
      expect(others).toContain(receiver.delivered[0]?.via)
    }
  })

  it('delivers what the validator accepts or delivers only, once each: reject and ignore drop the message', async () => {
    const { transports } = await context.peers(2)
    // The verdict is the message's text up to its last dash: `deliver-only-1` is delivered only.
    const verdict = (message: { data: Uint8Array }): ValidationResult => (text(message.data)?.replace(/-[^-]*$/, '') ?? 'reject') as ValidationResult
    const { topic, recorders } = await subscribeAll(context, transports, verdict)
    const receiver = recorders[1]!
    for (const message of ['reject-1', 'ignore-1', 'accept-1', 'deliver-only-1', 'reject-2', 'ignore-2', 'accept-2', 'deliver-only-2']) {
      await transports[0]!.publish(topic, bytes(message))
    }
    await context.until(() => receiver.validated.length === 8 && receiver.delivered.length === 4, 'every message validated, the accepted ones delivered')
    // A barrier: anything wrongly delivered would have arrived before this.
    await transports[0]!.publish(topic, bytes('accept-3'))
    await context.until(() => receiver.delivered.length >= 5, 'the last accepted message delivered')
    expect(receiver.delivered.map(m => text(m.data)).sort()).toEqual(['accept-1', 'accept-2', 'accept-3', 'deliver-only-1', 'deliver-only-2'])
    expect(receiver.validated.map(m => text(m.data)).sort()).toEqual(['accept-1', 'accept-2', 'accept-3', 'deliver-only-1', 'deliver-only-2', 'ignore-1', 'ignore-2', 'reject-1', 'reject-2'])
    expect(receiver.unvalidated).toEqual([])
  })

  optional('topicPeers')('names as topic peers the subscribed peers a publish reaches directly, and no others', async () => {
    const { transports } = await context.peers(3)
    const [publisher, subscriber, bystander] = transports as [Transport, Transport, Transport]
    const topic = freshTopic()
    expect(publisher.topicPeers!(topic)).toEqual([])
    const recorders = [record(publisher, topic), record(subscriber, topic)]
    await context.until(() => recorders[0]!.subscribed.has(subscriber.id), 'the publisher heard the other subscribe')
    await context.until(() => recorders[1]!.subscribed.has(publisher.id), 'the other subscriber heard the publisher subscribe')
    // A subscription is heard before this side's own stream to the peer may be open: a publish reaches it only then.
    await context.until(() => publisher.topicPeers!(topic).length === 1 && subscriber.topicPeers!(topic).length === 1, 'each subscriber can publish to the other')
    expect(publisher.topicPeers!(topic)).toEqual([subscriber.id])
    expect(subscriber.topicPeers!(topic)).toEqual([publisher.id])
    // A peer that did not subscribe is nobody's topic peer; it would itself publish to both subscribers directly.
    await context.until(() => bystander.topicPeers!(topic).length === 2, 'the bystander heard both subscribe')
    expect([...bystander.topicPeers!(topic)].sort()).toEqual([publisher.id, subscriber.id].sort())
    await publisher.publish(topic, bytes('direct'))
    await context.until(() => recorders[1]!.delivered.length === 1, 'the topic peer received the publish')
  })

  it('tells a subscriber of every peer that subscribes to its topic, before or after it', async () => {
    const { transports } = await context.peers(3)
    const topic = freshTopic()
    const marker = freshTopic()
    const watcher = record(transports[1]!, marker)
    const early = record(transports[0]!, topic)
    record(transports[0]!, marker)
    // Once the second peer has heard of the first's later subscription, it knows of the earlier one too.
    await context.until(() => watcher.subscribed.has(transports[0]!.id), 'the second peer heard the first subscribe')
    const late = record(transports[1]!, topic)
    await context.until(() => early.subscribed.has(transports[1]!.id), 'the first subscriber heard the second')
    await context.until(() => late.subscribed.has(transports[0]!.id), 'the second subscriber heard the first')
    // A peer that never subscribed is never reported.
    expect(early.subscribed.has(transports[2]!.id)).toBe(false)
    expect(late.subscribed.has(transports[2]!.id)).toBe(false)
  })

  it('does not reject a publish that nobody is subscribed to', async () => {
    const { transports } = await context.peers(2)
    await expect(transports[0]!.publish(freshTopic(), bytes('into the void'))).resolves.toBeUndefined()
  })

  it('stops delivering a topic once unsubscribed, and keeps delivering the others', async () => {
    const { transports } = await context.peers(2)
    const dropped = await subscribeAll(context, transports)
    const kept = await subscribeAll(context, transports)
    transports[1]!.unsubscribe(dropped.topic)
    await transports[0]!.publish(dropped.topic, bytes('unwanted'))
    await transports[0]!.publish(kept.topic, bytes('wanted'))
    await context.until(() => kept.recorders[1]!.delivered.length === 1, 'the message on the other topic delivered')
    await transports[0]!.publish(kept.topic, bytes('wanted again'))
    await context.until(() => kept.recorders[1]!.delivered.length === 2, 'the second message on the other topic delivered')
    expect(dropped.recorders[1]!.delivered).toEqual([])
    expect(dropped.recorders[1]!.validated).toEqual([])
  })
}
