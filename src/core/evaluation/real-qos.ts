import { measureFailure } from '../profiling/profile-plan.js';
import type { JobSample, RecoveryOptions } from '../profiling/recovery.js';
import type { FailureSample } from '../profiling/samples.js';
import type { EvaluationRow } from './qos.js';
import { intervalAt, type RealRunRecord } from './real-run.js';
import { DOWN_SECOND, judgeLatency, UNJUDGED_SECOND, violationSeconds } from './violations.js';

/**
 * MEASURED QoS of a policy's run on the real stack, in the evaluation's JSON shape, and the
 * simulator's prediction of the same run (same input per second, same failures at the same
 * seconds, same policy and actuator), for the sim-vs-real gap of the report.
 */

/** The failures of a run, each measured with the profiling detector from its injection on. */
export function measureKills(samples: readonly JobSample[], kills: readonly { injectedAtMs: number; taskManagerId: string }[], o: RecoveryOptions): RealRunRecord['failures'] {
  return kills.map((k) => {
    const m = measureFailure(samples, k.injectedAtMs, o);
    return { injectedAtMs: k.injectedAtMs, type: 'kill', taskManagerId: k.taskManagerId, recoverySec: m.recoverySec, detectionSec: m.detectionSec ?? null, restartSec: m.restartSec ?? null, catchupSec: m.catchupSec ?? null };
  });
}

/**
 * The recovered kills of runs as failure samples (the format of `khaos profile export`, for
 * control.samples): the interval in force, the mean input rate and p99 latency over the baseline
 * window before the kill, the recovery and its phases, the last checkpoint before it.
 */
export function runSamples(runs: readonly RealRunRecord[], o: RecoveryOptions): FailureSample[] {
  return runs.flatMap((r) =>
    r.failures.flatMap((f) => {
      const m = measureFailure(r.samples, f.injectedAtMs, o);
      if (m.recoverySec === null || m.throughputEps === null || m.latencyMs === null) return [];
      const last = r.checkpoints.filter((c) => !c.savepoint && c.triggeredAtMs + c.durationMs <= f.injectedAtMs).at(-1);
      return [{ ciMs: intervalAt(r, f.injectedAtMs), throughputEps: m.throughputEps, latencyMs: m.latencyMs, recoverySec: m.recoverySec, detectionSec: m.detectionSec, restartSec: m.restartSec, catchupSec: m.catchupSec, ...(last ? { stateBytes: last.stateBytes, checkpointMs: last.durationMs } : {}) }];
    }),
  );
}

export interface QosTargets {
  latencyTargetMs: number;
  recoveryTargetS: number;
  /** The window of latencyWindowViolationShare, whole seconds (300: the paper's 5-minute mean). */
  latencyWindowSec: number;
}

/** The samples the QoS is judged on: from the replay's start to the end of the run (drain included). */
const judged = (r: RealRunRecord) => r.samples.filter((s) => s.tMs >= r.replayStartMs);

/** The outages of a run, ms: each failure from its injection to the end of its recovery (open-ended when it never recovered), each restart change's outage. */
function outagesOf(r: RealRunRecord): [number, number][] {
  return [
    ...r.failures.map((f): [number, number] => [f.injectedAtMs, f.recoverySec === null ? Infinity : f.injectedAtMs + f.recoverySec * 1000]),
    ...r.changes.filter((c) => c.outageMs > 0).map((c): [number, number] => [c.atMs, c.atMs + c.outageMs]),
  ];
}

/**
 * The p99 latency of each second of the run from the replay's start, ms, with the markers of
 * evaluation/violations.ts: the QoS is judged in seconds, not samples (about one a second, but
 * two in one second or none for a few). Second k covers [start + k s, start + (k + 1) s) and
 * takes its latest sample, as a simulated second is sampled at its end; a second without a
 * sample holds the previous one's value (the sampler was late), or is DOWN when it starts within
 * an outage. A sample stands for: its reading when RUNNING with one; DOWN_SECOND without one when
 * the job is not RUNNING or within an outage (records wait in the topic meanwhile: the
 * simulator's head-of-backlog wait); UNJUDGED_SECOND otherwise (the gauge not yet found after a
 * start). Seconds before the first sample are not judged.
 */
export function latencySeries(r: RealRunRecord): number[] {
  const outages = outagesOf(r);
  const down = (t: number) => outages.some(([a, b]) => t >= a && t <= b);
  const samples = judged(r);
  if (samples.length === 0) return [];
  const seconds = Math.floor((samples.at(-1)!.tMs - r.replayStartMs) / 1000) + 1;
  const out = new Array<number>(seconds).fill(NaN);
  const sampled = new Uint8Array(seconds);
  for (const s of samples) {
    const k = Math.floor((s.tMs - r.replayStartMs) / 1000);
    sampled[k] = 1;
    out[k] = s.state === 'RUNNING' && s.latencyP99Ms !== undefined ? s.latencyP99Ms : s.state !== 'RUNNING' || down(s.tMs) ? DOWN_SECOND : UNJUDGED_SECOND;
  }
  for (let k = 1; k < seconds; k++) if (!sampled[k]) out[k] = down(r.replayStartMs + k * 1000) ? DOWN_SECOND : out[k - 1]!;
  return out;
}

/** Share of the judged time with a checkpoint in flight: completed checkpoints × their mean observed duration. */
export function checkpointInFlightShare(r: RealRunRecord): number {
  const s = judged(r);
  const spanMs = s.length > 1 ? s.at(-1)!.tMs - s[0]!.tMs : 0;
  const seen = r.checkpoints.filter((c) => !c.savepoint && c.triggeredAtMs >= r.replayStartMs);
  if (spanMs <= 0 || seen.length === 0) return 0;
  const meanMs = seen.reduce((a, c) => a + c.durationMs, 0) / seen.length;
  return Math.min(1, (Math.max(r.checkpointsCompleted, seen.length) * meanMs) / spanMs);
}

/** A row of the evaluation JSON measured on the real stack: one run, so no spread; lost and duplicated counted. */
export type RealEvaluationRow = Omit<EvaluationRow, 'lost' | 'duplicated' | 'spread'> & { lost: number | null; duplicated: number | null };

/** The run's row of the evaluation JSON (MEASURED). */
export function realQos(r: RealRunRecord, t: QosTargets): RealEvaluationRow {
  const recovered = r.failures.flatMap((f) => (f.recoverySec === null ? [] : [f.recoverySec]));
  const latency = judgeLatency(latencySeries(r), t.latencyTargetMs, t.latencyWindowSec);
  const failures = r.failures.map((f) => ({ atSec: (f.injectedAtMs - r.replayStartMs) / 1000, recoverySec: f.recoverySec }));
  return {
    name: r.policy,
    latencyViolationShare: latency.perSecondShare,
    latencyWindowViolationShare: latency.windowShare,
    recoveryViolations: r.failures.filter((f) => f.recoverySec === null || f.recoverySec > t.recoveryTargetS).length,
    failures: r.failures.length,
    meanRecoveryS: recovered.length ? recovered.reduce((a, b) => a + b, 0) / recovered.length : null,
    maxRecoveryS: recovered.length ? recovered.reduce((a, b) => Math.max(a, b), 0) : null,
    checkpointOverhead: checkpointInFlightShare(r),
    reconfigurations: r.changes.length,
    reconfigurationDowntimeS: r.changes.reduce((a, c) => a + c.outageMs, 0) / 1000,
    violationSeconds: violationSeconds(latency.overPerSecond, failures, t.recoveryTargetS),
    lost: r.lost,
    duplicated: r.duplicated,
  };
}
