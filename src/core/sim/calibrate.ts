import { badInput } from '../errors.js';
import { intervalAt, type RealRunRecord } from '../evaluation/real-run.js';
import type { JobName } from '../jobs.js';
import { boxLeastSquares } from '../models/linalg.js';
import { fitCapacity, mape, physicalLatencyAt, physicalLatencyMs, physicalRecoverySec, type LatencySample } from '../models/regression.js';
import { MIN_SAMPLES, type FailureSample } from '../profiling/samples.js';
import { mean, median } from '../stats.js';
import { checkpointCycle } from './fluid-models.js';
import { checkParams, DEFAULT_FLUID_PARAMS, downtimeSec, reconfigurationOutageSec, restoreSec, type FluidParams } from './fluid-params.js';
import type { FailureType } from '../failure-types.js';

/**
 * Calibration of the fluid simulator: its parameters fitted from measurements of the real job
 * (failure samples of a profile or a samples CSV, and runs of the real-stack evaluation), each with
 * where it came from. Pure; the CLI (`khaos sim calibrate`) reads the sources and stores the record.
 * Units as in FluidParams: times ms unless the name says otherwise, rates events/s, sizes bytes.
 */

/** Failure samples of one source: a stored profile or a samples CSV. */
export interface SampleSource {
  /** `profile:<id>` or `samples:<file>`. */
  name: string;
  /** The job measured, when the source says (a profile does, a CSV does not). */
  job?: JobName;
  /** The failure injected: the detection the samples measured is that type's. */
  failure: FailureType;
  /** Time since the last completed checkpoint at the injections, as a fraction of the interval (φ of physicalRecoverySec). */
  phi: number;
  samples: readonly FailureSample[];
}

/** Runs of the real-stack evaluation (`<out>/runs.json`), named `runs:<file>`. */
export interface RunSource {
  name: string;
  runs: readonly RealRunRecord[];
}

export interface CalibrationInput {
  job: JobName;
  samples?: SampleSource;
  runs?: readonly RunSource[];
  /** What parameters without data keep (default DEFAULT_FLUID_PARAMS). */
  base?: FluidParams;
}

/** Where a parameter's value came from: `default` (the base value) or the sources joined by " + ", and how many measurements. */
export interface FittedParam {
  value: number;
  source: string;
  /** Measurements available for it (also when too few to fit). */
  n: number;
  /** Why it kept its base value although there were measurements, or an assumption made. */
  note?: string;
}

export interface RecoveryCheck {
  source: string;
  ciMs: number;
  throughputEps: number;
  measuredSec: number;
  /** What the calibrated parameters predict (physicalRecoverySec with their downtime and capacity), s. */
  predictedSec: number;
}

export interface CalibrationQuality {
  /** Every recovered failure of the sources, measured against predicted. */
  recovery: RecoveryCheck[];
  /** Mean absolute percentage error of `recovery` as a fraction; null when nothing could be compared. */
  recoveryMape: number | null;
  /** The same for the latency equation over the latency measurements (n of them). */
  latencyMape: number | null;
  latencyN: number;
}

/** What `calibrate` fits: the simulator's parameters, each leaf's provenance (by dotted path, e.g. `checkpoint.baseMs`) and the fit quality. */
export interface Calibration {
  job: JobName;
  sources: string[];
  params: FluidParams;
  fitted: Record<string, FittedParam>;
  quality: CalibrationQuality;
}

/** A calibration as stored: `version` counts 1, 2, … per job kind, and `id` is `<job>-v<version>`. */
export interface CalibrationRecord extends Calibration {
  id: string;
  version: number;
  createdAtMs: number;
}

/** A calibration to store; the store gives it its version and id. */
export type NewCalibration = Omit<CalibrationRecord, 'id' | 'version'>;

export const calibrationId = (job: JobName, version: number): string => `${job}-v${version}`;

