import type { JobState } from '../job-state.js';
import { quantileNearestRank } from '../stats.js';

/** One observation of a running replica, taken once per sampling period (1 s unless configured finer). */
export interface JobSample {
  tMs: number;
  state: JobState | 'UNREACHABLE';
  /** Records waiting in the input topic for this replica (source pendingRecords), when reported. */
  lag?: number;
  /** Input throughput, records/s, when reported. */
  inputEps?: number;
  /** The source's record counter behind inputEps (reset by a restart), when reported. */
  processed?: number;
  /** p99 source-to-sink latency (the job's latency gauge, max over subtasks), ms, when reported. */
  latencyP99Ms?: number;
  /** The job sampled, when one was found. */
  jobId?: string;
  /** Flink's numRestarts of the job, when asked for and reported. */
  restarts?: number;
  /** Duration of the last completed checkpoint, ms, when asked for and reported. */
  lastCheckpointMs?: number;
}

/**
 * Lag allowed above the pre-failure p95, in seconds of mean input, when judging "back to normal":
 * enough to absorb fetch batching, small enough that the catch-up is not cut short.
 */
export const LAG_SLACK_SECONDS = 0.5;

export interface RecoveryOptions {
  /** Window before the injection that defines normal, ms. */
  baselineMs: number;
  /** Normal this long in a row ends a recovery, ms: a time, so it means the same at any sampling period. */
  sustainMs: number;
  /** The nominal period between samples, ms; each sample stands for the period that follows it. */
  sampleEveryMs: number;
  /** Lag allowed above the baseline's p95, in seconds of mean input (absorbs batching noise). */
  slackSeconds: number;
  /**
   * True for failures Flink must restart from (a kill): the recovery starts counting only once the
   * job has left RUNNING, so stale metrics before detection cannot end it. False for a freeze,
   * which may only build a backlog without a restart.
   */
  requireRestart?: boolean;
}

/** The detector as the controller, the demo and the evaluation judge a recovery: `baselineMs` of normal before it, 5 s of normal (at 1 s sampling) to end it. */
export const detectorOptions = (baselineMs: number, requireRestart = true, sampleEveryMs = 1000): RecoveryOptions => ({ baselineMs, sustainMs: 5000, sampleEveryMs, slackSeconds: LAG_SLACK_SECONDS, requireRestart });

/**
 * Whether normal samples from `firstMs` to `lastMs` cover `sustainMs`: the last one stands for
 * the period after it, and a quarter of a period absorbs timer jitter. At 1 s sampling and 5 s
 * this is 5 samples, as the detector always counted; at 250 ms it is 20.
 */
export const sustains = (firstMs: number, lastMs: number, o: Pick<RecoveryOptions, 'sustainMs' | 'sampleEveryMs'>): boolean =>
  lastMs - firstMs + o.sampleEveryMs >= o.sustainMs - o.sampleEveryMs / 4;

/** Whether the trailing run of `samples` is normal (RUNNING, lag within `thresholdLag`) for `sustainMs`. */
export function trailingNormalSustained(samples: readonly JobSample[], thresholdLag: number, o: Pick<RecoveryOptions, 'sustainMs' | 'sampleEveryMs'>): boolean {
  const last = samples[samples.length - 1];
  if (!last) return false;
  let first: JobSample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (!(s.state === 'RUNNING' && s.lag !== undefined && s.lag <= thresholdLag)) break;
    first = s;
  }
  return first !== undefined && sustains(first.tMs, last.tMs, o);
}

export interface RecoveryTimeline {
  injectedAtMs: number;
  baselineLag: number;
  thresholdLag: number;
  /** First sample not RUNNING after the injection, or with Flink's restart count up (a restart). */
  detectedAtMs?: number;
  /** First RUNNING sample after detection. */
  runningAtMs?: number;
  /**
   * First sample after detection whose metrics are the restarted job's (see the freshness rule);
   * undefined while Flink's REST still serves the dead attempt's values.
   */
  freshAtMs?: number;
  /**
   * Start of the first sustained run of normal lag after the disturbance: the end of the recovery.
   * When the sample before that run had a fresh lag above the threshold, the moment the lag
   * crossed the threshold is interpolated linearly between the two (the backlog drains at a
   * steady capacity − input), so the end is known finer than the sampling period; otherwise it is
   * the run's first sample.
   */
  recoveredAtMs?: number;
}

