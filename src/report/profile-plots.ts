import { hasLatency, PREDICTION_CEILING, type FittedModel } from '../core/models/regression.js';
import type { FailureMeasurement } from '../core/profiling/profile-records.js';
import type { FailureSample } from '../core/profiling/samples.js';
import { ciLabel, formatDurationMs, plural } from './markdown.js';
import { svgPlot, type PlotSeries } from './svg-plot.js';

/** The profile report's plots (profile-report.ts): recovery and latency against throughput with the models' curves, residuals, and recovery phases. */

/** A measurement with its pre-failure throughput and latency known: one that can be drawn. */
export type PlacedMeasurement = FailureMeasurement & { throughputEps: number; latencyMs: number };

/** A prediction, with NaN where the model is saturated (at its ceiling) so the curve breaks there. */
const curveValue = (m: FittedModel, t: number, ci: number) => {
  const v = m.predict(t, ci);
  return v >= PREDICTION_CEILING[m.kind] ? Number.NaN : v;
};

export function throughputRange(ms: readonly { throughputEps: number | null }[]): [number, number] | undefined {
  const ts = ms.flatMap((m) => (m.throughputEps !== null && Number.isFinite(m.throughputEps) ? [m.throughputEps] : []));
  return ts.length > 0 ? [Math.min(...ts), Math.max(...ts)] : undefined;
}

/** A model's predictions over the throughput range, one curve per interval (NaN where saturated): what the plots and the dashboard draw. */
export function modelCurvePoints(model: FittedModel, intervals: readonly number[], range: [number, number], steps = 120): { ciMs: number; x: number[]; y: number[] }[] {
  const x = Array.from({ length: steps + 1 }, (_, i) => range[0] + ((range[1] - range[0]) * i) / steps);
  return intervals.map((ci) => ({ ciMs: ci, x, y: x.map((t) => curveValue(model, t, ci)) }));
}

/** Curves of one model, one per interval, over the throughput range. */
function modelCurves(model: FittedModel, intervals: readonly number[], colorOf: (ci: number) => string, range: [number, number], dash?: string): PlotSeries[] {
  return modelCurvePoints(model, intervals, range).map(({ ciMs, x, y }) => ({ kind: 'line', x, y, color: colorOf(ciMs), widthPx: dash ? 1.2 : 1.8, ...(dash ? { dash } : {}) }));
}

const TIMEOUT_COLOR = '#000';

function modelNotes(kind: string, m: { chosen?: FittedModel; other?: FittedModel }): string[] {
  if (!m.chosen) return [`No ${kind} model is drawn: none could be fitted and cross-validated yet.`];
  const other = m.other ? `; dashed: the ${m.other.variant === 'linear' ? 'linear baseline' : `${m.other.variant} model (not chosen)`}` : '';
  return [`Solid lines: the chosen ${kind} model (${m.chosen.variant}), one per interval in its colour${other}.`];
}

/** What a plot against pre-failure throughput draws: every measurement, the fitted samples, the timeouts, and the models' curves per interval. */
export interface VsThroughputInput {
  all: readonly FailureMeasurement[];
  samples: readonly FailureSample[];
  timeouts: readonly PlacedMeasurement[];
  intervals: readonly number[];
  colorOf: (ci: number) => string;
  range: [number, number] | undefined;
  models: { chosen?: FittedModel; other?: FittedModel };
}

export function recoveryVsThroughput(recoveryTimeoutMs: number, { all, samples, timeouts, intervals, colorOf, range, models }: VsThroughputInput): { svg: string; notes: string[] } {
  const maxObserved = Math.max(0, ...samples.map((s) => s.recoverySec));
  const top = maxObserved > 0 ? maxObserved * 1.25 : recoveryTimeoutMs / 1000;
  const timeoutY = top * 0.96;
  const series = curvesAndPoints(models, intervals, colorOf, range, samples, (s) => s.recoverySec);
  const notes = [...modelNotes('recovery', models)];
  if (timeouts.length > 0) {
    series.push({ kind: 'points', name: 'timeout (not fitted)', x: timeouts.map((m) => m.throughputEps), y: timeouts.map(() => timeoutY), color: TIMEOUT_COLOR, shape: 'triangle', radiusPx: 5 });
    const perCi = intervals.map((ci) => [ci, timeouts.filter((m) => m.ciMs === ci).length] as const).filter(([, n]) => n > 0);
    notes.push(
      `Triangles at the top: ${plural(timeouts.length, 'failure')} did not recover within the ${formatDurationMs(recoveryTimeoutMs)} timeout (${perCi.map(([ci, n]) => `${n} at ${ciLabel(ci)}`).join(', ')}); drawn at their pre-failure throughput, not at a recovery time, and not fitted.`,
    );
  }
  if (all.length === 0) notes.push('No failure measured yet.');
  return { svg: throughputPlot('Recovery time versus throughput, per checkpoint interval', 'recovery time (s, wall time)', series, top, range, notes), notes };
}