/** Fewest measurements for a median; a least-squares or capacity fit needs MIN_SAMPLES. */
export const MIN_FOR_MEDIAN = 3;

/** φ of a profile by its injection timing: just before a checkpoint, just after one, or anywhere. */
export const PHI_OF_TIMING = { 'before-checkpoint': 1, 'after-checkpoint': 0, random: 0.5 } as const;

/** A failure with its recovery, from a sample or a run. */
interface RecoveryPoint {
  source: string;
  failure: FailureType;
  phi: number;
  ciMs: number;
  throughputEps: number;
  recoverySec: number;
  detectionSec?: number;
  restartSec?: number;
  stateBytes?: number;
}
type Measured<T> = T & { source: string };
type LatencyPoint = Measured<Pick<LatencySample, 'ciMs' | 'throughputEps' | 'latencyMs'>>;
type SizedDuration = Measured<{ stateBytes: number; durationMs: number }>;

/** The measurements of every source, by what they inform. */
interface Points {
  recovery: RecoveryPoint[];
  latency: LatencyPoint[];
  checkpoints: SizedDuration[];
  savepoints: SizedDuration[];
  /** State sizes: of the checkpoints restored (samples, with the input they were taken at) and completed (runs), bytes. */
  states: Measured<{ value: number; throughputEps?: number }>[];
  outagesMs: Measured<{ value: number }>[];
}

/** Runs of the real-stack evaluation are injected at random times in the interval. */
const RUN_PHI = 0.5;

/**
 * Fits the simulator to the sources (docs/evaluate.md, "Calibration"). Parameters the sources
 * cannot determine keep the base value, and `fitted` says so. Throws `bad-input` when there is no
 * source or no measurement, when a source is of another job kind than `job`, or holds a value
 * that is not a finite non-negative number.
 */
export function calibrate(input: CalibrationInput): Calibration {
  const { job, samples, runs = [] } = input;
  if (!samples && runs.length === 0) throw badInput('calibration needs measurements', 'give a profile (--profile ID) or a samples CSV (--samples FILE.csv), and optionally --runs FILE');
  checkSources(job, samples, runs);
  const points = collect(samples, runs);
  const count = points.recovery.length + points.latency.length + points.checkpoints.length + points.outagesMs.length;
  if (count === 0) throw badInput(`no samples: ${[samples?.name, ...runs.map((r) => r.name)].filter(Boolean).join(', ')} hold no recovered failure or measurement`, 'profile failures until some recover (`khaos profile`), or give another source');

  const base = input.base ?? DEFAULT_FLUID_PARAMS;
  const p = structuredClone(base);
  const fitted = Object.fromEntries(leaves(base).map(([path, value]): [string, FittedParam] => [path, { value, source: 'default', n: 0 }]));
  const set = (path: string, value: number, from: readonly { source: string }[], note?: string) => {
    assign(p, path, value);
    fitted[path] = { value, source: [...new Set(from.map((f) => f.source))].join(' + '), n: from.length, ...(note ? { note } : {}) };
  };
  const tooFew = (path: string, from: readonly unknown[], need: number, why = `${from.length} measured, at least ${need} needed`) => {
    fitted[path] = { ...fitted[path]!, n: from.length, note: why };
  };
  /** Sets `path` to `fit(from)` with at least `need` measurements, else says why not. */
  const fitWith = <T extends { source: string }>(path: string, from: readonly T[], need: number, fit: (xs: readonly T[]) => number) => {
    if (from.length === 0) return;
    if (from.length < need) tooFew(path, from, need);
    else set(path, fit(from), from);
  };

  // Detection, per failure type: the median phase.
  for (const type of new Set(points.recovery.map((r) => r.failure))) {
    const measured = points.recovery.filter((r) => r.failure === type && r.detectionSec !== undefined);
    fitWith(`detectionSec.${type}`, measured, MIN_FOR_MEDIAN, (xs) => median(xs.map((r) => r.detectionSec!)));
  }
  fitState(p, points.states, set, tooFew);
  fitCheckpoint(p, points.checkpoints, set, tooFew);
  // Restart: the median restart phase, which includes the restore (restore.* is not separable from it).
  const restarts = points.recovery.filter((r) => r.restartSec !== undefined);
  const restoreOfBase = restoreSec(p, p.state.baseBytes);
  fitWith('restartSec', restarts, MIN_FOR_MEDIAN, (xs) => Math.max(0, median(xs.map((r) => r.restartSec!)) - restoreOfBase));
  if (fitted.restartSec!.source !== 'default') {
    if (restoreOfBase > 0) fitted.restartSec!.note = `the median restart phase less the restore of state.baseBytes the model adds to it (${Number(restoreOfBase.toPrecision(3))} s)`;
    for (const k of ['restore.baseSec', 'restore.bytesPerSec']) fitted[k]!.note = 'measured within restartSec (restart and restore are one phase in the measurements)';
  }
  fitRecoveryCapacity(p, points.recovery, set, tooFew);
  fitLatency(p, points.latency, set, tooFew);
  fitWith('savepoint.baseMs', points.savepoints, MIN_FOR_MEDIAN, (xs) => median(xs.map((s) => Math.max(0, s.durationMs - (1000 * s.stateBytes) / p.checkpoint.bytesPerSec))));
  // The outage of a restart reconfiguration, less the savepoint and restore the model puts around the relaunch.
  fitWith('relaunchSec', points.outagesMs, MIN_FOR_MEDIAN, (xs) => Math.max(0, median(xs.map((o) => o.value)) / 1000 - (reconfigurationOutageSec(p, p.state.baseBytes) - p.relaunchSec)));

  checkParams(p);
  return { job, sources: [samples?.name, ...runs.map((r) => r.name)].filter((s): s is string => s !== undefined), params: p, fitted, quality: quality(p, points, fitted['checkpoint.capacityLoss']!.source === 'default' ? 0 : p.checkpoint.capacityLoss) };
}

