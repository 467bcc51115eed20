import type { CommandRecord, ControlEvent, ControlRun, DecisionRecord } from '../../core/control/records.js';
import type { ControlStore } from '../../ports/control-store.js';

/**
 * The one reading of a control run's records: `khaos control status`, the dashboard's pages and
 * charts, and its /metrics all take their figures from here, so nothing is computed twice.
 */

/** A run as listed: its record, with what its records add up to. */
export interface RunSummary extends ControlRun {
  decisions: number;
  changes: number;
  /** The interval in force after the last decision, ms; undefined before any. */
  intervalMs?: number;
  failures: number;
  errors: number;
  /** The newest record of the run (decision or event), ms: when a run that died stopped. */
  lastRecordMs: number;
}

/** One point of the live series, from a decision's observation (latency and lag may be unknown: null). */
export interface SeriesPoint {
  atMs: number;
  throughputEps: number | null;
  forecastEps: number | null;
  latencyMs: number | null;
  lagRecords: number | null;
  intervalMs: number;
}

/** A checkpoint that completed: triggered by Khaos's pacer, or by Flink at the job's own (fallback) interval. */
export interface CheckpointMark {
  atMs: number;
  by: 'paced' | 'fallback';
  tookMs?: number;
}

/** A production failure and what its recovery measured (phases in s), once measured. */
export interface FailureView {
  atMs: number;
  detail: string;
  recovery?: { atMs: number; recoverySec?: number; detectionSec?: number | null; restartSec?: number | null; catchupSec?: number | null; timedOut?: boolean; detail: string };
}

export interface RunView {
  run: RunSummary;
  /** Latency target, ms, and recovery target, s, of the run's config (undefined when it has none). */
  targets: { latencyMs?: number; recoveryS?: number };
  series: SeriesPoint[];
  decisions: DecisionRecord[];
  checkpoints: CheckpointMark[];
  failures: FailureView[];
  /** Every event, oldest first (errors, warnings, pacer failures, …). */
  events: ControlEvent[];
  commands: CommandRecord[];
  /** Stretches with no decision recorded (see decisionGaps): the charts break there rather than draw a line across. */
  gaps: RecordGap[];
}

/** A stretch of a run with no decision recorded, ms. */
export interface RecordGap {
  fromMs: number;
  toMs: number;
}

/** A stretch counts as a gap when it is this many times the run's median spacing of decisions, and at least GAP_MIN_MS. */
export const GAP_FACTOR = 3;
export const GAP_MIN_MS = 60_000;

/**
 * The stretches of a run with no decision recorded for more than GAP_FACTOR times its median
 * spacing (at least GAP_MIN_MS): the controller was stopped or stalled, or the records have a
 * hole. Decisions come at the policy's cadence, so the median spacing is that cadence.
 */
export function decisionGaps(atMs: readonly number[]): RecordGap[] {
  const steps = atMs.slice(1).map((t, i) => t - atMs[i]!);
  if (steps.length < 2) return [];
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
  const limit = Math.max(GAP_MIN_MS, GAP_FACTOR * median);
  return steps.flatMap((d, i) => (d > limit ? [{ fromMs: atMs[i]!, toMs: atMs[i + 1]! }] : []));
}

const finite = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The interval a decision left in force. */
export const intervalAfter = (d: DecisionRecord) => (d.outcome === 'applied' ? d.toIntervalMs : d.fromIntervalMs);

/** The status a run is shown with: one still marked running whose process is gone was killed, and is shown as interrupted (the record is kept as written). */
const statusOf = (run: ControlRun, alive: (pid: number) => boolean) => (run.status === 'running' && (run.ownerPid === undefined || !alive(run.ownerPid)) ? 'interrupted' : run.status);

/** A run with the totals of its decisions and events. */
function summaryOf(run: ControlRun, ds: readonly DecisionRecord[], events: readonly ControlEvent[], alive: (pid: number) => boolean): RunSummary {
  const last = ds.at(-1);
  return {
    ...run,
    status: statusOf(run, alive),
    decisions: ds.length,
    changes: ds.filter((d) => d.outcome === 'applied').length,
    intervalMs: last ? intervalAfter(last) : undefined,
    failures: events.filter((e) => e.kind === 'failure').length,
    errors: events.filter((e) => e.kind === 'error').length,
    lastRecordMs: Math.max(run.startedAtMs, last?.atMs ?? 0, events.at(-1)?.atMs ?? 0),
  };
}