/** A plot against pre-failure throughput, from 0 to `top`, over the observed throughput range. */
function throughputPlot(title: string, yLabel: string, series: PlotSeries[], top: number, range: [number, number] | undefined, notes: string[]): string {
  return svgPlot({ title, xLabel: 'pre-failure throughput (events/s)', yLabel, series, yDomain: [0, top], ...(range ? { xDomain: padded(range) } : {}), legend: 'below', notes });
}

/** The models' curves (the other one dashed, under the chosen one) and each interval's measured points. */
function curvesAndPoints(
  models: { chosen?: FittedModel; other?: FittedModel },
  intervals: readonly number[],
  colorOf: (ci: number) => string,
  range: [number, number] | undefined,
  samples: readonly FailureSample[],
  y: (s: FailureSample) => number,
): PlotSeries[] {
  const series: PlotSeries[] = [];
  if (range && models.other) series.push(...modelCurves(models.other, intervals, colorOf, range, '6 4'));
  if (range && models.chosen) series.push(...modelCurves(models.chosen, intervals, colorOf, range));
  for (const ci of intervals) {
    const at = samples.filter((s) => s.ciMs === ci);
    if (at.length > 0) series.push({ kind: 'points', name: ciLabel(ci), x: at.map((s) => s.throughputEps), y: at.map(y), color: colorOf(ci), radiusPx: 4 });
  }
  return series;
}

/** A range widened by 3 % on each side (a point exactly on the axis is hard to see). */
function padded([lo, hi]: [number, number]): [number, number] {
  const pad = hi > lo ? (hi - lo) * 0.03 : Math.max(1, Math.abs(lo) * 0.05);
  return [Math.max(0, lo - pad), hi + pad];
}

export function latencyVsThroughput({ all, samples, timeouts, intervals, colorOf, range, models }: VsThroughputInput): { svg: string; notes: string[] } {
  const latencies = all.flatMap((m) => (m.latencyMs !== null && Number.isFinite(m.latencyMs) ? [m.latencyMs] : []));
  const top = Math.max(1, ...latencies) * 1.15;
  const series = curvesAndPoints(models, intervals, colorOf, range, samples.filter(hasLatency), (s) => s.latencyMs!);
  const notes = [...modelNotes('latency', models)];
  if (timeouts.length > 0) {
    series.push({ kind: 'points', name: 'failure that timed out (not fitted)', x: timeouts.map((m) => m.throughputEps), y: timeouts.map((m) => m.latencyMs), color: TIMEOUT_COLOR, shape: 'triangle', radiusPx: 5 });
    notes.push(`Triangles: the pre-failure latency of the ${plural(timeouts.length, 'failure')} that timed out; shown, not fitted.`);
  }
  return { svg: throughputPlot('p99 latency versus throughput, per checkpoint interval', 'p99 latency (ms)', series, top, range, notes), notes };
}