type Setter = (path: string, value: number, from: readonly { source: string }[], note?: string) => void;
type TooFew = (path: string, from: readonly unknown[], need: number, why?: string) => void;

/** At least MIN_SAMPLES values, spread by more than 10 % of their median: enough to fit a slope on. */
const variesEnough = (xs: readonly number[]) => xs.length >= MIN_SAMPLES && Math.max(...xs) - Math.min(...xs) > 0.1 * median(xs);

/** y = base + slope·x by least squares (both ≥ 0) where x varies enough and y grows with it; else undefined. */
function risingLine(xs: readonly number[], ys: readonly number[]): { base: number; slope: number } | undefined {
  if (!variesEnough(xs)) return undefined;
  const line = boxLeastSquares(xs.map((x) => [1, x]), ys, [0, 0], [Infinity, Infinity]);
  return line.ok && line.coef[1]! > 0 ? { base: line.coef[0]!, slope: line.coef[1]! } : undefined;
}

/**
 * State = baseBytes + bytesPerEvent · (events of the last windowSec), by least squares on the
 * input each size was measured at, when those inputs vary and the state grows with them (a
 * retention or a window: what a full checkpoint writes at a peak); else the median size, constant
 * (bytesPerEvent keeps its base value). windowSec is not fitted: the base's, which the per-event
 * figure is divided by, so the fitted state at an input is the same whatever it is.
 */
function fitState(p: FluidParams, states: Points['states'], set: Setter, tooFew: TooFew): void {
  if (states.length === 0) return;
  if (states.length < MIN_FOR_MEDIAN) return tooFew('state.baseBytes', states, MIN_FOR_MEDIAN);
  const rated = states.filter((s): s is typeof s & { throughputEps: number } => s.throughputEps !== undefined);
  const line = risingLine(rated.map((s) => s.throughputEps), rated.map((s) => s.value));
  if (line) {
    set('state.baseBytes', line.base, rated);
    set('state.bytesPerEvent', line.slope / p.state.windowSec, rated, `the state grows by ${Math.round(line.slope)} B per event/s of input (over state.windowSec ${p.state.windowSec} s)`);
    return;
  }
  set('state.baseBytes', median(states.map((s) => s.value)), states);
}

