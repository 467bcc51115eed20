import { KhaosError } from '../errors.js';
import { MIN_SAMPLES, medianOfRepeats, repeatGroups, type FailureSample } from '../profiling/samples.js';
import { chooseModel, crossValidationFolds, fitModel, samplesOf, type Candidate, type FitProgress, type FittedModel, type ModelKind, type ModelName } from './regression.js';

/**
 * The candidate models, in one list: an equation (linear or physical) fitted on a view of the
 * samples. `khaos models fit|compare`, the profile report, the controller's fit from samples and
 * bench/model-accuracy.ts all read it, so the cross-validated choice weighs every candidate the
 * accuracy bench measures, and a new candidate is one entry here.
 */
export interface ModelVariant extends Candidate {
  /** The kinds it is a candidate for. */
  kinds: readonly ModelKind[];
  /** One line: what differs from the plain equation, and why it is a candidate. */
  description: string;
  /** False when, on these samples, it would be the same fit as an earlier variant: it is then left out. */
  appliesTo(samples: readonly FailureSample[]): boolean;
}

const KINDS: readonly ModelKind[] = ['recovery', 'latency'];
const withPhases = (s: FailureSample) => s.detectionSec !== undefined && s.restartSec !== undefined;
/** The physical recovery fit takes its downtime from the phase columns only when this many samples have them (see fitPhysicalRecovery). */
const hasPhases = (xs: readonly FailureSample[]) => xs.filter(withPhases).length >= MIN_SAMPLES;
/**
 * Median-of-k applies to a profile that repeats its points: at least 2 failures per (interval,
 * throughput) on average. A few coincidental equal throughputs among continuous ones are not
 * repeats, and would only fit the plain equations a second time.
 */
const hasRepeats = (xs: readonly FailureSample[]) => repeatGroups(xs).length * 2 <= xs.length;
/** A checkpoint cost is told apart from the capacity only where one load was failed at more than one interval. */
const hasTwoIntervals = (xs: readonly FailureSample[]) => new Set(xs.map((s) => s.ciMs)).size >= 2;
const dropPhases = (xs: readonly FailureSample[]): FailureSample[] => xs.map(({ detectionSec: _d, restartSec: _r, ...rest }) => rest);

const base: ModelVariant[] = [
  { id: 'linear', model: 'linear', kinds: KINDS, description: "the original's model: least squares of a + b·throughput + c·CI", appliesTo: () => true, training: (s) => s },
  { id: 'physical', model: 'physical', kinds: KINDS, description: 'the physical equations; recovery takes its downtime from detection_s + restart_s when the samples have them', appliesTo: () => true, training: (s) => s },
  {
    id: 'physical-no-phases',
    model: 'physical',
    kinds: ['recovery'],
    description: 'physical recovery with its downtime fitted rather than taken from detection_s + restart_s (the measured phases can miss what the fit sees)',
    appliesTo: hasPhases,
    training: dropPhases,
  },
  {
    id: 'physical-ckpt-cost',
    model: 'physical',
    kinds: ['recovery'],
    description: 'physical recovery, downtime fitted, with the capacity a checkpoint takes from the catch-up (checkpointCostSec: a short interval near capacity recovers slowly when every checkpoint writes a state that grows with the rate)',
    appliesTo: hasTwoIntervals,
    training: dropPhases,
    options: { checkpointCost: true },
  },
];

/**
 * Every candidate: each base variant, then each fitted on the median of each group of repeats
 * (same interval and throughput: the original's median-of-k). A median variant is trained on
 * medians but scored, like every candidate, on the individual held-out failures.
 */
export const MODEL_VARIANTS: readonly ModelVariant[] = [
  ...base,
  ...base.map(
    (v): ModelVariant => ({
      id: `${v.id}-median`,
      model: v.model,
      kinds: v.kinds,
      description: `${v.id} fitted on the median of each group of repeats (median-of-k)`,
      appliesTo: (xs) => v.appliesTo(xs) && hasRepeats(xs),
      training: (xs) => v.training(medianOfRepeats(xs)),
      ...(v.options ? { options: v.options } : {}),
    }),
  ),
];

/** The variants of `kind` that apply to these samples, in {@link MODEL_VARIANTS} order. */
export function variantsFor(samples: readonly FailureSample[], kind: ModelKind): ModelVariant[] {
  const own = samplesOf(samples, kind);
  return MODEL_VARIANTS.filter((v) => v.kinds.includes(kind) && v.appliesTo(own));
}

/** A variant that applied but could not be fitted on all the samples (the plain equations never land here: they throw). */
export interface UnfittedVariant {
  variant: string;
  kind: ModelKind;
  reason: string;
}

export type FittedVariants = Record<ModelKind, FittedModel[]> & { unfitted: UnfittedVariant[] };

/**
 * Fits and cross-validates every applicable variant of every kind. Throws `bad-input` when a
 * plain equation cannot be fitted (the samples are unusable); a derived variant that cannot be
 * fitted is listed in `unfitted` instead. `onProgress` is called after each fold and each fit.
 */
