import { seededRandom } from '@meshbalancer/core'
import { disseminate, gossipModel } from './dissemination.js'
import type { ClusterShape } from './dissemination.js'

export interface FailureDetectionInit extends ClusterShape {
  /** Members whose heartbeats are followed by every node (all would cost size² of state). */
  subjects: number
  /** Heartbeats simulated. */
  heartbeats: number
  /** Silence before suspicion and before removal, in heartbeats (the defaults: 2 and 3). */
  suspectAfter: number
  deadAfter: number
  seed: number
}

export interface FailureDetectionResult {
  /** Observer–subject pairs followed, over heartbeats. */
  pairs: number
  /** Pairs in which a live subject was, at some moment, suspect: a false suspicion. */
  falseSuspicions: number
  /** Pairs in which a live subject was removed: a false removal. */
  falseRemovals: number
  /** Heartbeats after a subject's crash until 99.99 % of nodes had removed it (silence only, no connection hint). */
  detectionHeartbeats: number
  /** Share of nodes that removed the crashed subject, every tenth of a heartbeat after its crash. */
  detectionCurve: number[]
}

/**
 * Failure detection by silence under message loss: `subjects` members heartbeat; every node keeps, per subject,
 * the longest silence it saw. A silence longer than `suspectAfter` heartbeats is a suspicion, longer than
 * `deadAfter` a removal: both false for a live subject. One subject then crashes, and we count the heartbeats until
 * 99.99 % of nodes have removed it. Crashes noticed through closed connections come sooner and are not modelled.
 */
export function simulateFailureDetection (init: FailureDetectionInit): FailureDetectionResult {
  const random = seededRandom(init.seed)
  const model = gossipModel(init, random)
  const H = init.hopsPerHeartbeat
  const horizon = 4 * H
  const crashed = 0
  const crashAt = Math.floor(init.heartbeats / 2)
  let falseSuspicions = 0
  let falseRemovals = 0
  const lastHeardOfCrashed = new Int32Array(init.size).fill(-1)

  for (let subject = 0; subject < init.subjects; subject++) {
    const origin = Math.floor(random() * init.size)
    const longestSilence = new Float64Array(init.size)
    const beats = subject === crashed ? crashAt : init.heartbeats
    // Receptions of consecutive heartbeats can overlap in time: keep them in order of arrival per observer.
    const receptions: Array<Int32Array> = []
    for (let beat = 0; beat < beats; beat++) receptions.push(disseminate(model, origin, beat * H, horizon, random))
    for (let observer = 0; observer < init.size; observer++) {
      if (observer === origin) continue
      const times: number[] = []
      for (const arrival of receptions) if (arrival[observer]! >= 0) times.push(arrival[observer]!)
      times.sort((a, b) => a - b)
      let previous = 0
      for (const time of times) {
        longestSilence[observer] = Math.max(longestSilence[observer]!, time - previous)
        previous = time
      }
      if (subject === crashed) {
        lastHeardOfCrashed[observer] = previous
      } else {
        longestSilence[observer] = Math.max(longestSilence[observer]!, init.heartbeats * H - previous)
        if (longestSilence[observer]! > init.suspectAfter * H) falseSuspicions++
        if (longestSilence[observer]! > init.deadAfter * H) falseRemovals++
      }
    }
  }

  // When each observer removes the crashed subject: its last reception plus the removal silence.
  const removedAt: number[] = []
  for (let observer = 0; observer < init.size; observer++) {
    if (lastHeardOfCrashed[observer]! >= 0) removedAt.push((lastHeardOfCrashed[observer]! + init.deadAfter * H) / H - crashAt)
  }
  removedAt.sort((a, b) => a - b)
  const needed = Math.ceil(0.9999 * (init.size - 1))
  const detectionHeartbeats = removedAt.length >= needed ? Math.round(removedAt[needed - 1]! * 100) / 100 : Number.POSITIVE_INFINITY
  const detectionCurve: number[] = []
  let removed = 0
  for (let tenth = 0; tenth <= (Math.ceil(init.deadAfter) + 2) * 10; tenth++) {
    while (removed < removedAt.length && removedAt[removed]! <= tenth / 10 + 1e-9) removed++
    detectionCurve.push(removed / (init.size - 1))
  }
  return {
    pairs: (init.subjects - 1) * (init.size - 1),
    falseSuspicions,
    falseRemovals,
    detectionHeartbeats,
    detectionCurve
  }
}