/** A run with its totals, read whole. */
export const summarise = (store: ControlStore, run: ControlRun, alive: (pid: number) => boolean): RunSummary => summaryOf(run, store.decisions(run.id), store.events(run.id), alive);

/** Every run, newest first, summarised. */
export const runSummaries = (store: ControlStore, alive: (pid: number) => boolean): RunSummary[] => store.listRuns().map((r) => summarise(store, r, alive));

/** The run's targets as recorded with it; for runs recorded before, those of its config. */
function targetsOf(run: ControlRun): RunView['targets'] {
  if (run.targets) return { ...run.targets };
  const o = (run.config as { control?: { options?: { latencyTargetMs?: number; recoveryTargetS?: number } } } | undefined)?.control?.options;
  return { latencyMs: o?.latencyTargetMs, recoveryS: o?.recoveryTargetS };
}

/** Each failure with the recovery event that closed it (the next one), if any yet. */
function failuresOf(events: readonly ControlEvent[]): FailureView[] {
  const out: FailureView[] = [];
  for (const e of events) {
    if (e.kind === 'failure') out.push({ atMs: e.atMs, detail: e.detail });
    else if (e.kind === 'recovery' && out.length > 0 && !out.at(-1)!.recovery) {
      const d = (e.data ?? {}) as { sample?: { recoverySec: number; detectionSec: number | null; restartSec: number | null; catchupSec: number | null }; timeout?: boolean };
      out.at(-1)!.recovery = { atMs: e.atMs, detail: e.detail, timedOut: d.timeout, ...d.sample };
    }
  }
  return out;
}

const seriesPoint = (d: DecisionRecord): SeriesPoint => ({
  atMs: d.atMs,
  throughputEps: finite(d.observation.throughputEps),
  forecastEps: finite(d.observation.forecastEps),
  latencyMs: finite(d.observation.latencyMs),
  lagRecords: finite(d.observation.lagRecords),
  intervalMs: intervalAfter(d),
});

function checkpointMark(e: ControlEvent): CheckpointMark[] {
  const by = e.kind === 'checkpoint-completed' ? 'paced' : e.kind === 'checkpoint-fallback' ? 'fallback' : undefined;
  return by ? [{ atMs: e.atMs, by, tookMs: (e.data as { tookMs?: number } | undefined)?.tookMs }] : [];
}

/**
 * A run's records read as they grow: each `read()` takes from the store only the decisions and
 * events recorded since the last one (records are only ever appended) and adds them to the view
 * it keeps, whose arrays only grow; the summary, failures, gaps and commands are made again. What
 * the dashboard's live stream follows without reading a long run whole every second.
 */
export class RunReader {
  private view?: RunView;

  constructor(
    private readonly store: ControlStore,
    readonly runId: string,
    private readonly alive: (pid: number) => boolean,
  ) {}

  /** The view with the records added since the last read; undefined for an unknown run. */
  read(): RunView | undefined {
    const run = this.store.getRun(this.runId);
    if (!run) return undefined;
    const v = (this.view ??= { run: summaryOf(run, [], [], this.alive), targets: {}, series: [], decisions: [], checkpoints: [], failures: [], events: [], commands: [], gaps: [] });
    const decisions = this.store.decisions(this.runId, v.decisions.length);
    const events = this.store.events(this.runId, undefined, v.events.length);
    v.decisions.push(...decisions);
    v.series.push(...decisions.map(seriesPoint));
    v.events.push(...events);
    v.checkpoints.push(...events.flatMap(checkpointMark));
    if (events.length > 0) v.failures = failuresOf(v.events);
    if (decisions.length > 0) v.gaps = decisionGaps(v.decisions.map((d) => d.atMs));
    v.run = summaryOf(run, v.decisions, v.events, this.alive);
    v.targets = targetsOf(run);
    v.commands = this.store.commands(this.runId);
    return v;
  }
}

/** A run's records as the dashboard and /metrics read them, read whole; undefined for an unknown run. */
export const runView = (store: ControlStore, runId: string, alive: (pid: number) => boolean): RunView | undefined => new RunReader(store, runId, alive).read();