export function fitModels(samples: readonly FailureSample[], seed: number, onProgress?: FitProgress): FittedVariants {
  // Samples without any latency (a profile with job.latency none) fit no latency model: `latency` stays empty.
  const plan = KINDS.filter((kind) => kind !== 'latency' || samplesOf(samples, kind).length > 0).flatMap((kind) => variantsFor(samples, kind).map((variant) => ({ kind, variant })));
  const n = samples.length;
  const foldsEach = (kind: ModelKind) => crossValidationFolds(samplesOf(samples, kind).length, seed).folds.length + 1; // +1: the fit on all
  const total = plan.reduce((t, p) => t + foldsEach(p.kind), 0);
  let done = 0;
  const out: FittedVariants = { recovery: [], latency: [], unfitted: [] };
  for (const { kind, variant } of plan) {
    const step = `${kind}/${variant.id}`;
    try {
      out[kind].push(fitModel(samples, kind, variant, seed, (f, folds) => onProgress?.({ done: done + f, total, step: `${step}: fold ${f} of ${folds} (${n} samples)` })));
    } catch (e) {
      if (!(e instanceof KhaosError && e.kind === 'bad-input') || variant.id === variant.model) throw e;
      out.unfitted.push({ variant: variant.id, kind, reason: e.message });
    }
    done += foldsEach(kind);
    onProgress?.({ done, total, step: `${step}: done` });
  }
  return out;
}

/** What `khaos models compare --json` prints. cvMape is Infinity (null in JSON) when CV was impossible. */
export interface ModelComparison {
  models: { name: string; model: ModelName; description: string; recovery?: ComparedFit; latency?: ComparedFit }[];
  /** The variant chosen per kind (its `name` above). */
  chosen: Record<ModelKind, string>;
  unfitted: UnfittedVariant[];
}
export interface ComparedFit {
  cvMape: number;
  r2: number;
  coefficients: Record<string, number>;
}

/** What is said where no latency model was fitted: the samples carry no latency. */
export const LATENCY_NOT_FITTED = 'not fitted: no sample carries a latency (profiled with job.latency none)';

/** Summary of {@link fitModels} and the choice per kind. */
export function summarise(fitted: FittedVariants): ModelComparison {
  const brief = (m: FittedModel | undefined): ComparedFit | undefined => m && { cvMape: m.cv.cvMape, r2: m.fit.r2, coefficients: m.coefficients };
  const fittedIds = new Set(KINDS.flatMap((k) => fitted[k].map((m) => m.variant)));
  return {
    models: MODEL_VARIANTS.filter((v) => fittedIds.has(v.id)).map((v) => {
      const row: ModelComparison['models'][number] = { name: v.id, model: v.model, description: v.description };
      for (const kind of KINDS) {
        const fit = brief(fitted[kind].find((m) => m.variant === v.id));
        if (fit) row[kind] = fit;
      }
      return row;
    }),
    chosen: { recovery: chooseModel(fitted.recovery, 'recovery').variant, latency: fitted.latency.length > 0 ? chooseModel(fitted.latency, 'latency').variant : LATENCY_NOT_FITTED },
    unfitted: fitted.unfitted,
  };
}

/** Fits, cross-validates (folds seeded by `seed`) and compares every variant on the samples. */
export function compareModels(samples: readonly FailureSample[], seed: number): ModelComparison {
  return summarise(fitModels(samples, seed));
}

/** Both kinds fitted and each one's model chosen, or why the samples cannot determine them. */
export type ModelFitting =
  | { ok: true; fitted: FittedVariants; chosen: Record<ModelKind, FittedModel | undefined>; n: number }
  | { ok: false; reason: string };

/**
 * Fits every variant and chooses each kind's model, never throwing for samples that cannot
 * determine them (too few, or degenerate): `reason` then says why, for a report to print. A kind
 * whose variants all fail to fit has no chosen model.
 */
export function fitAndChoose(samples: readonly FailureSample[], seed: number): ModelFitting {
  if (samples.length < MIN_SAMPLES) {
    return { ok: false, reason: `${samples.length} ${samples.length === 1 ? 'failure' : 'failures'} recovered, and every model needs at least ${MIN_SAMPLES}.` };
  }
  const unlessBadInput = <T>(f: () => T, otherwise: (e: KhaosError) => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof KhaosError && e.kind === 'bad-input') return otherwise(e);
      throw e;
    }
  };
  const sentence = (x: string) => (/[.!?]$/.test(x) ? x : `${x}.`);
  return unlessBadInput<ModelFitting>(
    () => {
      const fitted = fitModels(samples, seed);
      const choose = (kind: ModelKind) => unlessBadInput<FittedModel | undefined>(() => chooseModel(fitted[kind], kind), () => undefined);
      return { ok: true, fitted, chosen: { recovery: choose('recovery'), latency: choose('latency') }, n: samples.length };
    },
    (e) => ({ ok: false, reason: `${sentence(e.message)}${e.hint ? ` To fix: ${sentence(e.hint)}` : ''}` }),
  );
}