/** Checkpoint duration = baseMs + 1000·size/bytesPerSec by least squares when sizes vary and the duration grows with them; else baseMs alone (the median). */
function fitCheckpoint(p: FluidParams, cps: readonly SizedDuration[], set: Setter, tooFew: TooFew): void {
  if (cps.length === 0) return;
  if (cps.length < MIN_FOR_MEDIAN) return tooFew('checkpoint.baseMs', cps, MIN_FOR_MEDIAN);
  const sizes = cps.map((c) => c.stateBytes);
  const varies = variesEnough(sizes);
  const line = risingLine(sizes, cps.map((c) => c.durationMs));
  if (line) {
    set('checkpoint.baseMs', line.base, cps);
    set('checkpoint.bytesPerSec', 1000 / line.slope, cps);
    return;
  }
  set('checkpoint.baseMs', median(cps.map((c) => Math.max(0, c.durationMs - (1000 * c.stateBytes) / p.checkpoint.bytesPerSec))), cps);
  tooFew('checkpoint.bytesPerSec', cps, MIN_SAMPLES, varies ? 'the durations do not grow with the state size' : 'the state sizes do not vary (by more than 10 %)');
}

/** The in-flight shares of the catch-ups must span this much for checkpoint.capacityLoss to be fitted. */
const LOSS_SHARE_SPREAD = 0.5;
const LOSS_GRID = Array.from({ length: 19 }, (_, i) => i * 0.05);

/** The share of a catch-up's time with a checkpoint in flight, by the fluid job's checkpoint cycle. */
const inFlightShare = (p: FluidParams, r: Pick<RecoveryPoint, 'throughputEps' | 'ciMs'>) => checkpointCycle(p, r.throughputEps, r.ciMs).inFlightShare;

/**
 * Capacity from the catch-ups: each failure's recovery is predicted by physicalRecoverySec with its
 * own downtime (detection + restart measured, else the calibrated one) and its source's φ, and the
 * capacity minimising the squared relative error is found by the models' 1-D capacity search.
 * When the catch-ups ran with checkpoints in flight for shares of the time that differ by at least
 * LOSS_SHARE_SPREAD (short intervals against long ones, by the checkpoint model just fitted), the
 * capacity a checkpoint takes (checkpoint.capacityLoss) is fitted with it, on a 0.05 grid: a
 * catch-up then runs at c · (1 − loss · share). Otherwise the loss keeps its base value and the fit
 * assumes none.
 */
