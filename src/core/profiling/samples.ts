import { badInput } from '../errors.js';
import { median } from '../stats.js';

/**
 * One measured failure: what the job was doing before it (mean input throughput and mean p99
 * latency over the pre-failure window, at a checkpoint interval) and how long it took to recover.
 * The phase durations and checkpoint figures are optional: an imported CSV may lack them.
 */
export interface FailureSample {
  /** Checkpoint interval of the replica, ms. */
  ciMs: number;
  /** Mean input throughput over the pre-failure window, events/s. */
  throughputEps: number;
  /**
   * p99 source-to-sink latency over the pre-failure window, ms; absent when that window saw no
   * latency (no window of the job committed output in it). Such a failure still fits recovery.
   */
  latencyMs?: number;
  /** Injection → throughput and lag back to normal, sustained, s. */
  recoverySec: number;
  /** Injection → job seen not RUNNING, s. */
  detectionSec?: number;
  /** Not RUNNING → RUNNING again (restart and state restore), s. */
  restartSec?: number;
  /** RUNNING → lag back to normal, s. */
  catchupSec?: number;
  /** Size of the checkpoint restored, bytes. */
  stateBytes?: number;
  /** Duration of the last checkpoint before the failure, ms. */
  checkpointMs?: number;
}

type Field = keyof FailureSample;

/**
 * CSV column → sample field, whether the header must have it, and whether a required column's
 * cell may be empty; in the order `samplesToCsv` writes them.
 */
const COLUMNS: ReadonlyArray<readonly [string, Field, boolean, boolean?]> = [
  ['ci_ms', 'ciMs', true],
  ['throughput_eps', 'throughputEps', true],
  ['latency_ms', 'latencyMs', true, true],
  ['recovery_s', 'recoverySec', true],
  ['detection_s', 'detectionSec', false],
  ['restart_s', 'restartSec', false],
  ['catchup_s', 'catchupSec', false],
  ['state_bytes', 'stateBytes', false],
  ['checkpoint_ms', 'checkpointMs', false],
];

/** The fewest failures a samples file may hold: every model has three fitted parameters. */
export const MIN_SAMPLES = 4;
const MAX_REPORTED = 50;
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a failure-measurement CSV: header `ci_ms,throughput_eps,latency_ms,recovery_s` plus any of
 * `detection_s,restart_s,catchup_s,state_bytes,checkpoint_ms`, in any order. Blank lines and lines
 * starting with `#` (provenance notes) are skipped; an optional column, and latency_ms, may have
 * empty cells.
 * Throws `bad-input` naming unknown, duplicate or missing columns, or every bad cell (line and
 * column) at once, or when there are fewer than {@link MIN_SAMPLES} rows.
 */
