import { arrivalEps } from '../control/arrival.js';
import { forecastPeak } from '../control/forecast.js';
import type { Observation } from '../control/policy.js';
import type { JobSample, RecoveryOptions } from '../profiling/recovery.js';
import { RecoveryTracker } from './recovery-tracker.js';

/**
 * The controller's view of a simulated job: from one sample per tick to the Observation a policy
 * gets, as app/control/controller.ts builds it — window means of rate, arrival rate (arrival.ts)
 * and p99 latency over RUNNING samples, the Holt forecast over 5-sample means (held to twice the highest of them), uptime, the
 * last checkpoint's duration, failures seen (the job left RUNNING, or its restart counter moved)
 * and whether a recovery is under way (measured with the profiling detector, or a timeout).
 *
 * Differences, all for speed or because the simulator cannot have the problem: window means are
 * running sums; the forecast is computed only when a policy reads it (a getter: Holt over 30 min
 * at every tick would cost more than the rest of the simulation); the stale-gauge rule (a latency
 * that never moves over a window is dropped) is not applied, since a simulated gauge is never
 * stale; measured failures are not fed to online learning.
 */
export interface SimControlOptions {
  /** Controller tick, s (a whole number; the real default is 1 s). */
  tickSec: number;
  /** Observation window of the means, ms. */
  windowMs: number;
  forecast: { enabled: boolean; horizonMs: number; historyMs: number };
  /** The recovery detector (the controller's: baseline = window, 5 samples sustained, 0.5 s slack). */
  recovery: RecoveryOptions;
  /** Give up measuring a recovery after this long, ms. */
  recoveryTimeoutMs: number;
}

const STATES = ['RUNNING', 'RESTARTING', 'INITIALIZING', 'UNREACHABLE', 'OTHER'] as const;
const stateCode = (s: JobSample['state']): number => {
  const i = STATES.indexOf(s as (typeof STATES)[number]);
  return i < 0 ? STATES.length - 1 : i;
};

interface OpenFailure {
  startMs: number;
  seenDown: boolean;
  tracker: RecoveryTracker;
}

export class SimObserver {
  /** Failures seen (the controller's count), and their recoveries as it measured them, s (null: timed out or unseen). */
  failuresSeen = 0;
  readonly measured: { startMs: number; recoverySec: number | null }[] = [];
  private n = 0;
  private readonly tMs: Float64Array;
  private readonly state: Uint8Array;
  private readonly lag: Float64Array;
  private readonly rate: Float64Array;
  /** Prefix sums over RUNNING samples: rates and latencies reported, and how many. */
  private readonly sumRate: Float64Array;
  private readonly nRate: Float64Array;
  private readonly sumLat: Float64Array;
  private readonly nLat: Float64Array;
  private readonly sumArrival: Float64Array;
  private readonly nArrival: Float64Array;
  private windowStart = 0;
  private historyStart = 0;
  private prev?: JobSample;
  private failure?: OpenFailure;
  private runningSinceMs?: number;
  /** When the last recovery ended (recovered, timed out, or an unseen restart settled), ms. */
  private recoveryEndedMs?: number;
  private lastCheckpointMs?: number;

  constructor(
    private readonly o: SimControlOptions,
    /** Most ticks there will be. */
    capacity: number,
    private readonly startedMs: number,
    runningSinceMs?: number,
  ) {
    this.tMs = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.lag = new Float64Array(capacity);
    this.rate = new Float64Array(capacity);
    this.sumRate = new Float64Array(capacity + 1);
    this.nRate = new Float64Array(capacity + 1);
    this.sumLat = new Float64Array(capacity + 1);
    this.nLat = new Float64Array(capacity + 1);
    this.sumArrival = new Float64Array(capacity + 1);
    this.nArrival = new Float64Array(capacity + 1);
    this.runningSinceMs = runningSinceMs;
  }

  /** A recovery is being measured now. */
  get recovering(): boolean {
    return this.failure !== undefined;
  }

