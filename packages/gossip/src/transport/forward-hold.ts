import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { GossipSub, SignedMessage } from '@libp2p/gossipsub'
import type { Logger } from '@meshbalancer/core'

/**
 * How long an accepted message waits before gossipsub forwards it, by default. Long enough for the IDONTWANTs of
 * the mesh peers that got the publisher's own copy at the same moment to arrive (a round trip on a LAN, plus a
 * busy process's scheduling); short beside what a member that hears the message only through forwarding waits
 * anyway (a hop of a heartbeat-maintained mesh).
 */
export const DEFAULT_FORWARD_HOLD_MS = 10

/**
 * gossipsub's sender of IDONTWANT to a topic's mesh, minus the peer that delivered the message. It is private in
 * gossipsub 17's typings, and public at run time; {@link ForwardHold} checks that it is there, and a test
 * (forward-hold.spec.ts) checks that it works.
 */
interface IdontwantSender {
  sendIDontWants: (msgId: Uint8Array, topic: string, source: string) => void
}

/**
 * A message's id as gossipsub computes it under `StrictSign` (PROTOCOL.md 2.1): the publisher's public key in
 * libp2p's protobuf encoding, then `seqno` as 8 big-endian bytes.
 */
export function messageId (message: SignedMessage): Uint8Array {
  const key = publicKeyToProtobuf(message.from.publicKey ?? message.key)
  const id = new Uint8Array(key.byteLength + 8)
  id.set(key, 0)
  new DataView(id.buffer).setBigUint64(key.byteLength, message.sequenceNumber)
  return id
}

/**
 * Delays the forwarding of accepted messages so that mesh peers that already have them are not sent a copy.
 *
 * gossipsub forwards an accepted message to its whole mesh but the peer it came from. With flood publishing, every
 * member connected to the publisher gets the publisher's copy first, and then one more from each of its mesh peers:
 * up to D + 1 copies of a message each member needed once. IDONTWANT (gossipsub v1.2) lets a receiver tell its mesh
 * "I have it", but gossipsub sends it only for messages of 512 bytes or more (records are smaller), before
 * validation, and forwards as soon as the validator answers, which is at once here: the peers' IDONTWANTs arrive
 * after the copies went out.
 *
 * So, for a message its validator accepts, the transport sends the IDONTWANT itself, to the mesh, then answers
 * gossipsub `accept` only after the hold (`forwardHoldMs`, {@link DEFAULT_FORWARD_HOLD_MS} by default): by then the
 * mesh peers that got the publisher's copy have said so, and gossipsub skips them. The message is delivered to the
 * node before the hold, so the hold delays only what a member receives through forwarding. Messages delivered but
 * not forwarded (`deliver-only`), ignored or rejected send no IDONTWANT and wait for nothing. An IDONTWANT that
 * arrives after the hold costs the redundant copy that every mesh peer was sent before.
 */
export class ForwardHold {
  private readonly sender: IdontwantSender | undefined
  private held = 0

  constructor (pubsub: GossipSub, readonly holdMs: number, logger: Logger) {
    const candidate = pubsub as unknown as Partial<IdontwantSender>
    this.sender = typeof candidate.sendIDontWants === 'function' ? candidate as IdontwantSender : undefined
    if (this.sender === undefined && holdMs > 0) {
      logger.warn('gossipsub has no sendIDontWants (another version?): accepted messages are forwarded at once')
    }
  }

  /** Messages accepted and not yet handed back to gossipsub for forwarding. */
  get pending (): number {
    return this.held
  }

  /** gossipsub's verdict for a message the node accepted: at once, or after the hold, IDONTWANT sent. */
  accept (topic: string, message: SignedMessage, source: string): TopicValidatorResult | Promise<TopicValidatorResult> {
    if (this.sender === undefined || this.holdMs === 0) return TopicValidatorResult.Accept
    this.sender.sendIDontWants(messageId(message), topic, source)
    this.held++
    return new Promise(resolve => {
      setTimeout(() => {
        this.held--
        resolve(TopicValidatorResult.Accept)
      }, this.holdMs)
    })
  }
}