const p95 = (xs: number[]) => quantileNearestRank(xs, 0.95);

/**
 * Phases of a recovery from samples: detection (→ not RUNNING), restart and restore (→ RUNNING),
 * catch-up (→ lag back within the pre-failure normal, sustained). Fields stay undefined until
 * reached, so the same function serves live progress and the final measurement.
 */
export function recoveryTimeline(samples: readonly JobSample[], injectedAtMs: number, o: RecoveryOptions): RecoveryTimeline {
  const before = samples.filter((s) => s.tMs < injectedAtMs && s.tMs >= injectedAtMs - o.baselineMs && s.state === 'RUNNING');
  const lags = before.flatMap((s) => (s.lag === undefined ? [] : [s.lag]));
  const rates = before.flatMap((s) => (s.inputEps === undefined ? [] : [s.inputEps]));
  const meanRate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
  const baselineLag = lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : 0;
  const thresholdLag = p95(lags) + o.slackSeconds * meanRate;
  const t: RecoveryTimeline = { injectedAtMs, baselineLag, thresholdLag };
  const baseRestarts = [...before].reverse().find((s) => s.restarts !== undefined)?.restarts;
  // After a restart Flink's REST can serve the dead attempt's last metrics for a while (its lag
  // looked normal while the restored job replayed 120,000 records): a reading counts only once the
  // source's record counter shows the new attempt, either reset (below its last value before the
  // failure) or moving while RUNNING again (a dead attempt's counter never moves; a short-lived job
  // replaying fast can pass its old count before the first sample).
  const baseCount = [...before].reverse().find((s) => s.processed !== undefined)?.processed;
  let fresh = !baseCount;
  let lastCount: number | undefined;
  const requireRestart = o.requireRestart ?? true;
  let disturbed = false;
  let runStart: JobSample | undefined;
  /** The last sample counted while disturbed, and whether its lag was a fresh reading above the threshold. */
  let previous: { s: JobSample; overThreshold: boolean } | undefined;
  for (const s of samples) {
    if (s.tMs < injectedAtMs) continue;
    // A restart between two samples is seen in Flink's restart count alone (sampled with job metrics).
    const restarted = baseRestarts !== undefined && s.restarts !== undefined && s.restarts > baseRestarts;
    if ((s.state !== 'RUNNING' || restarted) && t.detectedAtMs === undefined) t.detectedAtMs = s.tMs;
    if (!fresh && t.detectedAtMs !== undefined && s.state === 'RUNNING' && s.processed !== undefined) {
      fresh = s.processed < baseCount! || (lastCount !== undefined && s.processed !== lastCount);
      lastCount = s.processed;
    }
    if (fresh && t.detectedAtMs !== undefined && t.freshAtMs === undefined) t.freshAtMs = s.tMs;
    const normal = s.state === 'RUNNING' && s.lag !== undefined && s.lag <= thresholdLag && (fresh || t.detectedAtMs === undefined);
    if (t.detectedAtMs !== undefined && t.runningAtMs === undefined) {
      if (s.state !== 'RUNNING') continue;
      t.runningAtMs = s.tMs;
    }
    disturbed ||= t.detectedAtMs !== undefined || (!requireRestart && !normal);
    if (!disturbed) continue;
    if (!normal) runStart = undefined;
    else if (!runStart) {
      runStart = s;
      t.recoveredAtMs = previous?.overThreshold ? crossingMs({ tMs: previous.s.tMs, lag: previous.s.lag! }, { tMs: s.tMs, lag: s.lag! }, thresholdLag) : s.tMs;
    }
    if (runStart && sustains(runStart.tMs, s.tMs, o)) return t;
    previous = { s, overThreshold: !normal && s.state === 'RUNNING' && fresh && s.lag !== undefined && s.lag > thresholdLag };
  }
  t.recoveredAtMs = undefined;
  return t;
}

/** When the lag, falling linearly from `above` (over the threshold) to `below` (within it), crossed the threshold, ms. */
export function crossingMs(above: { tMs: number; lag: number }, below: { tMs: number; lag: number }, thresholdLag: number): number {
  const drop = above.lag - below.lag;
  if (!(drop > 0)) return below.tMs;
  return above.tMs + ((below.tMs - above.tMs) * (above.lag - thresholdLag)) / drop;
}
