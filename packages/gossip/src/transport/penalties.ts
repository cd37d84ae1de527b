import type { PeerScoreParams } from '@libp2p/gossipsub/score'

/**
 * What the penalties need of gossipsub: its peer score's parameters. The exported `GossipSub` interface does not
 * declare them; the implementation holds them as `score.params`, read at every score computation.
 */
interface Scored {
  readonly score?: { readonly params?: Pick<PeerScoreParams, 'appSpecificScore'> }
}

/**
 * Points a peer loses in gossipsub's application-specific score (weight 1) while it is penalised for false claims.
 * Below the gossip threshold (−10) even with the most standing a peer can earn (+10, the topic score cap), so
 * that this node neither gossips with it nor asks it for messages; above the publish (−50) and graylist (−80)
 * thresholds, so that its records, and its graceful `LEFT`, still arrive through the mesh: its claims are refused
 * by the cluster anyway.
 */
export const FALSE_CLAIMS_PENALTY = -40
/** How long a penalty lasts: as long as the strikes that earned it (docs/PROTOCOL.md, "False claims"). */
export const PENALTY_MS = 5 * 60_000
/** Peers penalised at once, at most: the oldest penalty goes first beyond it. */
export const MAX_PENALISED_PEERS = 1024

/**
 * The peers the cluster asked to score down, each until its penalty lapses, fed into gossipsub's score through its
 * application-specific function (installed on the first penalty, keeping whatever function was there).
 */
export class Penalties {
  private readonly until = new Map<string, number>()
  private installed = false

  constructor (private readonly pubsub: unknown, private readonly now: () => number = Date.now) {}

  add (peer: string): void {
    this.install()
    this.until.delete(peer)
    this.until.set(peer, this.now() + PENALTY_MS)
    if (this.until.size > MAX_PENALISED_PEERS) this.until.delete(this.until.keys().next().value as string)
  }

  /** The application-specific score of `peer`: the penalty while it lasts, else 0. */
  score (peer: string): number {
    const until = this.until.get(peer)
    if (until === undefined) return 0
    if (until > this.now()) return FALSE_CLAIMS_PENALTY
    this.until.delete(peer)
    return 0
  }

  private install (): void {
    if (this.installed) return
    this.installed = true
    const params = (this.pubsub as Scored).score?.params
    if (params === undefined) return
    const previous = params.appSpecificScore.bind(params)
    params.appSpecificScore = (peer: string) => previous(peer) + this.score(peer)
  }
}