export function parseSamplesCsv(text: string, name: string): FailureSample[] {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ no: i + 1, text: l.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
  const expected = `header ${COLUMNS.filter((c) => c[2]).map((c) => c[0]).join(',')} (optional: ${COLUMNS.filter((c) => !c[2]).map((c) => c[0]).join(',')})`;
  if (lines.length === 0) throw badInput(`samples ${name} is empty`, `write a CSV with the ${expected}`);
  const header = lines[0]!.text.split(',').map((h) => h.trim().toLowerCase());
  const byColumn = new Map(COLUMNS.map((c) => [c[0], c] as const));
  const unknown = header.filter((h) => !byColumn.has(h));
  const duplicate = header.filter((h, i) => header.indexOf(h) !== i);
  const missing = COLUMNS.filter((c) => c[2] && !header.includes(c[0])).map((c) => c[0]);
  const headerProblems = [
    unknown.length > 0 ? `unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')}` : '',
    duplicate.length > 0 ? `duplicate column(s) ${[...new Set(duplicate)].join(', ')}` : '',
    missing.length > 0 ? `missing required column(s) ${missing.join(', ')}` : '',
  ].filter((p) => p !== '');
  if (headerProblems.length > 0) throw badInput(`samples ${name}: ${headerProblems.join('; ')}`, `use the ${expected}`);

  const problems: string[] = [];
  const samples: FailureSample[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.text.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      problems.push(`line ${line.no}: ${cells.length} cells, the header has ${header.length}`);
      continue;
    }
    const sample: Partial<Record<Field, number>> = {};
    header.forEach((h, j) => {
      const [, field, required, mayBeEmpty] = byColumn.get(h)!;
      const cell = cells[j]!;
      if (cell === '' && (!required || mayBeEmpty)) return;
      const v = NUMBER_RE.test(cell) ? Number(cell) : NaN;
      if (!Number.isFinite(v)) problems.push(`line ${line.no}, column ${h}: "${cell}" is not a number`);
      else if (v < 0) problems.push(`line ${line.no}, column ${h}: ${cell} is negative`);
      else if (field === 'ciMs' && v === 0) problems.push(`line ${line.no}, column ${h}: a checkpoint interval must be above 0`);
      else sample[field] = v;
    });
    samples.push(sample as FailureSample);
  }
  if (problems.length > 0) {
    const more = problems.length > MAX_REPORTED ? `\n  … and ${problems.length - MAX_REPORTED} more` : '';
    throw badInput(`samples ${name} has ${problems.length} bad cell(s):\n  ${problems.slice(0, MAX_REPORTED).join('\n  ')}${more}`, 'every cell must be a non-negative number; optional columns may be left empty');
  }
  if (samples.length < MIN_SAMPLES) {
    throw badInput(`samples ${name} holds ${samples.length} failure(s); fitting needs at least ${MIN_SAMPLES}`, 'profile more failures (more injection points or intervals) and export them again');
  }
  return samples;
}

/**
 * Writes samples in the format `parseSamplesCsv` reads: the required columns, then each optional
 * column that at least one sample has (empty cells where a sample lacks it). `comment` lines are
 * written first, each prefixed with `# `. Numbers are written exactly (JavaScript's shortest
 * round-trip form).
 */
export function samplesToCsv(samples: readonly FailureSample[], comment: readonly string[] = []): string {
  const columns = COLUMNS.filter(([, field, required]) => required || samples.some((s) => s[field] !== undefined));
  const rows = samples.map((s) => columns.map(([, field]) => (s[field] === undefined ? '' : String(s[field]))).join(','));
  return [...comment.map((c) => `# ${c}`), columns.map((c) => c[0]).join(','), ...rows].join('\n') + '\n';
}

/**
 * One sample for a group of repeats (the original's median-of-k): the median of each field over
 * the repeats that have it, the recovery given when a caller counts timeouts in its median.
 */
export function medianSample(repeats: readonly FailureSample[], recoverySec = median(repeats.map((s) => s.recoverySec))): FailureSample {
  const mid = (k: Field) => {
    const xs = repeats.flatMap((s) => (typeof s[k] === 'number' ? [s[k]] : []));
    return xs.length ? median(xs) : undefined;
  };
  const s: FailureSample = { ciMs: repeats[0]!.ciMs, throughputEps: mid('throughputEps')!, recoverySec };
  for (const k of ['latencyMs', 'detectionSec', 'restartSec', 'catchupSec', 'stateBytes', 'checkpointMs'] as const) if (mid(k) !== undefined) s[k] = mid(k);
  return s;
}

/** The repeats of a samples file: groups of the same interval and (rounded) throughput, in first-seen order. */
export function repeatGroups(samples: readonly FailureSample[]): FailureSample[][] {
  const groups = new Map<string, FailureSample[]>();
  for (const s of samples) {
    const key = `${s.ciMs}/${Math.round(s.throughputEps)}`;
    const group = groups.get(key);
    if (group) group.push(s); // not a copy per sample: that made a large group quadratic
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

/** Each group of {@link repeatGroups} as one {@link medianSample}. */
export const medianOfRepeats = (samples: readonly FailureSample[]): FailureSample[] => repeatGroups(samples).map((g) => medianSample(g));