function fitRecoveryCapacity(p: FluidParams, recovery: readonly RecoveryPoint[], set: Setter, tooFew: TooFew): void {
  const usable = recovery.filter((r) => r.throughputEps > 0 && r.recoverySec > 0);
  if (usable.length === 0) return;
  if (usable.length < MIN_SAMPLES) return tooFew('capacityEps', usable, MIN_SAMPLES);
  const downtime = (r: RecoveryPoint) => (r.detectionSec !== undefined && r.restartSec !== undefined ? r.detectionSec + r.restartSec : downtimeSec(p, r.failure, r.stateBytes ?? p.state.baseBytes));
  const shares = usable.map((r) => inFlightShare(p, r));
  // A catch-up runs at c · (1 − loss · share), as the fluid job.
  const sse = (cap: number, loss: number) =>
    usable.reduce((s, r, i) => s + ((physicalRecoverySec({ capacityEps: cap * (1 - loss * shares[i]!), downtimeSec: downtime(r), phi: r.phi }, r.throughputEps, r.ciMs) - r.recoverySec) / r.recoverySec) ** 2, 0);
  const fitAt = (loss: number) => {
    const { capacityEps } = fitCapacity(usable, (cap) => ({ ok: true, coef: [], sse: sse(cap, loss) }));
    return { loss, capacityEps, sse: sse(capacityEps, loss) };
  };
  const lossFitted = Math.max(...shares) - Math.min(...shares) >= LOSS_SHARE_SPREAD;
  const best = lossFitted ? LOSS_GRID.map(fitAt).reduce((a, b) => (b.sse < a.sse ? b : a)) : fitAt(0);
  const maxEps = Math.max(...usable.map((r) => r.throughputEps));
  if (best.capacityEps > 100 * maxEps) return tooFew('capacityEps', usable, MIN_SAMPLES, 'the recoveries show no catch-up to place it (best fit above 100× the highest throughput)');
  const phis = [...new Set(usable.map((r) => `φ = ${r.phi} (${r.source})`))];
  set('capacityEps', best.capacityEps, usable, `catch-up with the input since the last checkpoint replayed: ${phis.join(', ')}`);
  const spread = `checkpoints in flight ${Math.round(100 * Math.min(...shares))}–${Math.round(100 * Math.max(...shares))} % of the time during the catch-ups`;
  if (lossFitted) set('checkpoint.capacityLoss', best.loss, usable, `fitted with capacityEps: ${spread}`);
}

/** The latency equation at the calibrated capacity, by the physical latency model's least squares. */
function fitLatency(p: FluidParams, latency: readonly LatencyPoint[], set: Setter, tooFew: TooFew): void {
  const below = latency.filter((l) => l.throughputEps < 0.99 * p.capacityEps);
  if (below.length === 0) return;
  if (below.length < MIN_SAMPLES) return tooFew('latency.baseMs', below, MIN_SAMPLES);
  const r = physicalLatencyAt(below, p.capacityEps);
  if (!r.ok) return tooFew('latency.baseMs', below, MIN_SAMPLES, 'the measurements do not vary load and interval enough');
  (['baseMs', 'perCiMs', 'queueMsEps'] as const).forEach((k, i) => set(`latency.${k}`, r.coef[i]!, below));
}

