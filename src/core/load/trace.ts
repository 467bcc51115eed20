import { badInput } from '../errors.js';
import { quantileSorted } from '../stats.js';

/** An arrival-rate trace as read from a CSV: sample times (s, epoch of the naive timestamp read as UTC) and values. */
export interface Trace {
  name: string;
  timesSec: number[];
  values: number[];
  /** Median spacing of the samples, s. */
  stepSec: number;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/;

function parseTime(s: string): number | undefined {
  const m = TIME_RE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, sec ? Math.floor(+sec) : 0);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/**
 * Parses a two-column CSV trace with a header (`timestamp,value`, `date,messages`, ...): the time
 * column is the one whose first value parses as a date, the other is the rate. Every problem is
 * reported at once, with line numbers.
 */
export function parseTraceCsv(text: string, name: string): Trace {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 3) throw badInput(`trace ${name}: needs a header and at least 2 rows, found ${lines.length} non-empty lines`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const first = lines[1]!.split(',');
  const timeCol = first.findIndex((c) => parseTime(c) !== undefined);
  if (header.length < 2 || timeCol < 0) {
    throw badInput(
      `trace ${name}: expected a header and rows "YYYY-MM-DD HH:MM:SS,<number>", got "${lines[0]}" / "${lines[1]}"`,
      'use a CSV with a time column and a value column, like the files in the shared workloads folder',
    );
  }
  const valueCol = timeCol === 0 ? 1 : 0;
  const timesSec: number[] = [];
  const values: number[] = [];
  const problems: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split(',');
    const t = parseTime(cells[timeCol] ?? '');
    const v = Number(cells[valueCol]);
    if (t === undefined) problems.push(`line ${i + 1}: time "${cells[timeCol] ?? ''}" does not parse`);
    else if (!Number.isFinite(v) || v < 0 || (cells[valueCol] ?? '').trim() === '') problems.push(`line ${i + 1}: value "${cells[valueCol] ?? ''}" is not a non-negative number`);
    else if (timesSec.length > 0 && t <= timesSec[timesSec.length - 1]!) problems.push(`line ${i + 1}: time does not increase`);
    else {
      timesSec.push(t);
      values.push(v);
    }
    if (problems.length >= 10) break;
  }
  if (problems.length > 0) throw badInput(`trace ${name} (column "${header[valueCol]}") has bad rows:\n  ${problems.join('\n  ')}`);
  const gaps = timesSec.slice(1).map((t, i) => t - timesSec[i]!).sort((a, b) => a - b);
  return { name, timesSec, values, stepSec: gaps[Math.floor(gaps.length / 2)]! };
}

/**
 * The trace's rate at a time, by linear interpolation between samples: a coarse trace (5 or
 * 30 min buckets) becomes a smooth per-second rate, and gaps are bridged the same way.
 */
export function rateAt(trace: Trace, tSec: number): number {
  const ts = trace.timesSec;
  if (tSec <= ts[0]!) return trace.values[0]!;
  if (tSec >= ts[ts.length - 1]!) return trace.values[ts.length - 1]!;
  let lo = 0;
  let hi = ts.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= tSec) lo = mid;
    else hi = mid;
  }
  const f = (tSec - ts[lo]!) / (ts[hi]! - ts[lo]!);
  return trace.values[lo]! + f * (trace.values[hi]! - trace.values[lo]!);
}

/** How a trace's values become events/s: `peakRateEps` at its `peakPercentile` (100, its maximum, when unset). */
export interface TraceScaling {
  /** Target rate at the trace's peak percentile, events/s. */
  peakRateEps: number;
  /**
   * Which percentile of the trace's values is played at `peakRateEps`, in (0, 100]: 100 (the
   * default) is its maximum, so nothing goes above peakRateEps; 99 puts its usual peaks there, and
   * the rarer bursts above them go beyond it, by as much as the trace's maximum exceeds its 99th
   * percentile.
   */
  peakPercentile?: number;
}

/** The factor from trace values to events/s (linear interpolation between ranks for a percentile below 100). */
export function traceScale(trace: Pick<Trace, 'values'>, s: TraceScaling): number {
  const p = s.peakPercentile ?? 100;
  if (!(p > 0 && p <= 100)) throw badInput(`the peak percentile must be in (0, 100], got ${p}`, 'set replay.peakPercentile to 100 (the trace maximum) or a percentile such as 99');
  // A loop, not Math.max(...values): spreading a trace of more than ~120k rows overflows the stack.
  const at = p === 100 ? trace.values.reduce((m, v) => (v > m ? v : m), 0) : quantileSorted([...trace.values].sort((a, b) => a - b), p / 100);
  return at > 0 ? s.peakRateEps / at : 0;
}

export interface ReplayPlan extends TraceScaling {
  /** Trace seconds played per wall second (1 = real time, 60 = an hour per minute). */
  compression: number;
  /** Where to start in the trace, s from its first sample. */
  startOffsetSec: number;
  /** How long to replay, wall seconds. */
  durationSec: number;
}

/**
 * Events to produce in each wall second of a replay. Fractions are carried so the total is exact
 * and the schedule is deterministic.
 */
export function replaySchedule(trace: Trace, plan: ReplayPlan): number[] {
  const problems: string[] = [];
  if (!(plan.peakRateEps > 0)) problems.push(`peak rate must be > 0 events/s, got ${plan.peakRateEps}`);
  if (!(plan.compression > 0)) problems.push(`compression must be > 0, got ${plan.compression}`);
  if (!(plan.durationSec >= 1) || !Number.isInteger(plan.durationSec)) problems.push(`duration must be a whole number of seconds ≥ 1, got ${plan.durationSec}`);
  const span = trace.timesSec[trace.timesSec.length - 1]! - trace.timesSec[0]!;
  if (plan.startOffsetSec < 0 || plan.startOffsetSec > span) problems.push(`start offset ${plan.startOffsetSec} s is outside the trace (0–${span} s)`);
  if (problems.length > 0) throw badInput(`replay plan: ${problems.join('; ')}`);
  const scale = traceScale(trace, plan);
  const out: number[] = [];
  let carry = 0;
  for (let i = 0; i < plan.durationSec; i++) {
    const t = trace.timesSec[0]! + plan.startOffsetSec + (i + 0.5) * plan.compression;
    const exact = rateAt(trace, t) * scale + carry;
    const n = Math.floor(exact);
    carry = exact - n;
    out.push(n);
  }
  return out;
}
