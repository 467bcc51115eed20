import { badInput, KhaosError } from '../errors.js';
import { boxLeastSquares, leastSquares, minimiseScalar, reduceRows, type LeastSquaresOutcome } from './linalg.js';
import { seededRandom } from '../random.js';
import { MIN_SAMPLES, type FailureSample } from '../profiling/samples.js';
import { mean, quantileSorted as quantile } from '../stats.js';

/**
 * Models of latency L(throughput, CI) and recovery time R(throughput, CI) fitted from measured
 * failures, their cross-validation, prediction intervals and the choice between them.
 * Units everywhere: throughput events/s, checkpoint interval ms, latency ms, recovery s.
 */

export type ModelKind = 'latency' | 'recovery';
export const MODEL_NAMES = ['linear', 'physical'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** A fitted model: a prediction (latency in ms or recovery in s) from throughput (events/s) and CI (ms). */
export interface Model {
  name: ModelName;
  kind: ModelKind;
  /** Never NaN; at or above the fitted capacity a physical model returns {@link PREDICTION_CEILING}. */
  predict(throughputEps: number, ciMs: number): number;
  coefficients: Record<string, number>;
}

/**
 * The largest prediction, per kind (recovery s, latency ms): one day. At or beyond capacity a job
 * never catches up and the physical equations go to infinity; a finite ceiling keeps predictions
 * comparable numbers for policies and JSON. A prediction equal to the ceiling means "saturated:
 * does not recover / latency grows without bound", not a measured figure.
 */
export const PREDICTION_CEILING: Readonly<Record<ModelKind, number>> = { recovery: 86_400, latency: 86_400_000 };

/** Goodness of fit on the training samples. */
export interface FitStats {
  n: number;
  /** 1 − SSE/SST (1 when both are 0, 0 when the targets are constant but missed). */
  r2: number;
  /** Mean absolute percentage error as a fraction (0.07 = 7 %); targets equal to 0 are left out. */
  mape: number;
  /** Root mean squared error, in the target's unit. */
  rmse: number;
}

/** Out-of-sample error: each sample predicted by a model fitted without it. */
export interface CrossValidation {
  method: 'leave-one-out' | '10-fold';
  /** Infinity when some fold could not be fitted (too few distinct inputs left in it). */
  cvMape: number;
  cvRmse: number;
  /** Folds whose training part could not be fitted. */
  failedFolds: number;
  /** (observed − predicted) / predicted of every held-out sample with a positive prediction, sorted. */
  relativeResiduals: number[];
}

/** A model that can give prediction intervals: the relative residuals come from cross-validation. */
export interface IntervalModel extends Model {
  /** Sorted (observed − predicted) / predicted of out-of-sample predictions. */
  relativeResiduals: readonly number[];
}

/** A model with its in-sample statistics and cross-validation. */
export interface FittedModel extends IntervalModel {
  /** The candidate it was fitted as (see variants.ts): its equation's name, or e.g. `physical-median`. */
  variant: string;
  fit: FitStats;
  cv: CrossValidation;
}

/**
 * What is fitted: an equation trained on a view of the training samples. The plain equation sees
 * them as they are; the list of candidates is in variants.ts.
 */
export interface Candidate {
  id: string;
  model: ModelName;
  /** The samples the equation is fitted on, from a training set (all the samples, or a fold's). */
  training(samples: readonly FailureSample[]): readonly FailureSample[];
  /** How the equation is fitted, when not plainly. */
  options?: FitOptions;
}

/** The equation `name` on the samples as they are. */
export const plainCandidate = (name: ModelName): Candidate => ({ id: name, model: name, training: (s) => s });
const candidateOf = (c: ModelName | Candidate): Candidate => (typeof c === 'string' ? plainCandidate(c) : c);

/** Reports one step of a long fit: `done` of `total` steps (folds and final fits) of all candidates. */
export type FitProgress = (p: { done: number; total: number; step: string }) => void;

/** A failure whose pre-failure window had a latency. */
export type LatencySample = FailureSample & { latencyMs: number };
export const hasLatency = (s: FailureSample): s is LatencySample => s.latencyMs !== undefined;

/** The samples that measured `kind`: every one for recovery, those with a latency for latency. */
export function samplesOf(samples: readonly FailureSample[], kind: ModelKind): readonly FailureSample[] {
  return kind === 'recovery' ? samples : samples.filter(hasLatency);
}

// Only called on samplesOf(…, kind).
const targetOf = (s: FailureSample, kind: ModelKind) => (kind === 'recovery' ? s.recoverySec : s.latencyMs!);

// ---------------------------------------------------------------------------------------------
// The models, from their coefficients

/** Coefficient names each model needs; a model file must carry them. */
export const COEFFICIENTS: Readonly<Record<ModelName, Readonly<Record<ModelKind, readonly string[]>>>> = {
  linear: { recovery: ['intercept', 'perThroughputEps', 'perCiMs'], latency: ['intercept', 'perThroughputEps', 'perCiMs'] },
  physical: { recovery: ['capacityEps', 'downtimeSec', 'phi'], latency: ['capacityEps', 'baseMs', 'perCiMs', 'queueMsEps'] },
};

/** Parameters of the physical recovery equation (see {@link physicalRecoverySec}). */
export interface PhysicalRecovery {
  /** Throughput the job sustains when catching up, events/s. */
  capacityEps: number;
  /** Detection + restart and restore, s. */
  downtimeSec: number;
  /** Time since the last completed checkpoint at the failure, as a fraction of the CI, in [0, 1]. */
  phi: number;
  /**
   * What each checkpoint costs, as the processing of this many seconds of input (0 when absent):
   * a job whose state grows with its input rate λ (a retention, a window) writes it every CI, and
   * loses `checkpointCostSec · λ / CI` events/s of its capacity while it catches up.
   */
  checkpointCostSec?: number;
}

/** The capacity left to a catch-up at this input and interval, after what checkpoints take (events/s). */
export function catchUpCapacityEps(p: Pick<PhysicalRecovery, 'capacityEps' | 'checkpointCostSec'>, throughputEps: number, ciMs: number): number {
  return p.capacityEps - ((p.checkpointCostSec ?? 0) * throughputEps) / (ciMs / 1000);
}

/**
 * Recovery time (s) from the physics of a checkpointed job:
 *
 *   R = D + catch-up,   catch-up = backlog / (capacity − λ),   backlog = λ · (φ·CI + D)
 *     = (D·capacity + φ·λ·CI) / (capacity − λ)
 *
 * with λ the input rate, D = detection + restart and restore, and φ·CI the input since the last
 * completed checkpoint that must be replayed (φ ≈ 1 for the worst-case injection just before a
 * checkpoint is due, ≈ 0.5 for random timing). With a checkpoint cost the capacity is the one left
 * to the catch-up ({@link catchUpCapacityEps}), so a short interval can recover slower than a long
 * one near capacity (docs/profile.md, the full-checkpoint physics). At λ ≥ that capacity the backlog
 * never drains: the result is {@link PREDICTION_CEILING}.recovery, as it is whenever the formula exceeds it.
 */
export function physicalRecoverySec(p: PhysicalRecovery, throughputEps: number, ciMs: number): number {
  const ceiling = PREDICTION_CEILING.recovery;
  const capacityEps = catchUpCapacityEps(p, throughputEps, ciMs);
  if (throughputEps >= capacityEps) return ceiling;
  const r = (p.downtimeSec * capacityEps + p.phi * throughputEps * (ciMs / 1000)) / (capacityEps - throughputEps);
  return Math.min(ceiling, r);
}

/** Parameters of the physical latency equation (see {@link physicalLatencyMs}). */
export interface PhysicalLatency {
  capacityEps: number;
  /** Latency of an idle job, ms. */
  baseMs: number;
  /** Change of latency per ms of CI (dimensionless; either sign). */
  perCiMs: number;
  /** Queueing term: ms of latency × events/s of spare capacity. */
  queueMsEps: number;
}

/**
 * p99 latency (ms) as   L = base + perCiMs·CI + queue / (capacity − λ).
 * Why this form: a stream operator is a queue whose waiting time grows like 1/(capacity − λ)
 * (M/M/1 and its kin) — flat at low load, bending upward near capacity, which a straight line
 * cannot do; as capacity → ∞ the term tends to a constant plus a linear slope, so the form nests
 * the original's linear model in throughput. The CI enters linearly, with a free sign: short
 * intervals add barrier alignment and snapshot work, long ones delay transactional sink commits.
 * At λ ≥ capacity the result is {@link PREDICTION_CEILING}.latency.
 */
export function physicalLatencyMs(p: PhysicalLatency, throughputEps: number, ciMs: number): number {
  const ceiling = PREDICTION_CEILING.latency;
  if (throughputEps >= p.capacityEps) return ceiling;
  return Math.min(ceiling, p.baseMs + p.perCiMs * ciMs + p.queueMsEps / (p.capacityEps - throughputEps));
}

/**
 * A model from its name, kind and coefficients (as fitted, or read from a model file). Throws
 * `bad-input` naming the coefficients that are missing or not finite.
 */
export function buildModel(name: ModelName, kind: ModelKind, coefficients: Record<string, number>): Model {
  const missing = COEFFICIENTS[name][kind].filter((k) => !Number.isFinite(coefficients[k]));
  if (missing.length > 0) throw badInput(`${name} ${kind} model lacks finite coefficient(s) ${missing.join(', ')}`, 'refit the model with `khaos models fit`');
  const c = { ...coefficients } as Record<string, number>;
  const at = (k: string) => c[k]!;
  let predict: (throughputEps: number, ciMs: number) => number;
  if (name === 'linear') predict = (t, ci) => at('intercept') + at('perThroughputEps') * t + at('perCiMs') * ci;
  else if (kind === 'recovery') {
    // checkpointCostSec is optional: model files fitted without it predict as before.
    const p = { capacityEps: at('capacityEps'), downtimeSec: at('downtimeSec'), phi: at('phi'), checkpointCostSec: c.checkpointCostSec ?? 0 };
    predict = (t, ci) => physicalRecoverySec(p, t, ci);
  } else {
    const p = { capacityEps: at('capacityEps'), baseMs: at('baseMs'), perCiMs: at('perCiMs'), queueMsEps: at('queueMsEps') };
    predict = (t, ci) => physicalLatencyMs(p, t, ci);
  }
  // A time is never negative; a fit extrapolated far below its samples' throughput can go under 0
  // (a linear refit on few samples gave −26 s at 1,050 ev/s), and a policy must not read that as headroom.
  const fitted = predict;
  return { name, kind, predict: (t, ci) => Math.max(0, fitted(t, ci)), coefficients: c };
}

// ---------------------------------------------------------------------------------------------
// Fitting

/** The original's model: ordinary least squares of a + b·throughput + c·CI. */
function fitLinear(samples: readonly FailureSample[], kind: ModelKind): Model {
  const X = samples.map((s) => [1, s.throughputEps, s.ciMs]);
  const { coef } = leastSquares(X, samples.map((s) => targetOf(s, kind)), ['the intercept', 'throughput_eps', 'ci_ms']);
  return buildModel('linear', kind, { intercept: coef[0]!, perThroughputEps: coef[1]!, perCiMs: coef[2]! });
}

/**
 * Row weights 1/y: the physical fits minimise squared *relative* error. Measured recovery noise
 * grows with recovery time (a 1400 s recovery is not known to the second), and the models are
 * judged by MAPE; absolute least squares would let the few failures near capacity decide alone.
 * Targets near 0 are floored at 0.1 % of the median so that one tiny value cannot dominate.
 */
function relativeWeights(y: readonly number[]): Float64Array {
  const sorted = Float64Array.from(y, Math.abs).sort();
  const floor = Math.max(1e-12, 1e-3 * sorted[Math.floor(sorted.length / 2)]!);
  return Float64Array.from(y, (v) => 1 / Math.max(floor, Math.abs(v)));
}

/**
 * Both physical models are linear in all parameters but capacity once capacity is fixed
 * (separable least squares, "variable projection"): capacity is searched in one dimension, as
 * capacity = max observed throughput × (1 + e^t) with t in [ln 1e-6, ln 1e3] — so capacity stays
 * above every observed throughput — and at each capacity the other parameters come from an exact
 * bounded linear least-squares solve. This is deterministic and, unlike a 3–4-dimensional
 * Nelder–Mead or Levenberg–Marquardt search, cannot stop in a poor local minimum of the linear
 * parameters or need a starting point.
 */
export function fitCapacity(samples: readonly { throughputEps: number }[], solveAt: (capacityEps: number) => LeastSquaresOutcome): { capacityEps: number; coef: number[]; sse: number } {
  const maxEps = samples.reduce((m, s) => Math.max(m, s.throughputEps), -Infinity);
  if (!(maxEps > 0)) throw badInput('needs samples with throughput above 0 to place its capacity', 'profile failures at several load levels');
  const capacityOf = (t: number) => maxEps * (1 + Math.exp(t));
  const best = minimiseScalar(
    (t) => {
      const r = solveAt(capacityOf(t));
      return r.ok ? r.sse : Infinity;
    },
    Math.log(1e-6),
    Math.log(1e3),
    { gridPoints: 120, tol: 1e-10 },
  );
  const capacityEps = capacityOf(best.x);
  const r = solveAt(capacityEps);
  if (!r.ok) throw badInput('cannot be fitted: the samples do not vary throughput and checkpoint interval enough', 'profile several throughputs at each of at least two checkpoint intervals');
  return { capacityEps, coef: r.coef, sse: r.sse };
}

/** How a physical fit is done, beyond its equation and samples (a candidate's choice, variants.ts). */
export interface FitOptions {
  /** Fit the recovery equation's checkpoint cost ({@link PhysicalRecovery}.checkpointCostSec) too; otherwise it is 0. */
  checkpointCost?: boolean;
}

/** The checkpoint costs searched, s of input per checkpoint (log scale; 0 is tried apart). */
const CHECKPOINT_COST_RANGE_SEC = [1e-3, 100] as const;

/**
 * The physical recovery model ({@link physicalRecoverySec}). Capacity, φ ∈ [0, 1] and D ≥ 0 are
 * fitted; when at least {@link MIN_SAMPLES} samples carry both detection_s and restart_s, detection
 * and restart are their means (reported as `detectionSec`, `restartSec`) and only capacity and φ
 * are fitted. With `checkpointCost`, the cost k ≥ 0 is searched too, one more dimension outside
 * the capacity's (k = 0 is the plain fit, so the cost is kept only where it lowers the error).
 */
function fitPhysicalRecovery(samples: readonly FailureSample[], opts: FitOptions = {}): Model {
  const y = samples.map((s) => s.recoverySec);
  const w = relativeWeights(y);
  const phased = samples.filter((s) => s.detectionSec !== undefined && s.restartSec !== undefined);
  const measured = phased.length >= MIN_SAMPLES ? { detectionSec: mean(phased.map((s) => s.detectionSec!)), restartSec: mean(phased.map((s) => s.restartSec!)) } : undefined;
  const n = samples.length;
  // At a cost k each sample's catch-up capacity is cap − k·λ/CI: the capacity search keeps cap
  // above λ + k·λ/CI (its "throughput" below), so every catch-up drains.
  const fitAtCost = (k: number) => {
    const lost = samples.map((s) => (k * s.throughputEps) / (s.ciMs / 1000));
    // R = D · capL/(capL − λ) + φ · λ·CI/(capL − λ), capL = cap − lost: linear in D and φ at a fixed
    // capacity. Rows go straight into the reduced problem, so a capacity costs one pass and no row arrays.
    const solveAt = (cap: number): LeastSquaresOutcome => {
      const left = (i: number) => cap - lost[i]!;
      const replay = (i: number) => ((samples[i]!.throughputEps * samples[i]!.ciMs) / 1000 / (left(i) - samples[i]!.throughputEps)) * w[i]!;
      const downtimeFactor = (i: number) => left(i) / (left(i) - samples[i]!.throughputEps);
      if (measured) {
        const d = measured.detectionSec + measured.restartSec;
        const reduced = reduceRows(n, 1, (i, row) => {
          row[0] = replay(i);
          return (y[i]! - d * downtimeFactor(i)) * w[i]!;
        });
        const r = boxLeastSquares(reduced, [], [0], [1]);
        return r.ok ? { ...r, coef: [d, r.coef[0]!] } : r;
      }
      const reduced = reduceRows(n, 2, (i, row) => {
        row[0] = downtimeFactor(i) * w[i]!;
        row[1] = replay(i);
        return y[i]! * w[i]!;
      });
      return boxLeastSquares(reduced, [], [0, 0], [Infinity, 1]);
    };
    return { k, ...fitCapacity(samples.map((s, i) => ({ throughputEps: s.throughputEps + lost[i]! })), solveAt) };
  };
  let best = fitAtCost(0);
  if (opts.checkpointCost) {
    const sseAt = (lnK: number) => {
      try {
        return fitAtCost(Math.exp(lnK)).sse;
      } catch (e) {
        if (e instanceof KhaosError && e.kind === 'bad-input') return Infinity;
        throw e;
      }
    };
    const [lo, hi] = CHECKPOINT_COST_RANGE_SEC;
    const found = minimiseScalar(sseAt, Math.log(lo), Math.log(hi), { gridPoints: 30, tol: 1e-6 });
    if (found.fx < best.sse) best = fitAtCost(Math.exp(found.x));
  }
  const coefficients: Record<string, number> = { capacityEps: best.capacityEps, downtimeSec: best.coef[0]!, phi: best.coef[1]!, ...measured };
  if (opts.checkpointCost) coefficients.checkpointCostSec = best.k;
  return buildModel('physical', 'recovery', coefficients);
}

/**
 * The latency equation's base ≥ 0, perCiMs and queue ≥ 0 ({@link physicalLatencyMs}, coefficients
 * in that order) at a given capacity above every sample's throughput, by relative least squares.
 */
export function physicalLatencyAt(samples: readonly Pick<LatencySample, 'ciMs' | 'throughputEps' | 'latencyMs'>[], capacityEps: number): LeastSquaresOutcome {
  return physicalLatencySolver(samples)(capacityEps);
}

/** {@link physicalLatencyAt} as a function of capacity, with the weights computed once. */
function physicalLatencySolver(samples: readonly Pick<LatencySample, 'ciMs' | 'throughputEps' | 'latencyMs'>[]): (capacityEps: number) => LeastSquaresOutcome {
  const w = relativeWeights(samples.map((s) => s.latencyMs));
  return (capacityEps) => {
    const reduced = reduceRows(samples.length, 3, (i, row) => {
      const s = samples[i]!;
      row[0] = w[i]!;
      row[1] = s.ciMs * w[i]!;
      row[2] = w[i]! / (capacityEps - s.throughputEps);
      return s.latencyMs * w[i]!;
    });
    return boxLeastSquares(reduced, [], [0, -Infinity, 0], [Infinity, Infinity, Infinity]);
  };
}

/** The physical latency model ({@link physicalLatencyMs}): capacity, base ≥ 0, perCiMs and queue ≥ 0 fitted. */
function fitPhysicalLatency(samples: readonly LatencySample[]): Model {
  const { capacityEps, coef } = fitCapacity(samples, physicalLatencySolver(samples));
  return buildModel('physical', 'latency', { capacityEps, baseMs: coef[0]!, perCiMs: coef[1]!, queueMsEps: coef[2]! });
}

/** Fits one model to all the samples, without statistics. Throws `bad-input` when the samples cannot determine it. */
export function fitOne(all: readonly FailureSample[], kind: ModelKind, name: ModelName, opts: FitOptions = {}): Model {
  const samples = samplesOf(all, kind);
  if (samples.length < MIN_SAMPLES) throw badInput(`fitting needs at least ${MIN_SAMPLES} samples, got ${samples.length}${samples.length < all.length ? ` with a latency (of ${all.length})` : ''}`, 'profile more failures');
  try {
    if (name === 'linear') return fitLinear(samples, kind);
    return kind === 'recovery' ? fitPhysicalRecovery(samples, opts) : fitPhysicalLatency(samples.filter(hasLatency));
  } catch (e) {
    if (e instanceof KhaosError && e.kind === 'bad-input') throw new KhaosError('bad-input', `${name} ${kind} model: ${e.message}`, e.hint, { cause: e });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics, cross-validation, intervals

/** MAPE as a fraction; targets equal to 0 are left out (0 if none remain and nothing was missed, else Infinity). */
export function mape(observed: readonly number[], predicted: readonly number[]): number {
  let sum = 0;
  let n = 0;
  let missedZero = false;
  observed.forEach((y, i) => {
    if (y === 0) missedZero ||= predicted[i] !== 0;
    else {
      sum += Math.abs((y - predicted[i]!) / y);
      n++;
    }
  });
  return n > 0 ? sum / n : missedZero ? Infinity : 0;
}

export function fitStats(observed: readonly number[], predicted: readonly number[]): FitStats {
  const n = observed.length;
  const m = mean(observed);
  const sse = observed.reduce((s, y, i) => s + (y - predicted[i]!) ** 2, 0);
  const sst = observed.reduce((s, y) => s + (y - m) ** 2, 0);
  return { n, r2: sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0, mape: mape(observed, predicted), rmse: Math.sqrt(sse / n) };
}

/** Above this many samples cross-validation is 10-fold instead of leave-one-out. */
export const LOO_MAX_SAMPLES = 30;

/** Index folds: one per sample up to {@link LOO_MAX_SAMPLES}, else 10 folds of a seeded shuffle. */
export function crossValidationFolds(n: number, seed: number): { method: CrossValidation['method']; folds: number[][] } {
  if (n <= LOO_MAX_SAMPLES) return { method: 'leave-one-out', folds: Array.from({ length: n }, (_, i) => [i]) };
  const order = Array.from({ length: n }, (_, i) => i);
  const random = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const k = 10;
  return { method: '10-fold', folds: Array.from({ length: k }, (_, f) => order.slice(Math.floor((f * n) / k), Math.floor(((f + 1) * n) / k))) };
}

/**
 * Cross-validates a model: each fold is predicted by the model fitted on the other samples (seen
 * through the candidate's `training`); every candidate is scored on the same held-out failures.
 * Leave-one-out up to {@link LOO_MAX_SAMPLES} samples, else 10-fold with a shuffle seeded by
 * `seed` (same seed, same folds, same result). The work is (folds + 1) fits, each linear in the
 * number of samples, so the whole is linear for the fixed number of folds above the LOO bound.
 * `onFold` is called after each fold.
 */
export function crossValidate(all: readonly FailureSample[], kind: ModelKind, what: ModelName | Candidate, seed: number, onFold?: (done: number, folds: number) => void): CrossValidation {
  const samples = samplesOf(all, kind);
  const candidate = candidateOf(what);
  const { method, folds } = crossValidationFolds(samples.length, seed);
  const held = new Uint8Array(samples.length);
  const observed: number[] = [];
  const predicted: number[] = [];
  let failedFolds = 0;
  for (const [f, fold] of folds.entries()) {
    for (const i of fold) held[i] = 1;
    const training = samples.filter((_, i) => held[i] === 0);
    for (const i of fold) held[i] = 0;
    let model: Model;
    try {
      model = fitOne(candidate.training(training), kind, candidate.model, candidate.options);
    } catch (e) {
      if (e instanceof KhaosError && e.kind === 'bad-input') {
        failedFolds++;
        onFold?.(f + 1, folds.length);
        continue;
      }
      throw e;
    }
    onFold?.(f + 1, folds.length);
    for (const i of fold) {
      observed.push(targetOf(samples[i]!, kind));
      predicted.push(model.predict(samples[i]!.throughputEps, samples[i]!.ciMs));
    }
  }
  const stats = observed.length > 0 ? fitStats(observed, predicted) : undefined;
  const relativeResiduals = observed.flatMap((y, i) => (predicted[i]! > 0 ? [(y - predicted[i]!) / predicted[i]!] : [])).sort((a, b) => a - b);
  return {
    method,
    cvMape: failedFolds > 0 || !stats ? Infinity : stats.mape,
    cvRmse: failedFolds > 0 || !stats ? Infinity : stats.rmse,
    failedFolds,
    relativeResiduals,
  };
}

/**
 * Fits a candidate (an equation, or a variant from variants.ts) on all samples, with its in-sample
 * statistics and cross-validation, both measured on the samples themselves.
 */
export function fitModel(all: readonly FailureSample[], kind: ModelKind, what: ModelName | Candidate, seed: number, onFold?: (done: number, folds: number) => void): FittedModel {
  const samples = samplesOf(all, kind);
  const candidate = candidateOf(what);
  // From `all`, so that fitOne's message can say how many samples lacked a latency.
  const model = fitOne(candidate.training(all), kind, candidate.model, candidate.options);
  const fit = fitStats(
    samples.map((s) => targetOf(s, kind)),
    samples.map((s) => model.predict(s.throughputEps, s.ciMs)),
  );
  const cv = crossValidate(samples, kind, candidate, seed, onFold);
  return { ...model, variant: candidate.id, fit, cv, relativeResiduals: cv.relativeResiduals };
}

/**
 * The candidate of `kind` with the lowest cross-validated MAPE; on a tie (within 1e-9) the one
 * listed first, so the simpler linear baseline wins ties. Throws `bad-input` if none could be
 * cross-validated.
 */
export function chooseModel<M extends { kind: ModelKind; cv: { cvMape: number } }>(candidates: readonly M[], kind: ModelKind): M {
  let best: M | undefined;
  for (const c of candidates) {
    if (c.kind !== kind || !Number.isFinite(c.cv.cvMape)) continue;
    if (!best || c.cv.cvMape < best.cv.cvMape - 1e-9) best = c;
  }
  if (!best) throw badInput(`no ${kind} model could be cross-validated on these samples`, 'profile more failures, at several throughputs and at least two checkpoint intervals');
  return best;
}


/** A prediction with its interval, in the model's unit. */
export interface PredictionInterval {
  low: number;
  mid: number;
  high: number;
}

/**
 * A prediction interval from the empirical quantiles of the cross-validated relative residuals:
 * with level 0.8, the 10th and 90th percentiles r₁₀, r₉₀ give [mid·(1 + r₁₀), mid·(1 + r₉₀)]
 * (relative because the error grows with the prediction). The interval always contains `mid`,
 * is floored at 0 and capped at the ceiling. With no residuals it collapses to `mid`.
 * Throws `bad-input` for a level outside (0, 1).
 */
export function predictInterval(model: IntervalModel, throughputEps: number, ciMs: number, level = 0.8): PredictionInterval {
  if (!(level > 0 && level < 1)) throw badInput(`interval level ${level} must be between 0 and 1`, 'use e.g. 0.8 for an 80 % interval');
  const mid = model.predict(throughputEps, ciMs);
  const r = model.relativeResiduals;
  if (r.length === 0) return { low: mid, mid, high: mid };
  const qLow = Math.min(0, quantile(r, (1 - level) / 2));
  const qHigh = Math.max(0, quantile(r, (1 + level) / 2));
  const a = mid * (1 + qLow);
  const b = mid * (1 + qHigh);
  const ceiling = PREDICTION_CEILING[model.kind];
  return { low: mid >= 0 ? Math.max(0, Math.min(a, b)) : Math.min(a, b), mid, high: mid <= ceiling ? Math.min(ceiling, Math.max(a, b)) : Math.max(a, b) };
}
