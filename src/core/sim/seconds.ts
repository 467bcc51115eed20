import type { FailureSpec } from './failures.js';
import { reportedState } from './flink-states.js';
import { injectFailure } from './fluid-commands.js';
import { FLUID_PHASES, latencyP99Ms, type FluidListener, type FluidPhase, type FluidState, type StepTotals } from './fluid-state.js';
import { step } from './fluid.js';

/** One simulated second at a time: what simulate.ts and the oracle's look-ahead (oracle.ts) both do. */

/** Per second s (covering [s, s + 1) s; sampled at its end). */
export interface SimSeries {
  inputEps: Float64Array;
  /** Events read by the source in the second (the sampler's rate; replays included). */
  processedEps: Float64Array;
  /** Consumer lag at the end of the second, events. */
  backlog: Float64Array;
  latencyMs: Float64Array;
  /** Interval in force at the end of the second, ms. */
  intervalMs: Float64Array;
  /** Index into FLUID_PHASES at the end of the second. */
  phase: Uint8Array;
  /** 1 when the sampler would report a rate (RUNNING now and at the previous sample, tasks not redeployed between). */
  rateReported: Uint8Array;
}

/** A series of `n` seconds, all zero. */
export function newSeries(n: number): SimSeries {
  return { inputEps: new Float64Array(n), processedEps: new Float64Array(n), backlog: new Float64Array(n), latencyMs: new Float64Array(n), intervalMs: new Float64Array(n), phase: new Uint8Array(n), rateReported: new Uint8Array(n) };
}

/** Resets `totals` and advances the job through one second at `rate`, injecting each of `due` (all within the second) at its time, `before` being told just before. */
export function stepSecond(job: FluidState, rate: number, totals: StepTotals, due: readonly FailureSpec[], on?: FluidListener, before?: (f: FailureSpec, atMs: number) => void): void {
  totals.durationMs = 0;
  totals.inputEvents = 0;
  totals.processedEvents = 0;
  totals.checkpointingMs = 0;
  totals.lostCapacityEvents = 0;
  totals.maxHeadAgeMs = 0;
  totals.redeployed = false;
  let doneMs = 0;
  for (const f of due) {
    const atMs = f.atSec * 1000;
    if (atMs > job.tMs) {
      doneMs += atMs - job.tMs;
      step(job, atMs - job.tMs, rate, totals, on);
    }
    before?.(f, atMs);
    injectFailure(job, f.type, f.freezeSec === undefined ? undefined : f.freezeSec * 1000, on);
  }
  step(job, 1000 - doneMs, rate, totals, on);
}

/** Index of each fluid phase in FLUID_PHASES, and whether the sampler reads it as RUNNING. */
export const PHASE_INDEX = Object.fromEntries(FLUID_PHASES.map((p, i) => [p, i])) as Record<FluidPhase, number>;
export const RUNNING_REPORTED: readonly boolean[] = FLUID_PHASES.map((p) => reportedState(p) === 'RUNNING');

/** Writes second `s` of `series` from the job at its end and the second's totals. */
export function recordSecond(series: SimSeries, s: number, job: FluidState, totals: StepTotals, phaseIndex = PHASE_INDEX, runningReported = RUNNING_REPORTED): void {
  const phase = phaseIndex[job.phase];
  series.inputEps[s] = job.inputEps;
  series.processedEps[s] = totals.processedEvents;
  series.backlog[s] = job.inputOffset - job.consumed;
  series.latencyMs[s] = latencyP99Ms(job, totals);
  series.intervalMs[s] = job.intervalMs;
  series.phase[s] = phase;
  series.rateReported[s] = runningReported[phase] && s > 0 && runningReported[series.phase[s - 1]!]! && !totals.redeployed ? 1 : 0;
}

/** Lags and rates the sampler reported in [atMs − baselineMs, atMs), from seconds before `s` (sample k is taken at (k + 1) s). */
export function baselineOf(series: SimSeries, s: number, atMs: number, baselineMs: number, runningReported: readonly boolean[]): { lags: number[]; rates: number[] } {
  const lags: number[] = [];
  const rates: number[] = [];
  for (let k = s - 1; k >= 0; k--) {
    const t = (k + 1) * 1000;
    if (t < atMs - baselineMs) break;
    if (t >= atMs || !runningReported[series.phase[k]!]) continue;
    lags.push(series.backlog[k]!);
    if (series.rateReported[k]) rates.push(series.processedEps[k]!);
  }
  return { lags, rates };
}
