import type { TraceScaling } from '../core/load/trace.js';
import { compactNumber } from './svg-plot.js';

/** Small Markdown and number formatting helpers shared by the reports. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const mdRow = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
/** A Markdown table; `|` and newlines in cells are escaped. */
export const table = (header: readonly string[], rows: readonly (readonly string[])[]) => [mdRow(header), mdRow(header.map(() => '---')), ...rows.map(mdRow)].join('\n');
/** At most `digits` decimals, no trailing zeros. */
export const num = (v: number, digits: number) => String(Number(v.toFixed(digits)));
export const pct = (v: number) => `${num(v * 100, 2)} %`;
export const secs = (v: number) => `${num(v, 1)} s`;
export const count = (v: number) => num(v, 1);

/** 10 000 → "10 s", 90 000 → "90 s", 120 000 → "2 min", 250 → "250 ms". */
export function formatDurationMs(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(4))} s`;
  return `${Number(ms.toPrecision(4))} ms`;
}
/** "CI 5 s". */
export const ciLabel = (ciMs: number) => `CI ${formatDurationMs(ciMs)}`;
/** "1 failure", "3 failures". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** How a trace was scaled, for a report's setup: "scaled to a peak of 9k events/s", or at a percentile below its maximum. */
export const traceScalingText = (s: TraceScaling) =>
  s.peakPercentile === undefined || s.peakPercentile >= 100
    ? `scaled to a peak of ${compactNumber(s.peakRateEps)} events/s`
    : `scaled so that its ${num(s.peakPercentile, 2)}th percentile is ${compactNumber(s.peakRateEps)} events/s (its rarer bursts go above)`;
