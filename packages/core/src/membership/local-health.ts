/**
 * Lifeguard's local health multiplier: how much this node doubts its own ability to judge others. It rises when
 * this node shows signs of being the slow one (a probe nobody answered, not even with a nack; a claim about itself
 * it had to refute) and falls with every probe answered. Probe timeouts and the probe interval are multiplied by
 * `multiplier`, so that a node starved of CPU or bandwidth probes less often and waits longer before it suspects
 * anyone, instead of accusing healthy members.
 */
export class LocalHealth {
  private score = 0

  constructor (private readonly max: number) {}

  /** 0 (healthy) to `max`. */
  get value (): number {
    return this.score
  }

  /** The factor on probe timeouts and the probe interval: `value + 1`. */
  get multiplier (): number {
    return this.score + 1
  }

  worse (): void {
    this.score = Math.min(this.max, this.score + 1)
  }

  better (): void {
    this.score = Math.max(0, this.score - 1)
  }
}
