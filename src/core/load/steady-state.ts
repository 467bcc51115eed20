import { badInput } from '../errors.js';
import type { Random } from '../random.js';
import { rateAt, type Trace } from './trace.js';
import { quantileInPlace } from '../stats.js';

/**
 * Phase 1, steady state: where in a workload the input rate is steady, at which load levels, and
 * one injection point per level. Pure: the trace comes in, the seeded generator comes in.
 */

/** A rate series on a 1 s grid of analysis seconds. */
export interface PerSecondSeries {
  /** Trace time of analysis second 0, s (epoch of the trace's timestamps). */
  startSec: number;
  /** Trace seconds per analysis second (1 = real time). */
  compression: number;
  /** Rate in analysis second i, in the trace's unit (any scale: replays rescale to a peak). */
  rates: Float64Array;
}

/** More analysis seconds than this would take gigabytes: ask for a compression instead. */
export const MAX_ANALYSIS_SECONDS = 50_000_000;

/**
 * Bins a trace to 1 s. Values are read as rates (the trace's scale does not matter).
 *
 * Analysis second i stands for trace time `startSec + i·compression`, so the series has
 * `floor(span / compression) + 1` seconds: analysis seconds = trace seconds / compression. With
 * `compression` 60, a 215-day trace is analysed as 3.6 days of one trace hour per minute, which is
 * how the local, time-scaled setup replays it; windows, spacings and edges are then analysis
 * seconds. Default 1.
 *
 * Coarser traces (5 min, 30 min buckets) are expanded by linear interpolation between sample
 * points (`rateAt`), gaps bridged the same way. When one analysis second spans more than one
 * trace step (compression > step), its rate is the mean of the interpolated trace at
 * `ceil(compression / step)` evenly spaced instants of its span, so no sample is skipped.
 *
 * Throws bad-input for a compression that is not a positive number or a series longer than
 * MAX_ANALYSIS_SECONDS.
 */
export function toPerSecond(trace: Trace, opts: { compression?: number } = {}): PerSecondSeries {
  const compression = opts.compression ?? 1;
  if (!(compression > 0) || !Number.isFinite(compression)) throw badInput(`compression must be a number > 0, got ${compression}`, 'give trace seconds per analysis second, e.g. 60');
  const ts = trace.timesSec;
  const startSec = ts[0]!;
  const span = ts[ts.length - 1]! - startSec;
  const n = Math.floor(span / compression + 1e-9) + 1;
  if (n > MAX_ANALYSIS_SECONDS) {
    throw badInput(
      `trace ${trace.name} spans ${span} s: at compression ${compression} that is ${n} analysis seconds, more than the ${MAX_ANALYSIS_SECONDS} this analysis holds in memory`,
      `give a compression of at least ${Math.ceil(span / MAX_ANALYSIS_SECONDS)}`,
    );
  }
  const rates = new Float64Array(n);
  const sub = Math.max(1, Math.ceil(compression / trace.stepSec));
  for (let i = 0; i < n; i++) {
    const t = startSec + i * compression;
    if (sub === 1) rates[i] = rateAt(trace, t);
    else {
      let s = 0;
      for (let k = 0; k < sub; k++) s += rateAt(trace, t + (k / sub) * compression);
      rates[i] = s / sub;
    }
  }
  return { startSec, compression, rates };
}

/**
 * Trailing rolling mean: element i is the mean of `rates[i − window + 1 … i]`, NaN for the first
 * `window − 1` seconds, which have no full window. Trailing, not centred, because a steady state
 * is judged on the load that led up to an injection. O(n) with a running sum.
 */
export function rollingMean(rates: ArrayLike<number>, windowSec: number): Float64Array {
  const n = rates.length;
  const out = new Float64Array(n).fill(Number.NaN);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += rates[i]!;
    if (i >= windowSec) sum -= rates[i - windowSec]!;
    if (i >= windowSec - 1) out[i] = sum / windowSec;
  }
  return out;
}

/**
 * How far a rate may be from a reference and still count as the same: either `relative` (a
 * fraction of the reference: 0.05 = ±5 %) or `absolute` (in the trace's rate unit).
 */
export type Tolerance = { relative: number } | { absolute: number };

