import type { JobState } from './job-state.js';

/** One observation of a running replica, taken about once a second. */
export interface JobSample {
  tMs: number;
  state: JobState | 'UNREACHABLE';
  /** Records waiting in the input topic for this replica (source pendingRecords), when reported. */
  lag?: number;
  /** Input throughput, records/s, when reported. */
  inputEps?: number;
}

export interface RecoveryOptions {
  /** Window before the injection that defines normal, ms. */
  baselineMs: number;
  /** Consecutive normal samples that end a recovery. */
  sustainSamples: number;
  /** Lag allowed above the baseline's p95, in seconds of mean input (absorbs batching noise). */
  slackSeconds: number;
}

export interface RecoveryTimeline {
  injectedAtMs: number;
  baselineLag: number;
  thresholdLag: number;
  /** First sample at RESTARTING (or any non-RUNNING state) after the injection. */
  detectedAtMs?: number;
  /** First RUNNING sample after detection. */
  runningAtMs?: number;
  /** Start of the first sustained run of normal lag after RUNNING: the end of the recovery. */
  recoveredAtMs?: number;
}

const p95 = (xs: number[]) => (xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!);

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
  const after = samples.filter((s) => s.tMs >= injectedAtMs);
  let run = 0;
  for (const s of after) {
    if (t.detectedAtMs === undefined) {
      if (s.state !== 'RUNNING') t.detectedAtMs = s.tMs;
      continue;
    }
    if (t.runningAtMs === undefined) {
      if (s.state === 'RUNNING') t.runningAtMs = s.tMs;
      else continue;
    }
    const normal = s.state === 'RUNNING' && s.lag !== undefined && s.lag <= thresholdLag;
    run = normal ? run + 1 : 0;
    if (run === 1) t.recoveredAtMs = s.tMs;
    if (run === 0) t.recoveredAtMs = undefined;
    if (run >= o.sustainSamples) return t;
  }
  if (run < o.sustainSamples) t.recoveredAtMs = undefined;
  return t;
}
