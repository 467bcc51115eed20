import { badInput } from '../../core/errors.js';
import { identityDifferences, identityText, type JobIdentity } from '../../core/job-identity.js';
import type { ControlModels } from '../../core/control/policy.js';
import { chooseModel, type IntervalModel } from '../../core/models/regression.js';
import { fitModels, LATENCY_NOT_FITTED } from '../../core/models/variants.js';
import { fromModelFile } from '../../core/models/model-file.js';
import type { FailureSample } from '../../core/profiling/samples.js';

// A loop, not Math.min(...xs): spreading a million samples overflows the stack.
const range = (xs: number[]) => xs.reduce((r, x) => ({ min: Math.min(r.min, x), max: Math.max(r.max, x) }), { min: Infinity, max: -Infinity });

/** Fits both models on samples (cross-validated choice among the variants of variants.ts) for the controller. */
export function modelsFromSamples(samples: readonly FailureSample[], seed: number, version: string): ControlModels & { chosen: { latency: string; recovery: string } } {
  const fitted = fitModels(samples, seed);
  if (fitted.latency.length === 0) throw badInput(`the samples carry no latency, so there is no latency model (${LATENCY_NOT_FITTED.replace('not fitted: ', '')})`, 'use a policy without models (young-daly, static:<interval>), or profile the job with job.latency output-timestamp or metric:<name>');
  const latency = chooseModel(fitted.latency, 'latency');
  const recovery = chooseModel(fitted.recovery, 'recovery');
  return {
    latency,
    recovery,
    version,
    chosen: { latency: latency.variant, recovery: recovery.variant },
    trainedCiMs: range(samples.map((s) => s.ciMs)),
    trainedThroughputEps: range(samples.map((s) => s.throughputEps)),
  };
}

/** Reads two parsed model files written by `khaos models fit` (one per kind). */
export function modelsFromFiles(files: { latency: { json: unknown; source: string }; recovery: { json: unknown; source: string } }): ControlModels {
  const read = (kind: 'latency' | 'recovery'): { model: IntervalModel; ci: { min: number; max: number }; eps: { min: number; max: number }; sha: string } => {
    const { file, model } = fromModelFile(files[kind].json, files[kind].source);
    if (file.kind !== kind) throw badInput(`${files[kind].source} holds a ${file.kind} model where a ${kind} model was expected`, 'give control.models.latency and control.models.recovery the files of their kind');
    return { model, ci: file.training.ciMs, eps: file.training.throughputEps, sha: file.training.sha256.slice(0, 12) };
  };
  const l = read('latency');
  const r = read('recovery');
  return {
    latency: l.model,
    recovery: r.model,
    version: `files:${files.latency.source}@${l.sha},${files.recovery.source}@${r.sha}`,
    trainedCiMs: { min: Math.max(l.ci.min, r.ci.min), max: Math.min(l.ci.max, r.ci.max) },
    trainedThroughputEps: { min: Math.max(l.eps.min, r.eps.min), max: Math.min(l.eps.max, r.eps.max) },
  };
}

/** The job models were fitted for, as their files or samples say, and which file says it. */
export interface FittedFor {
  identity: JobIdentity;
  source: string;
}

/**
 * Whether the models (files or samples) were fitted for the job run now: a warning naming what
 * differs (jar, entry class, parallelism, recovery options), or with `strict` a refusal before
 * anything starts. Models that do not say which job they were fitted for are let through, saying so.
 */
export function checkModelsJob(inputs: { models?: unknown; samples?: unknown; fittedFor?: FittedFor }, now: JobIdentity, strict: boolean, log: (line: string) => void): void {
  if (!inputs.models && !inputs.samples) return;
  const f = inputs.fittedFor;
  if (!f) {
    const unknown = 'the models do not say which job they were fitted for (samples exported or models fitted before job identities)';
    if (strict) throw badInput(`--strict: ${unknown}`, 'export the profile again (`khaos profile export ID`) and refit (`khaos models fit`), or drop --strict');
    log(`models: ${unknown}; this job is ${identityText(now)}`);
    return;
  }
  const diff = identityDifferences(f.identity, now);
  if (diff.length === 0) return log(`models: fitted for this job (${identityText(now)})`);
  const message = `the models (${f.source}) were fitted for another job: ${diff.join('; ')}`;
  if (strict) throw badInput(`--strict: ${message}`, 'profile this job and fit its models (khaos profile, khaos profile export, khaos models fit), or drop --strict to use these anyway');
  log(`warning: ${message}; their predictions may not hold for this job (--strict refuses)`);
}