/** The allowed distance from `reference` under a tolerance. */
export function toleranceAround(tolerance: Tolerance, reference: number): number {
  return 'relative' in tolerance ? tolerance.relative * Math.abs(reference) : tolerance.absolute;
}

/** 1 where |rate − rolling mean| ≤ tolerance around the rolling mean, 0 elsewhere and where the mean is undefined. */
export function stableSeconds(rates: ArrayLike<number>, mean: ArrayLike<number>, tolerance: Tolerance): Uint8Array {
  const out = new Uint8Array(rates.length);
  for (let i = 0; i < rates.length; i++) {
    const m = mean[i]!;
    if (!Number.isNaN(m) && Math.abs(rates[i]! - m) <= toleranceAround(tolerance, m)) out[i] = 1;
  }
  return out;
}

/** `count` values evenly spaced from `lo` to `hi` inclusive (one value: their midpoint). */
export function evenLevels(lo: number, hi: number, count: number): number[] {
  if (count === 1) return [(lo + hi) / 2];
  return Array.from({ length: count }, (_, k) => lo + ((hi - lo) * k) / (count - 1));
}

export interface SteadyStateOptions {
  /** Rolling-mean window, analysis seconds (default 300). */
  windowSec?: number;
  /**
   * Stability and level tolerance (default `{relative: 0.05}`). A second is stable when
   * |rate − rolling mean| ≤ tolerance around the rolling mean; it fits a level when
   * |rolling mean − level| ≤ tolerance around the level.
   */
  tolerance?: Tolerance;
  /** Number of load levels, evenly spaced (default 12). */
  levels?: number;
  /** Least distance between two injection points, analysis seconds (default 1800). */
  minSpacingSec?: number;
  /** Least distance of an injection point from either end of the series, analysis seconds (default: minSpacingSec). */
  edgeSec?: number;
  /** Trace seconds per analysis second, see toPerSecond (default 1). */
  compression?: number;
}

export type ResolvedSteadyStateOptions = Required<SteadyStateOptions>;

export interface RateSummary {
  /** Analysis seconds in the series. */
  seconds: number;
  /** Trace seconds the series covers (seconds − 1) × compression. */
  traceSpanSec: number;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
  /** Fraction of the seconds that are stable. */
  stableFraction: number;
  /**
   * Mean rate per hour of day (index 0 = 00:00–01:00), 24 values, when the trace spans at least a
   * day; the hour is the trace timestamp's (CSV timestamps are naive local times read as UTC,
   * Prometheus and Kafka times are UTC). An hour no analysis second falls in is null.
   */
  dailyProfile: (number | null)[] | null;
}

export interface InjectionPoint {
  /** Analysis seconds from the start of the per-second series. */
  second: number;
  /** The load level this point stands for. */
  level: number;
  /** Rate in that second. */
  rate: number;
  /** Rolling mean at that second. */
  rollingMean: number;
  /** The same instant in trace seconds from the trace's first sample (second × compression): a replay's start offset. */
  traceOffsetSec: number;
}

export interface UnplacedLevel {
  level: number;
  reason: string;
}

export interface SteadyStateResult {
  summary: RateSummary;
  /** Load levels, ascending. */
  levels: number[];
  /** One point per placed level, in time order. */
  points: InjectionPoint[];
  /** Levels that got no point, each with why. */
  unplaced: UnplacedLevel[];
  options: ResolvedSteadyStateOptions;
}

const DEFAULTS = { windowSec: 300, tolerance: { relative: 0.05 } as Tolerance, levels: 12, minSpacingSec: 1800, compression: 1 };

