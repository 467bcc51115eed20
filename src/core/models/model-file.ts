import { z } from 'zod';
import { badInput } from '../errors.js';
import { buildModel, MODEL_NAMES, type FittedModel, type IntervalModel, type ModelKind, type ModelName } from './regression.js';
import type { FailureSample } from '../profiling/samples.js';
import type { JobIdentity } from '../job-identity.js';

/**
 * Versioned JSON model files: one fitted model, its fit statistics, what its prediction
 * intervals come from, and which data trained it. Written by `khaos models fit`, read by
 * `khaos models show` and the controller.
 */

export const MODEL_FILE_FORMAT = 'khaos-model';
export const MODEL_FILE_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const range = z.object({ min: finite, max: finite });

const schema = z.object({
  format: z.literal(MODEL_FILE_FORMAT),
  version: z.literal(MODEL_FILE_VERSION),
  kind: z.enum(['latency', 'recovery']),
  name: z.enum(MODEL_NAMES),
  /** The candidate it was fitted as (variants.ts), e.g. `physical-no-phases`; absent in files written before variants. */
  variant: z.string().min(1).optional(),
  coefficients: z.record(z.string(), finite),
  fit: z.object({
    n: z.number().int().positive(),
    r2: finite,
    mape: z.number().nonnegative(),
    rmse: z.number().nonnegative(),
    /** null when cross-validation was impossible (a fold could not be fitted). */
    cvMape: z.number().nonnegative().nullable(),
    cvRmse: z.number().nonnegative().nullable(),
    cvMethod: z.enum(['leave-one-out', '10-fold']),
  }),
  interval: z.object({
    method: z.literal('cv-relative-residuals'),
    /** Sorted (observed − predicted) / predicted of the cross-validated predictions. */
    relativeResiduals: z.array(finite),
  }),
  training: z.object({
    /** What the samples were: a file path or a profile id. */
    source: z.string().min(1),
    sampleCount: z.number().int().positive(),
    /** SHA-256 (hex) of the samples CSV text. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    throughputEps: range,
    ciMs: range,
  }),
  /** ISO 8601 time of the fit. */
  createdAt: z.iso.datetime({ offset: true }),
  /** The job the samples were measured on (core/job-identity.ts); absent: samples without one (older exports, hand-made CSVs). */
  job: z
    .object({ fingerprint: z.string(), name: z.string(), entryClass: z.string(), jarSha256: z.string(), parallelism: z.number(), recoveryConf: z.record(z.string(), z.string()) })
    .optional(),
});

/** The JSON content of a model file. */
export type ModelFile = z.infer<typeof schema>;

/** Where a model's training data came from. `sha256` is the hash of the samples CSV text (computed by the caller: the core has no crypto). */
export interface TrainingData {
  source: string;
  sha256: string;
  samples: readonly FailureSample[];
  /** The job the samples were measured on, when the samples say. */
  job?: JobIdentity;
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

/** The model file of a fitted model. `createdAt` is an ISO time given by the caller's clock. */
export function toModelFile(model: FittedModel, training: TrainingData, createdAt: string): ModelFile {
  // A loop, not Math.min(...xs): spreading a million samples overflows the stack.
  const span = (xs: number[]) => xs.reduce((r, x) => ({ min: Math.min(r.min, x), max: Math.max(r.max, x) }), { min: Infinity, max: -Infinity });
  return {
    format: MODEL_FILE_FORMAT,
    version: MODEL_FILE_VERSION,
    kind: model.kind,
    name: model.name,
    variant: model.variant,
    coefficients: { ...model.coefficients },
    fit: { n: model.fit.n, r2: model.fit.r2, mape: model.fit.mape, rmse: model.fit.rmse, cvMape: orNull(model.cv.cvMape), cvRmse: orNull(model.cv.cvRmse), cvMethod: model.cv.method },
    interval: { method: 'cv-relative-residuals', relativeResiduals: [...model.relativeResiduals] },
    training: {
      source: training.source,
      sampleCount: training.samples.length,
      sha256: training.sha256,
      throughputEps: span(training.samples.map((s) => s.throughputEps)),
      ciMs: span(training.samples.map((s) => s.ciMs)),
    },
    createdAt,
    ...(training.job ? { job: { ...training.job, recoveryConf: { ...training.job.recoveryConf } } } : {}),
  };
}

/**
 * Reads a parsed model file (`source` names it in messages) into a usable model. Throws
 * `bad-input` for something that is not a Khaos model file, a version this Khaos does not read,
 * or invalid content (every problem listed at once).
 */
export function fromModelFile(value: unknown, source: string): { file: ModelFile; model: IntervalModel & { kind: ModelKind; name: ModelName } } {
  const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  if (obj?.format !== MODEL_FILE_FORMAT) {
    throw badInput(`${source} is not a Khaos model file (format ${JSON.stringify(obj?.format) ?? 'missing'}, expected "${MODEL_FILE_FORMAT}")`, 'give a file written by `khaos models fit`');
  }
  if (obj.version !== MODEL_FILE_VERSION) {
    throw badInput(`${source} is model file version ${JSON.stringify(obj.version)}; this Khaos reads version ${MODEL_FILE_VERSION}`, 'refit the model with this version of `khaos models fit`');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw badInput(`model file ${source} is invalid:\n  ${problems.join('\n  ')}`, 'refit the model with `khaos models fit` rather than editing the file');
  }
  const file = parsed.data;
  const model = buildModel(file.name, file.kind, file.coefficients);
  return { file, model: { ...model, relativeResiduals: [...file.interval.relativeResiduals].sort((a, b) => a - b) } };
}