/** How well the calibrated closed forms reproduce the measurements; `loss`: the capacity loss the recovery fit assumed (0 unless fitted). */
function quality(p: FluidParams, points: Points, loss: number): CalibrationQuality {
  const recovery = points.recovery.map((r) => ({
    source: r.source,
    ciMs: r.ciMs,
    throughputEps: r.throughputEps,
    measuredSec: r.recoverySec,
    predictedSec: physicalRecoverySec({ capacityEps: p.capacityEps * (1 - loss * inFlightShare(p, r)), downtimeSec: downtimeSec(p, r.failure, r.stateBytes ?? p.state.baseBytes), phi: r.phi }, r.throughputEps, r.ciMs),
  }));
  const latency = points.latency.filter((l) => l.throughputEps < p.capacityEps);
  const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    recovery,
    recoveryMape: recovery.length === 0 ? null : finiteOrNull(mape(recovery.map((r) => r.measuredSec), recovery.map((r) => r.predictedSec))),
    latencyMape: latency.length === 0 ? null : finiteOrNull(mape(latency.map((l) => l.latencyMs), latency.map((l) => physicalLatencyMs({ capacityEps: p.capacityEps, ...p.latency }, l.throughputEps, l.ciMs)))),
    latencyN: latency.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Sources → measurements

function checkSources(job: JobName, samples: SampleSource | undefined, runs: readonly RunSource[]): void {
  const problems: string[] = [];
  if (samples?.job !== undefined && samples.job !== job) problems.push(`${samples.name} measured job ${samples.job}, not ${job}`);
  if (samples && samples.samples.length === 0) throw badInput(`no samples: ${samples.name} holds no recovered failure`, 'profile failures until some recover (`khaos profile`), or give another source');
  samples?.samples.forEach((s, i) => problems.push(...notFinite(`${samples.name} sample ${i + 1}`, s)));
  for (const { name, runs: rs } of runs) {
    rs.forEach((r, i) => {
      const where = `${name} run ${i + 1} (${r.policy})`;
      if (r.job !== job) problems.push(`${where} ran job ${r.job}, not ${job}`);
      if (r.intervals.length === 0) problems.push(`${where} has no checkpoint interval`);
      problems.push(
        ...notFinite(where, { replayStartMs: r.replayStartMs }),
        ...r.scheduleEps.flatMap((v, k) => notFinite(where, { [`scheduleEps[${k}]`]: v })),
        ...r.intervals.flatMap((v, k) => notFinite(`${where} interval ${k + 1}`, v)),
        ...r.failures.flatMap((f, k) => notFinite(`${where} failure ${k + 1}`, { ...f, type: undefined, taskManagerId: undefined })),
        ...r.checkpoints.flatMap((c, k) => notFinite(`${where} checkpoint ${k + 1}`, { durationMs: c.durationMs, stateBytes: c.stateBytes, triggeredAtMs: c.triggeredAtMs })),
        ...r.changes.flatMap((c, k) => notFinite(`${where} change ${k + 1}`, c)),
        ...r.samples.flatMap((s, k) => notFinite(`${where} sample ${k + 1}`, { tMs: s.tMs, inputEps: s.inputEps, latencyP99Ms: s.latencyP99Ms })),
      );
    });
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join('; ') + (problems.length > 20 ? `; … and ${problems.length - 20} more` : '');
    throw badInput(`calibration for job ${job}: ${shown}`, 'calibrate each job from its own measurements, and measure again where values are missing or broken');
  }
}

/** Points in time: any finite number. */
const TIMES = new Set(['tMs', 'atMs', 'injectedAtMs', 'triggeredAtMs', 'replayStartMs']);

/** "where: key is x" for every field that is neither absent, null nor a finite number ≥ 0 (a point in time: any finite number). */
function notFinite(where: string, o: object): string[] {
  return Object.entries(o).flatMap(([k, v]) => {
    if (v === undefined || v === null) return [];
    const ok = typeof v === 'number' && Number.isFinite(v) && (v >= 0 || TIMES.has(k));
    return ok ? [] : [`${where}: ${k} is ${typeof v === 'number' ? v : JSON.stringify(v)}, not a finite number ≥ 0`];
  });
}

function collect(samples: SampleSource | undefined, runs: readonly RunSource[]): Points {
  const points: Points = { recovery: [], latency: [], checkpoints: [], savepoints: [], states: [], outagesMs: [] };
  for (const s of samples?.samples ?? []) {
    const source = samples!.name;
    points.recovery.push({ source, failure: samples!.failure, phi: samples!.phi, ciMs: s.ciMs, throughputEps: s.throughputEps, recoverySec: s.recoverySec, detectionSec: s.detectionSec, restartSec: s.restartSec, stateBytes: s.stateBytes });
    if (s.latencyMs !== undefined) points.latency.push({ source, ciMs: s.ciMs, throughputEps: s.throughputEps, latencyMs: s.latencyMs });
    if (s.stateBytes !== undefined) points.states.push({ source, value: s.stateBytes, throughputEps: s.throughputEps });
    if (s.stateBytes !== undefined && s.checkpointMs !== undefined) points.checkpoints.push({ source, stateBytes: s.stateBytes, durationMs: s.checkpointMs });
  }
  for (const { name: source, runs: rs } of runs) for (const r of rs) collectRun(source, r, points);
  return points;
}

/** The interval in force at `tMs` (the first one before the first change). */

function collectRun(source: string, r: RealRunRecord, points: Points): void {
  /** Disturbed spans: each failure until its recovery (or the end), each restart change for twice its outage (outage, then catch-up). */
  const disturbed: [number, number][] = [
    ...r.failures.map((f): [number, number] => [f.injectedAtMs, f.recoverySec === null ? Infinity : f.injectedAtMs + f.recoverySec * 1000]),
    ...r.changes.filter((c) => c.outageMs > 0).map((c): [number, number] => [c.atMs, c.atMs + 2 * c.outageMs]),
  ];
  for (const f of r.failures) {
    if (f.recoverySec === null) continue;
    // The input during the recovery, as replayed.
    const from = Math.floor((f.injectedAtMs - r.replayStartMs) / 1000);
    const rates = r.scheduleEps.slice(Math.max(0, from), Math.max(from + 1, from + Math.ceil(f.recoverySec)));
    const throughputEps = rates.length > 0 ? mean(rates) : 0;
    const opt = (v: number | null) => (v === null ? undefined : v);
    points.recovery.push({ source, failure: f.type, phi: RUN_PHI, ciMs: intervalAt(r, f.injectedAtMs), throughputEps, recoverySec: f.recoverySec, detectionSec: opt(f.detectionSec), restartSec: opt(f.restartSec) });
  }
  for (const s of r.samples) {
    if (s.state !== 'RUNNING' || s.inputEps === undefined || s.latencyP99Ms === undefined) continue;
    // Only while input arrives: before the replay and after it the job reads nothing, and its p99 gauge reads 0.
    if (s.tMs < r.replayStartMs || s.tMs > r.replayEndMs || !(s.inputEps > 0 && s.latencyP99Ms > 0)) continue;
    if (disturbed.some(([a, b]) => s.tMs >= a && s.tMs <= b)) continue;
    points.latency.push({ source, ciMs: intervalAt(r, s.tMs), throughputEps: s.inputEps, latencyMs: s.latencyP99Ms });
  }
  for (const c of r.checkpoints) {
    (c.savepoint ? points.savepoints : points.checkpoints).push({ source, stateBytes: c.stateBytes, durationMs: c.durationMs });
    if (!c.savepoint) points.states.push({ source, value: c.stateBytes });
  }
  for (const c of r.changes) if (c.outageMs > 0) points.outagesMs.push({ source, value: c.outageMs });
}

/**
 * Runs from the text of a `runs.json` (a JSON array of RealRunRecord). Throws `bad-input` naming
 * the file when it is not JSON or not an array of run records (each with its job and the arrays
 * calibration reads); the values themselves are checked by `calibrate`.
 */
export function parseRunsJson(text: string, file: string): RealRunRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badInput(`runs ${file} is not JSON: ${(e as Error).message}`, 'give the runs.json that `khaos evaluate` wrote on the real stack');
  }
  const arrays = ['scheduleEps', 'samples', 'intervals', 'failures', 'checkpoints', 'changes'] as const;
  const bad = (v: unknown) => typeof v !== 'object' || v === null || typeof (v as { job?: unknown }).job !== 'string' || arrays.some((k) => !Array.isArray((v as Record<string, unknown>)[k]));
  if (!Array.isArray(json) || json.some(bad)) {
    throw badInput(`runs ${file} is not an array of run records (each with job, ${arrays.join(', ')})`, 'give the runs.json that `khaos evaluate` wrote on the real stack');
  }
  return json as RealRunRecord[];
}

// ---------------------------------------------------------------------------------------------
// Parameter paths

/** Every numeric leaf of the parameters as [dotted path, value], in declaration order. */
export function leaves(p: FluidParams): [string, number][] {
  return Object.entries(p).flatMap(([k, v]): [string, number][] => (typeof v === 'number' ? [[k, v]] : Object.entries(v as Record<string, number>).map(([kk, vv]): [string, number] => [`${k}.${kk}`, vv])));
}

function assign(p: FluidParams, path: string, value: number): void {
  const [a, b] = path.split('.') as [keyof FluidParams, string | undefined];
  if (b === undefined) (p as unknown as Record<string, number>)[a] = value;
  else (p[a] as Record<string, number>)[b] = value;
}