  /** One tick: the sample taken now → the observation for the policy. */
  tick(sample: JobSample, intervalMs: number): Observation {
    const now = sample.tMs;
    const prev = this.prev;
    const i = this.n++;
    if (i >= this.tMs.length) throw new RangeError(`SimObserver: more than ${this.tMs.length} ticks`);
    const running = sample.state === 'RUNNING';
    this.tMs[i] = now;
    this.state[i] = stateCode(sample.state);
    this.lag[i] = running && sample.lag !== undefined ? sample.lag : NaN;
    this.rate[i] = sample.inputEps ?? NaN;
    const r = running && sample.inputEps !== undefined;
    const l = running && sample.latencyP99Ms !== undefined;
    this.sumRate[i + 1] = this.sumRate[i]! + (r ? sample.inputEps! : 0);
    this.nRate[i + 1] = this.nRate[i]! + (r ? 1 : 0);
    this.sumLat[i + 1] = this.sumLat[i]! + (l ? sample.latencyP99Ms! : 0);
    this.nLat[i + 1] = this.nLat[i]! + (l ? 1 : 0);
    const a = arrivalEps(prev, sample);
    this.sumArrival[i + 1] = this.sumArrival[i]! + (a ?? 0);
    this.nArrival[i + 1] = this.nArrival[i]! + (a === undefined ? 0 : 1);
    if (running && sample.lastCheckpointMs !== undefined) this.lastCheckpointMs = sample.lastCheckpointMs;

    const ended = sample.state === 'FINISHED' || sample.state === 'CANCELED' || sample.state === 'FAILED';
    const reported = sample.state !== 'UNREACHABLE' && !ended;
    const restarted = prev?.restarts !== undefined && sample.restarts !== undefined && sample.restarts > prev.restarts;
    let opened = false;
    if (!this.failure && reported && prev?.state === 'RUNNING' && (!running || restarted)) {
      const seenDown = !running;
      const tracker = new RecoveryTracker(prev.tMs, this.baseline(prev.tMs, i - 1), { ...this.o.recovery, requireRestart: seenDown && (this.o.recovery.requireRestart ?? true) });
      tracker.push(prev.tMs, prev.state, prev.lag);
      tracker.push(now, sample.state, sample.lag);
      this.failure = { startMs: prev.tMs, seenDown, tracker };
      this.failuresSeen++;
      opened = true;
    }
    if (reported && !running) this.runningSinceMs = undefined;
    else if (running) this.runningSinceMs ??= now;

    let recoveryJustEnded = false;
    const f = this.failure;
    if (f) {
      if (!opened) f.tracker.push(now, sample.state, sample.lag);
      const sustained = f.tracker.recovered;
      const normalNow = f.tracker.normalSustainedNow;
      if (!f.seenDown && (sustained || normalNow)) {
        this.measured.push({ startMs: f.startMs, recoverySec: null });
        this.failure = undefined;
      } else if (sustained) {
        this.measured.push({ startMs: f.startMs, recoverySec: f.tracker.recoverySec! });
        this.failure = undefined;
        recoveryJustEnded = true;
      } else if (now - f.startMs > this.o.recoveryTimeoutMs) {
        this.measured.push({ startMs: f.startMs, recoverySec: null });
        this.failure = undefined;
      }
    }
    if (f && !this.failure) this.recoveryEndedMs = now;
    this.prev = sample;

    while (this.windowStart < i && this.tMs[this.windowStart]! <= now - this.o.windowMs) this.windowStart++;
    const w = this.windowStart;
    const nr = this.nRate[i + 1]! - this.nRate[w]!;
    const nl = this.nLat[i + 1]! - this.nLat[w]!;
    const na = this.nArrival[i + 1]! - this.nArrival[w]!;
    const forecast = this.o.forecast.enabled ? this.forecastAt(now, i) : undefined;
    return new SimObservation(
      now,
      intervalMs,
      nr > 0 ? (this.sumRate[i + 1]! - this.sumRate[w]!) / nr : NaN,
      na > 0 ? (this.sumArrival[i + 1]! - this.sumArrival[w]!) / na : undefined,
      nl > 0 ? (this.sumLat[i + 1]! - this.sumLat[w]!) / nl : NaN,
      this.runningSinceMs === undefined ? 0 : now - this.runningSinceMs,
      this.lastCheckpointMs,
      this.failuresSeen,
      now - this.startedMs,
      sample.lag,
      this.failure !== undefined || sample.state !== 'RUNNING',
      recoveryJustEnded,
      this.recoveryEndedMs !== undefined && now - this.recoveryEndedMs < this.o.windowMs,
      forecast,
    );
  }

  /** The forecast over the history window ending at tick `i`, computed when first read. */
  private forecastAt(now: number, i: number): () => number | undefined {
    while (this.historyStart < i && this.tMs[this.historyStart]! <= now - this.o.forecast.historyMs) this.historyStart++;
    const from = this.historyStart;
    return () => this.forecast(from, i + 1);
  }

  /** Lags and rates of RUNNING samples in [atMs − baselineMs, atMs), up to index `last`. */
  private baseline(atMs: number, last: number): { lags: number[]; rates: number[] } {
    const lags: number[] = [];
    const rates: number[] = [];
    for (let k = last; k >= 0 && this.tMs[k]! >= atMs - this.o.recovery.baselineMs; k--) {
      if (this.tMs[k]! >= atMs || this.state[k] !== 0) continue;
      if (!Number.isNaN(this.lag[k]!)) lags.push(this.lag[k]!);
      if (!Number.isNaN(this.rate[k]!)) rates.push(this.rate[k]!);
    }
    return { lags, rates };
  }

  /** The controller's forecast over ticks [from, to): 5-sample means of reported rates, Holt, held to twice their highest. */
  private forecast(from: number, to: number): number | undefined {
    const history: { tMs: number; eps: number }[] = [];
    let sum = 0;
    let k = 0;
    let highest = -Infinity;
    for (let j = from; j < to; j++) {
      const r = this.rate[j]!;
      if (Number.isNaN(r)) continue;
      sum += r;
      if (++k === 5) {
        history.push({ tMs: this.tMs[j]!, eps: sum / 5 });
        highest = Math.max(highest, sum / 5);
        sum = 0;
        k = 0;
      }
    }
    const f = forecastPeak(history, this.o.forecast.horizonMs);
    return f === undefined ? undefined : Math.min(f, 2 * highest);
  }
}

/**
 * An Observation whose forecast is computed on first read (a getter on the prototype: the
 * policies read fields and never copy an observation, so they cannot tell it from a literal).
 */
class SimObservation implements Observation {
  private forecastCache?: { v: number | undefined };
  constructor(
    readonly atMs: number,
    readonly intervalMs: number,
    readonly throughputEps: number,
    readonly arrivalEps: number | undefined,
    readonly latencyMs: number,
    readonly uptimeMs: number,
    readonly checkpointDurationMs: number | undefined,
    readonly failuresSeen: number,
    readonly observedForMs: number,
    readonly lagRecords: number | undefined,
    readonly recovering: boolean,
    readonly recoveryJustEnded: boolean,
    readonly windowHasRecovery: boolean,
    private readonly computeForecast: (() => number | undefined) | undefined,
  ) {}

  get forecastEps(): number | undefined {
    if (!this.computeForecast) return undefined;
    this.forecastCache ??= { v: this.computeForecast() };
    return this.forecastCache.v;
  }
}
