import type { RecoveryOptions } from '../profiling/recovery.js';
import type { FailureSpec } from './failures.js';
import { reportedState } from './flink-states.js';
import { setPacedInterval } from './fluid-commands.js';
import { FAILURE_TYPE_REGISTRY, type FailureType } from '../failure-types.js';
import { newStepTotals, type FluidState } from './fluid-state.js';
import { RecoveryTracker } from './recovery-tracker.js';
import { baselineOf, newSeries, PHASE_INDEX, recordSecond, RUNNING_REPORTED, stepSecond, type SimSeries } from './seconds.js';

/**
 * SIMULATED only: the load oracle, the limit of what a policy that forecasts the load could do.
 * Every `windowSec` it knows the exact input of the coming seconds (not the failures) and the
 * exact physics (it copies the simulated job as it is now), and for each candidate interval it
 * simulates the look-ahead (`lookaheadSec`, at least the window) twice, holding the candidate:
 * without a failure, and with one failure (of the scenario's type) in the window's middle, followed
 * until its recovery ends. It picks the interval with the least expected violation seconds:
 *
 *   latency seconds in the look-ahead without a failure + λ × (violation seconds with the failure − without),
 *
 * λ = failures expected in a window (the scenario's rate × windowSec), the second term counted
 * from the window's start to the end of the recovery (the union of latency and late-recovery
 * seconds, as the evaluation counts them: evaluation/violations.ts). A policy that does not know
 * when failures come can do no better in expectation than weighing them by their rate; one that
 * knows the load no better than exactly. It decides window by window on a receding horizon (the
 * interval chosen now also shapes the state later windows start from), and it chooses among
 * `candidatesMs` only, so it is a reference limit rather than a proven optimum. Ties go to the
 * interval that leaves the least backlog at the look-ahead's end without a failure, then to the
 * shorter. Changes are free
 * (paced), and it asks for a checkpoint right after each recovery, as khaos+ does.
 */
export interface OracleOptions {
  /** Decide every this many seconds (the policies' evaluateEvery). */
  windowSec: number;
  /**
   * Count latency seconds this far ahead, holding the candidate (at least windowSec; the policies'
   * forecastHorizon): a receding horizon. A window alone is myopic: an interval whose checkpoints
   * are free now and cost the capacity a peak just after the window needs looks best.
   */
  lookaheadSec?: number;
  candidatesMs: readonly number[];
  failureType: FailureType;
  /** Failures expected per simulated second: the scenario's (failures per schedule / trace length). */
  failuresPerSec: number;
  latencyTargetMs: number;
  recoveryTargetS: number;
  /** Follow a hypothetical recovery at most this long, s (the controller's recoveryTimeout). */
  maxRecoverySec: number;
}

/** A second of a look-ahead violates when the job is down or its p99 is over the target (evaluation/violations.ts). */
const latencyOver = (series: SimSeries, k: number, targetMs: number) => !RUNNING_REPORTED[series.phase[k]!] || series.latencyMs[k]! > targetMs;

/**
 * The interval for the window starting at second `from`: the job as it is at that second (not
 * changed), the run's input `rates`, the run's `history` up to `from` (for the recovery
 * detector's baseline), the detector's options.
 */
export function oracleInterval(job: FluidState, from: number, rates: ArrayLike<number>, history: SimSeries, o: OracleOptions, recovery: RecoveryOptions): { intervalMs: number; reason: string } {
  const N = rates.length;
  const W = Math.min(o.windowSec, N - from);
  const ahead = Math.min(Math.max(W, o.lookaheadSec ?? 0), N - from);
  const failAt = from + Math.floor(W / 2);
  const lambda = o.failuresPerSec * o.windowSec;
  const totals = newStepTotals();
  let best: { intervalMs: number; score: number; latency: number; extra: number; backlog: number } | undefined;
  for (const c of o.candidatesMs) {
    // Without a failure, to the failure's second; then a copy fails there, and both go on.
    const calm = structuredClone(job);
    setPacedInterval(calm, c);
    const span = Math.min(N - from, Math.max(ahead, W + o.maxRecoverySec));
    const a = newSeries(span);
    /** Second k of the window without a failure; true when it violates the latency target. */
    const calmSecond = (k: number): boolean => {
      stepSecond(calm, rates[from + k]!, totals, []);
      recordSecond(a, k, calm, totals, PHASE_INDEX, RUNNING_REPORTED);
      return latencyOver(a, k, o.latencyTargetMs);
    };
    let latency = 0;
    for (let k = 0; k < failAt - from; k++) if (calmSecond(k)) latency++;
    let extra = 0;
    let k = failAt - from;
    if (lambda > 0 && failAt < N) {
      const hit = structuredClone(calm);
      const b = newSeries(span);
      b.phase.set(a.phase.subarray(0, failAt - from));
      const f: FailureSpec = { atSec: failAt, type: o.failureType };
      const atMs = failAt * 1000;
      const base = baselineOf(history, from, atMs, recovery.baselineMs, RUNNING_REPORTED);
      const local = baselineOf(a, failAt - from, (failAt - from) * 1000, recovery.baselineMs, RUNNING_REPORTED);
      const tracker = new RecoveryTracker(atMs, { lags: [...base.lags, ...local.lags], rates: [...base.rates, ...local.rates] }, { ...recovery, requireRestart: FAILURE_TYPE_REGISTRY[o.failureType].restarts });
      const lateFrom = failAt + o.recoveryTargetS;
      let withFailure = 0;
      let without = 0;
      for (; k < span; k++) {
        const s = from + k;
        const recovering = !tracker.recovered;
        if (k < W || recovering) {
          stepSecond(hit, rates[s]!, totals, k === failAt - from ? [f] : []);
          recordSecond(b, k, hit, totals, PHASE_INDEX, RUNNING_REPORTED);
          const state = reportedState(hit.phase);
          tracker.push((s + 1) * 1000, state, state === 'RUNNING' ? b.backlog[k] : undefined);
          if (latencyOver(b, k, o.latencyTargetMs) || (recovering && s + 1 > lateFrom)) withFailure++;
          const over = calmSecond(k);
          if (over) without++;
          if (over && k < ahead) latency++;
        } else break;
      }
      extra = withFailure - without;
    }
    for (; k < ahead; k++) if (calmSecond(k)) latency++;
    const score = latency + lambda * extra;
    // On a tie, the least backlog left at the look-ahead's end without a failure. When every candidate
    // violates the whole window (a peak, a catch-up), the shortest one may be an interval whose
    // checkpoints leave less capacity than the input: its backlog never drains, and a greedy choice
    // stays there (wiki_en_5min.csv, examples/evaluate.yaml: at 1 s from 19,140 s on, 49,957 s).
    const backlog = a.backlog[ahead - 1] ?? 0;
    if (!best || score < best.score || (score === best.score && backlog < best.backlog)) best = { intervalMs: c, score, latency, extra, backlog };
  }
  const b = best!;
  return { intervalMs: b.intervalMs, reason: `oracle: ${b.latency} latency s in the ${ahead} s ahead without a failure, ${b.extra} more with one in the window's middle (weight ${lambda.toPrecision(2)}), backlog ${Math.round(b.backlog)} at the look-ahead's end` };
}
