import { badInput } from '../errors.js';
import type { CandidatePrediction, CandidatesWeighed, ControlModels, Decision, Observation, PolicyContext, PolicyOptions, PolicySpec, PolicyState, Predictions } from './policy.js';
import { mean } from '../stats.js';
import { PREDICTION_CEILING } from '../models/regression.js';

/**
 * What the policies share: the words of their reasons, the outcomes (wait, keep, change), the
 * cadence and the evaluation of the model-based ones. Each policy is a pure function of the
 * observation, the state it returned last time and the context; see policy.ts for the types.
 */

export type Outcome = { decision: Decision; state: PolicyState };

/** The parser of a policy whose name is one fixed word (`khaos+`, `young-daly`). */
export const exactName = (name: string) => (written: string): PolicySpec | undefined => (written === name ? { policy: name, label: name } : undefined);

/** Throws `bad-input` for options no policy can work with. */
export function checkOptions(o: PolicyOptions): void {
  const problems: string[] = [];
  if (!(o.candidateMinMs > 0 && o.candidateMaxMs >= o.candidateMinMs)) problems.push(`candidate range ${o.candidateMinMs}–${o.candidateMaxMs} ms must be positive and not empty`);
  if (!(o.candidateStepMs > 0)) problems.push(`candidate step ${o.candidateStepMs} ms must be positive`);
  if (!(Number.isInteger(o.correctionEvaluations) && o.correctionEvaluations >= 1)) problems.push(`correctionEvaluations ${o.correctionEvaluations} must be a whole number ≥ 1`);
  if (!(o.recoveryIntervalLevel > 0 && o.recoveryIntervalLevel < 1)) problems.push(`recoveryIntervalLevel ${o.recoveryIntervalLevel} must be in (0, 1)`);
  if (!(o.hysteresis >= 0 && o.hysteresis < 1)) problems.push(`hysteresis ${o.hysteresis} must be in [0, 1)`);
  if (!(o.latencyTargetMs > 0 && o.recoveryTargetS > 0)) problems.push('the latency and recovery targets must be positive');
  if (problems.length > 0) throw badInput(`policy options: ${problems.join('; ')}`, 'fix the control.policy section of the config');
}

