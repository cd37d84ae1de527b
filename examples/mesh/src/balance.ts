/** Figures of a distribution of clients over servers, as the report states them. */

/** True when every count is within ±`percent` of the mean. */
export function withinOfMean (counts: readonly number[], percent: number): boolean {
  if (counts.length === 0) return false
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length
  return counts.every(count => Math.abs(count - mean) <= mean * percent / 100)
}

/**
 * The fewest single-client moves that balance `counts`: max(Σ(cᵢ − ⌈avg⌉)⁺, Σ(⌊avg⌋ − cᵢ)⁺). Every move takes one
 * client off a server above the mean and onto one below it; neither side can be fixed in fewer.
 */
export function minimumMoves (counts: readonly number[]): number {
  if (counts.length === 0) return 0
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length
  const above = counts.reduce((sum, c) => sum + Math.max(0, c - Math.ceil(mean)), 0)
  const below = counts.reduce((sum, c) => sum + Math.max(0, Math.floor(mean) - c), 0)
  return Math.max(above, below)
}