/** Fills defaults and checks every option, reporting all problems at once. */
export function resolveSteadyStateOptions(o: SteadyStateOptions): ResolvedSteadyStateOptions {
  const minSpacingSec = o.minSpacingSec ?? DEFAULTS.minSpacingSec;
  const r: ResolvedSteadyStateOptions = {
    windowSec: o.windowSec ?? DEFAULTS.windowSec,
    tolerance: o.tolerance ?? DEFAULTS.tolerance,
    levels: o.levels ?? DEFAULTS.levels,
    minSpacingSec,
    edgeSec: o.edgeSec ?? minSpacingSec,
    compression: o.compression ?? DEFAULTS.compression,
  };
  const problems: string[] = [];
  const wholeAtLeast = (v: number, min: number) => Number.isInteger(v) && v >= min;
  if (!wholeAtLeast(r.windowSec, 1)) problems.push(`window must be a whole number of seconds ≥ 1, got ${r.windowSec}`);
  if (!wholeAtLeast(r.levels, 1)) problems.push(`levels must be a whole number ≥ 1, got ${r.levels}`);
  if (!wholeAtLeast(r.minSpacingSec, 0)) problems.push(`min spacing must be a whole number of seconds ≥ 0, got ${r.minSpacingSec}`);
  if (!wholeAtLeast(r.edgeSec, 0)) problems.push(`edge must be a whole number of seconds ≥ 0, got ${r.edgeSec}`);
  if (!(r.compression > 0) || !Number.isFinite(r.compression)) problems.push(`compression must be a number > 0, got ${r.compression}`);
  const tol = 'relative' in r.tolerance ? r.tolerance.relative : r.tolerance.absolute;
  if (!(tol > 0) || !Number.isFinite(tol)) problems.push(`tolerance must be a number > 0, got ${tol}`);
  if (problems.length > 0) throw badInput(`steady-state options: ${problems.join('; ')}`);
  return r;
}