/** Intervals for people: seconds, trimmed ("4 s", "2.5 s"). */
export const secs = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;
/** Durations for people: s, min or h, whichever reads best. */
export const dur = (ms: number) => (ms < 120_000 ? secs(ms) : ms < 7_200_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 3_600_000).toFixed(1)} h`);
export const recS = (s: number) => `${+s.toFixed(1)} s`;
export const latMs = (ms: number) => `${Math.round(ms)} ms`;
export const eps = (e: number) => `${Math.round(e)} ev/s`;

export function wait(obs: Observation, state: PolicyState, reason: string): Outcome {
  return { decision: { action: 'wait', fromIntervalMs: obs.intervalMs, toIntervalMs: obs.intervalMs, reason }, state };
}

/** An evaluation that keeps the interval: recorded, so the cadence counts from it. */
export function keep(obs: Observation, state: PolicyState, reason: string, predictions?: Predictions): Outcome {
  return {
    decision: { action: 'keep', fromIntervalMs: obs.intervalMs, toIntervalMs: obs.intervalMs, reason, ...(predictions ? { predictions } : {}) },
    state: { ...state, lastEvaluationMs: obs.atMs },
  };
}

export function change(obs: Observation, state: PolicyState, toIntervalMs: number, reason: string, o: PolicyOptions, predictions?: Predictions): Outcome {
  // Only changes inside the rate window matter to anyone; older ones are dropped so the state stays small.
  const recent = state.changeTimesMs.filter((t) => obs.atMs - t < o.rateWindowMs);
  return {
    decision: { action: 'change', fromIntervalMs: obs.intervalMs, toIntervalMs, reason, ...(predictions ? { predictions } : {}) },
    state: { ...state, lastEvaluationMs: obs.atMs, lastChangeMs: obs.atMs, changeTimesMs: [...recent, obs.atMs] },
  };
}

/** Candidate intervals, ms: min, min + step, … ≤ max (computed as min + k·step so steps do not drift). */
export function candidates(minMs: number, maxMs: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let k = 0; minMs + k * stepMs <= maxMs; k++) out.push(minMs + k * stepMs);
  return out;
}

/** At most this many candidates are kept with a decision (of the 110 of the default range). */
export const CANDIDATES_KEPT = 12;

/**
 * The candidates weighed, as a decision keeps them: their count, the best, and at most
 * CANDIDATES_KEPT of them by interval — the one in force (`currentMs`), the best, and the rest
 * spread evenly over the range.
 */
export function weighedCandidates(all: readonly CandidatePrediction[], currentMs: number, bestMs: number | undefined): CandidatesWeighed {
  const sorted = [...all].sort((a, b) => a.intervalMs - b.intervalMs);
  const pick = new Set(sorted.filter((c) => c.intervalMs === currentMs || c.intervalMs === bestMs));
  const n = sorted.length;
  const spread = Math.max(0, CANDIDATES_KEPT - pick.size);
  for (let k = 0; k < spread && pick.size < Math.min(n, CANDIDATES_KEPT); k++) pick.add(sorted[Math.round((k * (n - 1)) / Math.max(1, spread - 1))]!);
  return { count: all.length, ...(bestMs === undefined ? {} : { bestMs }), kept: sorted.filter((c) => pick.has(c)) };
}

export const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export const RECOVERY_UNDER_WAY = 'a recovery is under way: the interval stays until it has ended';
export const RECOVERY_IN_WINDOW = 'the last recovery ended less than a window ago: the window still holds its catch-up, not the interval, so evaluation waits';

/** How a model-based policy evaluates: see notYet and modelPolicyStart. */
export interface EvaluationWhen {
  /** False skips the evaluateEvery wait (khaos+'s early evaluation), never the afterChange one. */
  cadence?: boolean;
  /** True evaluates while a recovery's catch-up is under way (the job RUNNING again, minUptime passed). */
  duringCatchUp?: boolean;
  /** The load judged, events/s (default: the observation's throughput). */
  load?: number;
}

/**
 * Why a model-based policy should not evaluate now, or undefined when it should. `cadence: false`
 * skips the evaluateEvery wait, never the afterChange one: until then the window's means still
 * reflect the interval before the change. `duringCatchUp` lets a recovery whose job runs again
 * (uptime > 0) be evaluated; a job still down never is.
 */
export function notYet(obs: Observation, state: PolicyState, o: PolicyOptions, when: EvaluationWhen = {}): string | undefined {
  if (obs.recovering && !(when.duringCatchUp && obs.uptimeMs > 0)) return RECOVERY_UNDER_WAY;
  // Measured on the real stack (examples/evaluate-dedup-real.yaml): an evaluation just after a
  // recovery read the catch-up's latencies as the interval's, and its correction (observed /
  // predicted, ~10^5) sent khaos+ to 1 s at the peak, the interval that catches up slowest.
  if (obs.windowHasRecovery && !obs.recovering) return RECOVERY_IN_WINDOW;
  if (obs.uptimeMs < o.minUptimeMs) return `the job has been up ${dur(obs.uptimeMs)}, evaluation starts after ${dur(o.minUptimeMs)}: ${dur(o.minUptimeMs - obs.uptimeMs)} to go`;
  // No input yet (a job up before its replay starts): the models would judge a load of 0 ev/s and
  // move on that (the demo moved 10 s → 2 s at 0 ev/s before its replay began).
  if (obs.throughputEps === 0 && !((obs.arrivalEps ?? 0) > 0)) return 'no input yet (0 ev/s): nothing to judge the interval at';
  const sinceChange = state.lastChangeMs === undefined ? Infinity : obs.atMs - state.lastChangeMs;
  if (sinceChange < o.afterChangeMs) return `the interval changed ${dur(sinceChange)} ago; next evaluation ${dur(o.afterChangeMs)} after a change, in ${dur(o.afterChangeMs - sinceChange)}`;
  if (when.cadence === false) return undefined;
  const sinceEvaluation = state.lastEvaluationMs === undefined ? Infinity : obs.atMs - state.lastEvaluationMs;
  if (sinceEvaluation < o.evaluateEveryMs) return `last evaluated ${dur(sinceEvaluation)} ago; evaluating every ${dur(o.evaluateEveryMs)}, next in ${dur(o.evaluateEveryMs - sinceEvaluation)}`;
  return undefined;
}

/** What the model-based policies share once they evaluate: models, corrected latency, notes. */
export interface Evaluation {
  models: ControlModels;
  /** State with this evaluation recorded (latency ratio appended); the base for keep/change. */
  state: PolicyState;
  /** Predicted latency at the judged load (the throughput unless the policy judges another) and interval `ciMs`, times the mean observed/predicted ratio, ms. */
  latencyAt: (ciMs: number) => number;
  correction: number;
}

/**
 * The checks every model-based policy makes before predicting: models loaded, observation usable.
 * Also appends this evaluation's observed/predicted latency ratio (kept: the last
 * `correctionEvaluations`) and builds the corrected latency prediction from their mean.
 */
export function evaluate(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions, load = obs.throughputEps): Evaluation | Outcome {
  const models = ctx.models;
  if (!models) return keep(obs, state, `no models are loaded, so the interval stays at ${secs(obs.intervalMs)}; fit them with \`khaos models fit\` from profiled failures and restart control with them`);
  const bad = (x: number) => !Number.isFinite(x) || x < 0;
  if (bad(load) || bad(obs.latencyMs))
    return keep(obs, state, `the observation is unusable (throughput ${load}, latency ${obs.latencyMs}): keeping ${secs(obs.intervalMs)} until metrics arrive`);
  const { ratios, correction } = latencyCorrection(obs, state, models, o, load);
  return {
    models,
    state: { ...state, latencyRatios: ratios },
    latencyAt: (ciMs) => models.latency.predict(load, ciMs) * correction,
    correction,
  };
}