export function residualPlot(samples: readonly FailureSample[], intervals: readonly number[], colorOf: (ci: number) => string, model: FittedModel): string {
  const series: PlotSeries[] = intervals.flatMap((ci): PlotSeries[] => {
    const at = samples.filter((s) => s.ciMs === ci);
    return at.length === 0 ? [] : [{ kind: 'points', name: ciLabel(ci), x: at.map((s) => s.throughputEps), y: at.map((s) => s.recoverySec - model.predict(s.throughputEps, s.ciMs)), color: colorOf(ci), radiusPx: 4 }];
  });
  const range = throughputRange(samples);
  const largest = Math.max(1e-9, ...series.flatMap((s) => Array.from(s.y, Math.abs)).filter(Number.isFinite));
  return svgPlot({
    title: `Residuals of the ${model.name} recovery model`,
    xLabel: 'pre-failure throughput (events/s)',
    yLabel: 'observed − predicted recovery (s)',
    series,
    hlines: [{ y: 0, label: '0', color: '#666' }],
    yDomain: [-largest * 1.15, largest * 1.15],
    ...(range ? { xDomain: padded(range) } : {}),
    legend: 'below',
    notes: ['In-sample residuals of the chosen model, fitted on every recovered failure.'],
  });
}

export const PHASES = [
  { key: 'detectionSec', label: 'detection', color: '#9467bd' },
  { key: 'restartSec', label: 'restart and restore', color: '#ff7f0e' },
  { key: 'catchupSec', label: 'catch-up', color: '#2ca02c' },
] as const;

/** Stacked bars of the phases of every failure that has any, grouped by interval and ordered by throughput within a group. */
export function phasePlot(all: readonly FailureMeasurement[], intervals: readonly number[], recoveryTimeoutMs: number): { svg: string; notes: string[] } | undefined {
  const phased = all.filter((m) => PHASES.some((p) => m[p.key] !== undefined && Number.isFinite(m[p.key])));
  if (phased.length === 0) return undefined;
  const groups = intervals.map((ci) => phased.filter((m) => m.ciMs === ci).sort((a, b) => (a.throughputEps ?? 0) - (b.throughputEps ?? 0) || a.pointIndex - b.pointIndex || a.repetition - b.repetition)).filter((g) => g.length > 0);
  const placed: { m: FailureMeasurement; x: number }[] = [];
  const ticks: { x: number; label: string }[] = [];
  let x = 0;
  for (const g of groups) {
    ticks.push({ x: x + (g.length - 1) / 2, label: ciLabel(g[0]!.ciMs) });
    for (const m of g) placed.push({ m, x: x++ });
    x += 1.5; // a gap between groups
  }
  const xs = placed.map((p) => p.x);
  const value = (m: FailureMeasurement, k: (typeof PHASES)[number]['key']) => (m[k] !== undefined && Number.isFinite(m[k]) ? m[k] : 0);
  const series: PlotSeries[] = [];
  PHASES.forEach((p, k) => {
    const base = placed.map(({ m }) => PHASES.slice(0, k).reduce((s, q) => s + value(m, q.key), 0));
    series.push({ kind: 'bars', name: p.label, x: xs, y: placed.map(({ m }) => value(m, p.key)), base, color: p.color, widthX: 0.8 });
  });
  const heights = placed.map(({ m }) => PHASES.reduce((s, q) => s + value(m, q.key), 0));
  const top = Math.max(1, ...heights) * 1.15;
  const notes = ['One bar per failure, grouped by checkpoint interval, ordered by pre-failure throughput within a group; wall time.'];
  const timedOut = placed.filter(({ m }) => m.outcome === 'timeout');
  if (timedOut.length > 0) {
    series.push({ kind: 'points', name: 'timeout: catch-up never ended', x: timedOut.map((p) => p.x), y: timedOut.map(() => top * 0.96), color: TIMEOUT_COLOR, shape: 'triangle', radiusPx: 5 });
    notes.push(`Triangles: ${plural(timedOut.length, 'failure')} did not recover within ${formatDurationMs(recoveryTimeoutMs)}; their bars show only the phases that ended.`);
  }
  const missing = all.length - phased.length;
  if (missing > 0) notes.push(`${plural(missing, 'failure')} without measured phases ${missing === 1 ? 'is' : 'are'} not drawn.`);
  const svg = svgPlot({
    title: 'Recovery phases per failure, by checkpoint interval',
    yLabel: 'seconds (wall time)',
    series,
    xTicks: ticks,
    xDomain: [-0.8, Math.max(0, x - 1.5) - 0.2],
    yDomain: [0, top],
    legend: 'below',
    notes,
  });
  return { svg, notes };
}

