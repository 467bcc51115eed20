import { KhaosError } from '../errors.js';
import { median } from '../stats.js';

/**
 * Repeated real runs summarised: per policy the median and the min–max of every QoS figure over
 * its runs, and per other policy the paired difference (reference minus it, run k against run k).
 * Generic over the rows: every numeric leaf of a row (nested objects included, e.g.
 * `violationSeconds.total`) is a figure, so fields added to the per-run row flow through.
 */

/** A per-run row: its figures, possibly nested, and anything else (the name). */
type Row = Record<string, unknown>;

/** Counts of defects (exactly-once), totalled over the runs rather than taken at the median: one lost event in any run is a loss. */
const TOTALLED = new Set(['lost', 'duplicated']);

const isFigure = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const isObject = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every figure of the rows as [dotted path, its value in each row], in the first row's order. A path is a figure when it is a number or null in every row. */
export function figures(rows: readonly Row[], prefix = ''): [string, (number | null)[]][] {
  const first = rows[0];
  if (!first) return [];
  return Object.keys(first).flatMap((k): [string, (number | null)[]][] => {
    const values = rows.map((r) => r[k]);
    if (values.every(isObject)) return figures(values, `${prefix}${k}.`);
    return values.every(isFigure) && values.some((v) => v !== null) ? [[`${prefix}${k}`, values]] : [];
  });
}

/** The rows' shape with each figure replaced by `f` of its values; other leaves (with `keepText`) kept when equal in every row, else left out. */
function mapFigures(rows: readonly Row[], f: (values: number[], key: string) => unknown, keepText = true): Row {
  const out: Row = {};
  for (const k of Object.keys(rows[0] ?? {})) {
    const values = rows.map((r) => r[k]);
    if (values.every(isObject)) out[k] = mapFigures(values, f, keepText);
    else if (values.every(isFigure)) {
      const xs = values.filter((v): v is number => v !== null);
      out[k] = xs.length === 0 ? null : f(xs, k);
    } else if (keepText && values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) out[k] = values[0];
  }
  return out;
}

/** One policy over its runs: the medians (defect counts totalled), how many runs, and each figure's min and max when there is more than one run. */
export function summariseRepeats(rows: readonly Row[]): Row {
  if (rows.length === 0) throw new KhaosError('bug', 'no runs to summarise');
  const medians = mapFigures(rows, (xs, k) => (TOTALLED.has(k) ? xs.reduce((a, b) => a + b, 0) : median(xs)));
  if (rows.length === 1) return { ...medians, runs: 1 };
  return { ...medians, runs: rows.length, spread: mapFigures(rows, (xs) => ({ min: Math.min(...xs), max: Math.max(...xs) }), false) };
}

/** A paired difference of one figure over the runs both policies made. */
export interface PairedFigure {
  figure: string;
  /** Reference minus the other, per run index k (null where either is missing). */
  perRun: (number | null)[];
  median: number | null;
  min: number | null;
  max: number | null;
  /** max − min of each policy's own runs: the run-to-run spread. */
  referenceSpread: number | null;
  otherSpread: number | null;
  /**
   * Whether |median difference| exceeds the larger of the two run-to-run spreads: a difference the
   * noise of either policy alone could not make. Null with fewer than 2 paired runs (no spread to judge by).
   */
  exceedsSpread: boolean | null;
}

export interface PairedDifferences {
  reference: string;
  other: string;
  /** The run indices k both have. */
  runs: number[];
  figures: PairedFigure[];
}

const range = (xs: readonly (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) - Math.min(...v) : null;
};

/** A policy's runs, each row with its run index k. */
export interface PolicyRuns {
  name: string;
  runs: readonly { run: number; row: Row }[];
}

/** The reference's runs against the other's, paired by run index k; figures as `figures` finds them in the rows. */
export function pairedDifferences(reference: PolicyRuns, other: PolicyRuns): PairedDifferences {
  const byRun = new Map(other.runs.map((r) => [r.run, r.row]));
  const pairs = reference.runs.filter((r) => byRun.has(r.run)).sort((a, b) => a.run - b.run);
  const ref = figures(pairs.map((r) => r.row));
  const oth = new Map(figures(pairs.map((r) => byRun.get(r.run)!)));
  return {
    reference: reference.name,
    other: other.name,
    runs: pairs.map((r) => r.run),
    figures: ref.flatMap(([figure, a]) => {
      const b = oth.get(figure);
      if (!b) return [];
      const perRun = a.map((x, i) => (x === null || b[i] === null ? null : x - b[i]!));
      const d = perRun.filter((x): x is number => x !== null);
      const med = d.length ? median(d) : null;
      const referenceSpread = range(a);
      const otherSpread = range(b);
      const exceedsSpread = d.length < 2 || med === null ? null : Math.abs(med) > Math.max(referenceSpread ?? 0, otherSpread ?? 0);
      return [{ figure, perRun, median: med, min: d.length ? Math.min(...d) : null, max: d.length ? Math.max(...d) : null, referenceSpread, otherSpread, exceedsSpread }];
    }),
  };
}

/** The policy the others are compared with: khaos+ on its default actuator, else the first khaos+ variant, else the first listed. */
export function referencePolicy(names: readonly string[]): string | undefined {
  return names.find((n) => n === 'khaos+') ?? names.find((n) => n.startsWith('khaos+')) ?? names[0];
}