/**
 * The load a policy judges: the window's arrival rate when the lag is reported (what the models'
 * throughput axis means: the profiler's offered rate), else its throughput. During a backlog the
 * throughput is pinned at the capacity the checkpoints leave, whatever arrives.
 */
export const arrivalLoad = (obs: Observation): number => (obs.arrivalEps !== undefined && Number.isFinite(obs.arrivalEps) ? obs.arrivalEps : obs.throughputEps);

/**
 * The latency ratios with this observation's observed/predicted appended (the last
 * `correctionEvaluations`), and their mean. No ratio is taken while the job works off a backlog:
 * its consumer lag over `backlogLagThresholdS` seconds of input, or a prediction at the ceiling
 * (the model says the backlog never drains at this load). The latency observed then is the
 * backlog's wait, not the model's error, and its ratio (~0 against the ceiling, ~50 against a
 * finite prediction at a throughput pinned at capacity) would skew the correction for the next
 * evaluations, after the overload has passed (SIMULATED, the 99th-percentile scenario on AAPL).
 */
export function latencyCorrection(obs: Observation, state: PolicyState, models: ControlModels, o: PolicyOptions, load = obs.throughputEps): { ratios: number[]; correction: number } {
  const predicted = models.latency.predict(load, obs.intervalMs);
  const ratio = obs.latencyMs / predicted;
  const backlog = obs.lagRecords !== undefined && obs.lagRecords > o.backlogLagThresholdS * Math.max(0, load);
  // A ratio from a non-positive prediction or observation would poison the mean; skip it. So would
  // one from a window that holds a recovery (khaos+ evaluates during a catch-up): its latencies are
  // the replayed backlog's, and the mean of the last ratios carried ~10^5 to the next evaluations
  // (the real stack, examples/evaluate-dedup-real.yaml: 30 s -> 1 s at 10,800 ev/s).
  const usable = Number.isFinite(ratio) && ratio > 0 && predicted < PREDICTION_CEILING.latency && !backlog && !obs.recovering && !obs.windowHasRecovery;
  const ratios = usable ? [...state.latencyRatios, ratio].slice(-o.correctionEvaluations) : state.latencyRatios;
  return { ratios, correction: ratios.length > 0 ? mean(ratios) : 1 };
}

/** A note for the reason when predictions leave the range the models were trained on. */
export function extrapolation(m: ControlModels, throughputsEps: readonly number[], ciMs: number): string {
  const notes: string[] = [];
  const { trainedCiMs: ci, trainedThroughputEps: tp } = m;
  if (ciMs < ci.min || ciMs > ci.max) notes.push(`interval ${secs(ciMs)} outside the trained ${secs(ci.min)}–${secs(ci.max)}`);
  for (const t of new Set(throughputsEps)) if (t < tp.min || t > tp.max) notes.push(`throughput ${eps(t)} outside the trained ${eps(tp.min)}–${eps(tp.max)}`);
  return notes.length > 0 ? ` (extrapolating: ${notes.join('; ')})` : '';
}

/** Mean time between failures, ms: configured, else observed, else the prior. */
export function mtbf(obs: Observation, o: PolicyOptions): { ms: number; source: string } {
  if (o.mtbfMs !== undefined) return { ms: o.mtbfMs, source: 'configured' };
  if (obs.failuresSeen > 0) return { ms: obs.observedForMs / obs.failuresSeen, source: `observed: ${obs.failuresSeen} failure(s) in ${dur(obs.observedForMs)}` };
  return { ms: o.mtbfPriorMs, source: 'prior, no failure seen yet' };
}

/** What both model-based policies do first: wait for their cadence, then evaluate at `when.load` (or keep, saying why). */
export function modelPolicyStart(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions, when: EvaluationWhen = {}) {
  const load = when.load ?? obs.throughputEps;
  const pending = notYet(obs, state, o, when);
  if (pending) return wait(obs, state, pending);
  const ev = evaluate(obs, state, ctx, o, load);
  if ('decision' in ev) return ev;
  return { ev, m: ev.models, latencyAt: ev.latencyAt, L: o.latencyTargetMs, R: o.recoveryTargetS, tput: load, ci: obs.intervalMs };
}
