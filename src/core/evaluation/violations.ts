import { overShare, trailingMeanOver } from '../stats.js';

/**
 * The one definition of the latency and recovery metrics of an evaluation, for real and
 * simulated runs alike. Both hand in a per-second p99 series (real: the controller's samples
 * turned into seconds, real-qos.ts; simulated: the fluid job's seconds, simulate.ts) with the same
 * markers:
 *
 * - a finite value: the p99 reading of that second, ms;
 * - DOWN_SECOND (+Infinity): no reading while the job was down or recovering. Records wait in the
 *   topic meanwhile, so the second violates the latency target, in both metrics; it has no
 *   latency to average, so it enters no mean (one such second must not make a 5-minute mean
 *   infinite: that counted one down second as 300);
 * - UNJUDGED_SECOND (NaN): no reading for another reason (a gauge not yet found after a start):
 *   not judged, in no mean.
 */
export const DOWN_SECOND = Number.POSITIVE_INFINITY;
export const UNJUDGED_SECOND = Number.NaN;

export interface LatencyJudgement {
  /** Seconds judged (not UNJUDGED_SECOND). */
  judgedSeconds: number;
  /** Per second: 1 when its own p99 is over the target or it is DOWN, 0 within, 2 not judged. */
  overPerSecond: Uint8Array;
  /** Share of the judged seconds whose own p99 is over the target (or DOWN). */
  perSecondShare: number;
  /**
   * Share of the judged seconds whose trailing mean p99 over `windowSec` (the paper's metric with
   * 300 s: what the controller optimises) is over the target, or that are DOWN.
   */
  windowShare: number;
}

/** Judges a per-second p99 series (markers above) against `targetMs`, per second and over a trailing window of `windowSec` seconds. */
export function judgeLatency(p99PerSecond: ArrayLike<number>, targetMs: number, windowSec: number): LatencyJudgement {
  const overPerSecond = trailingMeanOver(p99PerSecond, targetMs, 1);
  let judgedSeconds = 0;
  for (const m of overPerSecond) if (m !== 2) judgedSeconds++;
  return {
    judgedSeconds,
    overPerSecond,
    perSecondShare: overShare(overPerSecond),
    windowShare: windowSec === 1 ? overShare(overPerSecond) : overShare(trailingMeanOver(p99PerSecond, targetMs, windowSec)),
  };
}

/** Seconds of violation of a run, each second counted once in `total`. */
export interface ViolationSeconds {
  /** Seconds whose own p99 is over the latency target, or DOWN (LatencyJudgement.overPerSecond). */
  latency: number;
  /** Seconds of a recovery beyond its target (recoveryViolatingSeconds). */
  recovery: number;
  /** |latency ∪ recovery|: a late recovery's seconds are mostly latency seconds already. */
  total: number;
}

/** A failure at `atSec` (seconds from the start of the series) and its recovery, s; null when it had not ended with the run. */
export interface RecoveryOutcome {
  atSec: number;
  recoverySec: number | null;
}

/**
 * Per second of a run of `seconds` seconds (second k covers [k, k + 1)): 1 when it overlaps the
 * part of a recovery beyond its target, (at + target, at + recovery), or (at + target, end of
 * the run) for a recovery that had not ended. Overlapping recoveries count each second once.
 */
export function recoveryViolatingSeconds(seconds: number, failures: readonly RecoveryOutcome[], recoveryTargetS: number): Uint8Array {
  const out = new Uint8Array(seconds);
  for (const f of failures) {
    const from = f.atSec + recoveryTargetS;
    const to = f.recoverySec === null ? seconds : f.atSec + f.recoverySec;
    if (!(to > from)) continue;
    for (let k = Math.max(0, Math.floor(from)); k < Math.min(seconds, Math.ceil(to)); k++) out[k] = 1;
  }
  return out;
}

/** Latency, recovery and total violation seconds from a latency mask (overPerSecond) and the run's failures. */
export function violationSeconds(latencyOver: Uint8Array, failures: readonly RecoveryOutcome[], recoveryTargetS: number): ViolationSeconds {
  const recovery = recoveryViolatingSeconds(latencyOver.length, failures, recoveryTargetS);
  let lat = 0;
  let rec = 0;
  let total = 0;
  for (let k = 0; k < latencyOver.length; k++) {
    const l = latencyOver[k] === 1;
    const r = recovery[k] === 1;
    if (l) lat++;
    if (r) rec++;
    if (l || r) total++;
  }
  return { latency: lat, recovery: rec, total };
}