/** min, median, p95, max, mean and the daily profile of a per-second series. */
export function summarize(series: PerSecondSeries, stable?: Uint8Array): RateSummary {
  const { rates, startSec, compression } = series;
  const n = rates.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = rates[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const copy = Float64Array.from(rates);
  const median = quantileInPlace(copy, 0.5);
  const p95 = quantileInPlace(copy, 0.95);
  const traceSpanSec = (n - 1) * compression;
  let dailyProfile: (number | null)[] | null = null;
  if (traceSpanSec >= 86_400) {
    const sums = new Float64Array(24);
    const counts = new Float64Array(24);
    for (let i = 0; i < n; i++) {
      const t = startSec + i * compression;
      const h = Math.floor((((t % 86_400) + 86_400) % 86_400) / 3600);
      sums[h] = sums[h]! + rates[i]!;
      counts[h] = counts[h]! + 1;
    }
    dailyProfile = Array.from(sums, (s, h) => (counts[h]! > 0 ? s / counts[h]! : null));
  }
  let stableCount = 0;
  if (stable) for (let i = 0; i < n; i++) stableCount += stable[i]!;
  return { seconds: n, traceSpanSec, min, median, p95, max, mean: sum / n, stableFraction: stable ? stableCount / n : Number.NaN, dailyProfile };
}

/** Index of the first element of sorted `a` that is ≥ x. */
function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A uniformly random element of sorted `candidates` at least `spacing` away from every chosen
 * second, or undefined when there is none. O(k log n) for k chosen seconds: the forbidden
 * stretches are cut out of the index range, never scanned.
 */
function pickSpaced(candidates: Int32Array, chosen: number[], spacing: number, rng: Random): number | undefined {
  const forbidden = chosen
    .map((c) => [lowerBound(candidates, c - spacing + 1), lowerBound(candidates, c + spacing)] as const)
    .sort((a, b) => a[0] - b[0]);
  const allowed: [number, number][] = [];
  let from = 0;
  for (const [a, b] of forbidden) {
    if (a > from) allowed.push([from, a]);
    from = Math.max(from, b);
  }
  if (from < candidates.length) allowed.push([from, candidates.length]);
  const total = allowed.reduce((s, [a, b]) => s + (b - a), 0);
  if (total === 0) return undefined;
  let r = rng.int(total);
  for (const [a, b] of allowed) {
    if (r < b - a) return candidates[a + r]!;
    r -= b - a;
  }
  return undefined;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** Greedy placement attempts with different level orders; the best one is kept. */
const PLACEMENT_ATTEMPTS = 32;

/**
 * Steady-state analysis of a per-second series (see analyzeSteadyState). Use this form when the
 * series is also needed for something else, such as a plot. The series' own compression is the
 * one recorded; `options.compression` is not read.
 */
export function analyzePerSecond(series: PerSecondSeries, options: SteadyStateOptions, rng: Random): SteadyStateResult {
  const o = resolveSteadyStateOptions({ ...options, compression: series.compression });
  const { rates } = series;
  const n = rates.length;
  const needed = 2 * o.edgeSec + (o.levels - 1) * o.minSpacingSec + 1;
  if (n < needed || n < o.windowSec) {
    const traceSec = (n - 1) * series.compression;
    const what = n < needed
      ? `${o.levels} injection points ${o.minSpacingSec} s apart and ${o.edgeSec} s from each end need ${needed} s`
      : `a ${o.windowSec} s rolling window needs ${o.windowSec} s`;
    throw badInput(
      `the trace is too short: ${n} analysis seconds (${traceSec} trace seconds at compression ${series.compression}), but ${what}`,
      n < needed ? 'ask for fewer levels (--levels), a smaller --min-spacing, or a smaller --compression (a longer analysis)' : 'use a smaller --window or a smaller --compression',
    );
  }
  const mean = rollingMean(rates, o.windowSec);
  const stable = stableSeconds(rates, mean, o.tolerance);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (!stable[i]) continue;
    if (mean[i]! < lo) lo = mean[i]!;
    if (mean[i]! > hi) hi = mean[i]!;
  }
  const summary = summarize(series, stable);
  if (lo > hi) {
    throw badInput(
      `no stable second in the trace: no rate is within the tolerance of its ${o.windowSec} s rolling mean`,
      'raise the tolerance (--tolerance) or shorten the window (--window)',
    );
  }
  const levels = evenLevels(lo, hi, o.levels);
  const tol = levels.map((l) => toleranceAround(o.tolerance, l));
  // Levels fit a rolling mean m when |m − level| ≤ tol(level); both bounds grow with the level.
  const upper = levels.map((l, k) => l + tol[k]!);
  const lower = levels.map((l, k) => l - tol[k]!);
  const firstFit = (m: number) => lowerBound(upper, m);
  const inside = (i: number) => i >= o.edgeSec && n - 1 - i >= o.edgeSec;
  const fitting = new Array<number>(levels.length).fill(0);
  const admissible = new Int32Array(levels.length);
  for (let i = 0; i < n; i++) {
    if (!stable[i]) continue;
    const m = mean[i]!;
    for (let k = firstFit(m); k < levels.length && lower[k]! <= m; k++) {
      fitting[k]!++;
      if (inside(i)) admissible[k]!++;
    }
  }
  const candidates = levels.map((_, k) => new Int32Array(admissible[k]!));
  const filled = new Int32Array(levels.length);
  for (let i = 0; i < n; i++) {
    if (!stable[i] || !inside(i)) continue;
    const m = mean[i]!;
    for (let k = firstFit(m); k < levels.length && lower[k]! <= m; k++) candidates[k]![filled[k]!++] = i;
  }

  // Most constrained levels first; later attempts shuffle the order. Each attempt draws from the
  // same generator, so the whole search is reproducible for a seed.
  const placeable = levels.map((_, k) => k).filter((k) => candidates[k]!.length > 0);
  const byScarcity = [...placeable].sort((a, b) => candidates[a]!.length - candidates[b]!.length);
  let best: Map<number, number> | undefined;
  for (let attempt = 0; attempt < PLACEMENT_ATTEMPTS && (best?.size ?? -1) < placeable.length; attempt++) {
    const order = [...byScarcity];
    if (attempt > 0) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const chosen = new Map<number, number>();
    for (const k of order) {
      const s = pickSpaced(candidates[k]!, [...chosen.values()], o.minSpacingSec, rng);
      if (s !== undefined) chosen.set(k, s);
    }
    if (!best || chosen.size > best.size) best = chosen;
  }
  const chosen = best ?? new Map<number, number>();

  const tolText = (k: number) => `±${fmt(tol[k]!)}`;
  const unplaced: UnplacedLevel[] = [];
  for (let k = 0; k < levels.length; k++) {
    if (chosen.has(k)) continue;
    const level = levels[k]!;
    let reason: string;
    if (fitting[k] === 0) reason = `no stable second has a rolling mean within ${tolText(k)} of ${fmt(level)}`;
    else if (admissible[k] === 0) reason = `its ${fitting[k]} stable seconds within ${tolText(k)} all lie within ${o.edgeSec} s of the trace ends`;
    else {
      const c = candidates[k]!;
      const blockers = [...chosen.entries()]
        .filter(([, s]) => lowerBound(c, s + o.minSpacingSec) > lowerBound(c, s - o.minSpacingSec + 1))
        .map(([j]) => fmt(levels[j]!));
      reason = `its ${admissible[k]} admissible seconds are all within ${o.minSpacingSec} s of the points of level(s) ${blockers.join(', ')}`;
    }
    unplaced.push({ level, reason });
  }
  const points = [...chosen.entries()]
    .map(([k, s]) => ({ second: s, level: levels[k]!, rate: rates[s]!, rollingMean: mean[s]!, traceOffsetSec: s * series.compression }))
    .sort((a, b) => a.second - b.second);
  return { summary, levels, points, unplaced, options: o };
}

/**
 * Phase 1 of Khaos on one trace: bins it to 1 s (toPerSecond, with `options.compression`), takes
 * the trailing rolling mean, keeps the stable seconds, spaces `levels` load levels evenly between
 * the lowest and highest rolling mean of stable seconds, and picks for each level one stable
 * second whose rolling mean fits it, all points `minSpacingSec` apart and `edgeSec` from the ends,
 * drawn from `rng` (same seed, same points).
 *
 * A level that cannot be placed is listed in `unplaced` with the reason. Throws bad-input for
 * invalid options, a trace too short for the points and spacing asked for (the message has both
 * lengths), or a trace without a single stable second.
 */
export function analyzeSteadyState(trace: Trace, options: SteadyStateOptions, rng: Random): SteadyStateResult {
  return analyzePerSecond(toPerSecond(trace, { compression: options.compression }), options, rng);
}

/**
 * A trace of 1 s steps from record timestamps (ms): the count of records in each second of their
 * timestamps, from the first record's second to the last one's, seconds without records
 * included as 0. The first and last seconds may be partial.
 */
export function traceFromTimestamps(timestampsMs: readonly number[], name: string): Trace {
  if (timestampsMs.length === 0) throw badInput(`${name}: no records, so no rate`, 'record some input first, or pick a topic that has records');
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of timestampsMs) {
    const s = Math.floor(t / 1000);
    if (s < first) first = s;
    if (s > last) last = s;
  }
  if (last - first + 1 > MAX_ANALYSIS_SECONDS) throw badInput(`${name}: record timestamps span ${last - first + 1} s, more than ${MAX_ANALYSIS_SECONDS}`, 'is a record timestamp wrong (0, or far in the future)?');
  if (last === first) throw badInput(`${name}: every record falls in one second (${new Date(first * 1000).toISOString()}), so there is no rate over time`, 'record the input for longer');
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const t of timestampsMs) counts[Math.floor(t / 1000) - first]!++;
  return { name, timesSec: counts.map((_, i) => first + i), values: counts, stepSec: 1 };
}

