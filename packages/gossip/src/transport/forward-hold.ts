import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { assertInteger } from '@meshbalancer/core/options'
import type { GossipSub, SignedMessage } from '@libp2p/gossipsub'
import type { Logger } from '@meshbalancer/core'

/**
 * How long an accepted message waits before gossipsub forwards it, by default. The IDONTWANTs it waits for need a
 * round trip between the mesh peers that got the publisher's copy at the same moment: well under a millisecond on a
 * LAN; the rest is for processes that are busy. A process whose turn of its event loop lasts longer than the hold
 * forwards before it reads them (Node runs due timers before it reads sockets), and sends the copies as before.
 * Every hop of forwarding waits as long: where members are not all connected to the publisher (clusters larger than
 * `targetPeers` + 1), those that hear a message through forwarding hear it a hold later per hop.
 */
export const DEFAULT_FORWARD_HOLD_MS = 10

/**
 * The longest hold accepted. Every hop of forwarding waits that long, and each message held is kept meanwhile; a
 * hold of seconds is more likely a unit mistaken than a choice.
 */
export const MAX_FORWARD_HOLD_MS = 1000

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
 * member connected to the publisher gets the publisher's copy first, and then one more from each of its mesh peers
 * but the publisher: up to Dhi + 1 copies of a message each member needed once. IDONTWANT (gossipsub v1.2) lets
 * a receiver tell its mesh "I have it", but gossipsub sends it only for messages of 512 bytes or more (records are
 * smaller), before validation, and forwards as soon as the validator answers, which is at once here: the peers'
 * IDONTWANTs arrive after the copies went out.
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
  readonly holdMs: number
  /** The holds running, each with what ends it early. */
  private readonly held = new Set<{ timer: NodeJS.Timeout, release: () => void }>()

  /** Throws an `InvalidOptionError` naming `forwardHoldMs` unless `holdMs` is an integer from 0 to 1000. */
  constructor (pubsub: GossipSub, holdMs: number, logger: Logger) {
    this.holdMs = assertInteger('forwardHoldMs', holdMs, 0, MAX_FORWARD_HOLD_MS)
    const candidate = pubsub as unknown as Partial<IdontwantSender>
    this.sender = typeof candidate.sendIDontWants === 'function' ? candidate as IdontwantSender : undefined
    if (this.sender === undefined && holdMs > 0) {
      logger.warn('gossipsub has no sendIDontWants (another version?): accepted messages are forwarded at once')
    }
  }

  /** Messages accepted and not yet handed back to gossipsub for forwarding (for tests and diagnostics). */
  get pending (): number {
    return this.held.size
  }

  /** gossipsub's verdict for a message the node accepted: at once, or after the hold, IDONTWANT sent. */
  accept (topic: string, message: SignedMessage, source: string): TopicValidatorResult | Promise<TopicValidatorResult> {
    if (this.sender === undefined || this.holdMs === 0) return TopicValidatorResult.Accept
    this.sender.sendIDontWants(messageId(message), topic, source)
    return new Promise(resolve => {
      const hold = {
        timer: setTimeout(() => {
          this.held.delete(hold)
          resolve(TopicValidatorResult.Accept)
        }, this.holdMs),
        // A node that stops forwards nothing more; its messages were delivered.
        release: () => { resolve(TopicValidatorResult.Ignore) }
      }
      this.held.add(hold)
    })
  }

  /** Ends every hold without forwarding, for a node that stops. */
  releaseAll (): void {
    for (const hold of this.held) {
      clearTimeout(hold.timer)
      hold.release()
    }
    this.held.clear()
  }
}
