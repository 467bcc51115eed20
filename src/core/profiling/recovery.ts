import type { JobState } from '../job-state.js';
import { quantileNearestRank } from '../stats.js';

/** One observation of a running replica, taken about once a second. */
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
  /** Consecutive normal samples that end a recovery. */
  sustainSamples: number;
  /** Lag allowed above the baseline's p95, in seconds of mean input (absorbs batching noise). */
  slackSeconds: number;
  /**
   * True for failures Flink must restart from (a kill): the recovery starts counting only once the
   * job has left RUNNING, so stale metrics before detection cannot end it. False for a freeze,
   * which may only build a backlog without a restart.
   */
  requireRestart?: boolean;
}

/** The detector as the controller, the demo and the evaluation judge a recovery: `baselineMs` of normal before it, 5 normal samples to end it. */
export const detectorOptions = (baselineMs: number, requireRestart = true): RecoveryOptions => ({ baselineMs, sustainSamples: 5, slackSeconds: LAG_SLACK_SECONDS, requireRestart });

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
  /** Start of the first sustained run of normal lag after the disturbance: the end of the recovery. */
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
  let run = 0;
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
    run = normal ? run + 1 : 0;
    if (run === 1) t.recoveredAtMs = s.tMs;
    if (run >= o.sustainSamples) return t;
  }
  t.recoveredAtMs = undefined;
  return t;
}
