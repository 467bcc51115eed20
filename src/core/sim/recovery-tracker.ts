import type { JobState } from '../job-state.js';
import { crossingMs, sustains, type RecoveryOptions } from '../profiling/recovery.js';
import { quantileNearestRank } from '../stats.js';

/**
 * The recovery detector of profiling/recovery.ts (`recoveryTimeline`), fed one sample at a time:
 * the same baseline (pre-failure RUNNING samples: p95 of lag + slack · mean rate), the same
 * detection (first sample not RUNNING), restart (first RUNNING one after it) and end (start of the
 * first run of normal samples lasting `sustainMs` after the disturbance, interpolated as there). recoveryTimeline re-reads
 * every sample at every call; a simulated week needs each sample looked at once.
 */
export class RecoveryTracker {
  readonly thresholdLag: number;
  readonly baselineLag: number;
  detectedAtMs?: number;
  runningAtMs?: number;
  /** Set once the recovery is over (sustained): the first sample of the normal run. */
  recoveredAtMs?: number;
  /** The first of the consecutive normal samples after the injection up to now, disturbed or not (the controller's `normalNow`). */
  private trailingNormalFromMs?: number;
  private lastMs?: number;
  private readonly requireRestart: boolean;
  private disturbed = false;
  private runStartMs?: number;
  private recoveryEndMs = 0;
  /** The previous disturbed sample's time and lag when that lag was RUNNING and over the threshold. */
  private previousOver?: { tMs: number; lag: number };

  /**
   * `baseline`: the lags and rates of the RUNNING samples in [injectedAtMs − baselineMs, injectedAtMs)
   * (what recoveryTimeline selects), lags and rates as reported (undefined ones left out).
   */
  constructor(
    readonly injectedAtMs: number,
    baseline: { lags: readonly number[]; rates: readonly number[] },
    private readonly o: RecoveryOptions,
  ) {
    const meanRate = baseline.rates.length ? baseline.rates.reduce((a, b) => a + b, 0) / baseline.rates.length : 0;
    this.baselineLag = baseline.lags.length ? baseline.lags.reduce((a, b) => a + b, 0) / baseline.lags.length : 0;
    this.thresholdLag = quantileNearestRank([...baseline.lags], 0.95) + o.slackSeconds * meanRate;
    this.requireRestart = o.requireRestart ?? true;
  }

  get recovered(): boolean {
    return this.recoveredAtMs !== undefined;
  }

  /** The recovery time, s, once recovered. */
  get recoverySec(): number | undefined {
    return this.recoveredAtMs === undefined ? undefined : (this.recoveredAtMs - this.injectedAtMs) / 1000;
  }

  /** Whether the samples since the injection have been normal for the last `sustainMs`. */
  get normalSustainedNow(): boolean {
    return this.trailingNormalFromMs !== undefined && this.lastMs !== undefined && sustains(this.trailingNormalFromMs, this.lastMs, this.o);
  }

  /** Feeds the next sample (time order); true once the recovery is over. Samples before the injection are ignored. */
  push(tMs: number, state: JobState | 'UNREACHABLE', lag: number | undefined): boolean {
    if (this.recoveredAtMs !== undefined) return true;
    if (tMs < this.injectedAtMs) return false;
    const normal = state === 'RUNNING' && lag !== undefined && lag <= this.thresholdLag;
    if (tMs > this.injectedAtMs) {
      this.trailingNormalFromMs = normal ? (this.trailingNormalFromMs ?? tMs) : undefined;
      this.lastMs = tMs;
    }
    if (state !== 'RUNNING' && this.detectedAtMs === undefined) this.detectedAtMs = tMs;
    if (this.detectedAtMs !== undefined && this.runningAtMs === undefined) {
      if (state !== 'RUNNING') return false;
      this.runningAtMs = tMs;
    }
    this.disturbed ||= this.detectedAtMs !== undefined || (!this.requireRestart && !normal);
    if (!this.disturbed) return false;
    if (!normal) this.runStartMs = undefined;
    else if (this.runStartMs === undefined) {
      this.runStartMs = tMs;
      this.recoveryEndMs = this.previousOver ? crossingMs(this.previousOver, { tMs, lag: lag! }, this.thresholdLag) : tMs;
    }
    if (this.runStartMs !== undefined && sustains(this.runStartMs, tMs, this.o)) {
      this.recoveredAtMs = this.recoveryEndMs;
      return true;
    }
    this.previousOver = !normal && state === 'RUNNING' && lag !== undefined && lag > this.thresholdLag ? { tMs, lag } : undefined;
    return false;
  }
}