/**
 * A trace from time-stamped samples of another source (Prometheus): checks that there are at
 * least 2 samples, that times increase, and that values are non-negative finite numbers, and
 * reports every problem at once.
 */
export function traceFromSamples(name: string, timesSec: readonly number[], values: readonly number[]): Trace {
  const problems: string[] = [];
  if (timesSec.length < 2) problems.push(`needs at least 2 samples, got ${timesSec.length}`);
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t * 1000).toISOString() : String(t));
  let bad = 0;
  for (let i = 0; i < timesSec.length; i++) {
    const t = timesSec[i]!;
    const v = values[i]!;
    let problem: string | undefined;
    if (!Number.isFinite(t)) problem = `sample ${i}: time ${t} is not a number`;
    else if (i > 0 && !(t > timesSec[i - 1]!)) problem = `sample ${i} at ${iso(t)}: time does not increase`;
    else if (Number.isNaN(v)) problem = `sample ${i} at ${iso(t)}: value is NaN`;
    else if (!Number.isFinite(v) || v < 0) problem = `sample ${i} at ${iso(t)}: value ${v} is not a non-negative number`;
    if (problem && ++bad <= 10) problems.push(problem);
  }
  if (bad > 10) problems.push(`… ${bad - 10} more bad samples`);
  if (problems.length > 0) throw badInput(`${name}: ${bad > 0 ? `${bad} of ${timesSec.length} samples are unusable` : 'unusable'}:\n  ${problems.join('\n  ')}`);
  const gaps = timesSec.slice(1).map((t, i) => t - timesSec[i]!).sort((a, b) => a - b);
  return { name, timesSec: [...timesSec], values: [...values], stepSec: gaps[Math.floor(gaps.length / 2)]! };
}
