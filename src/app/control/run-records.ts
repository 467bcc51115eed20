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
}

const finite = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The interval a decision left in force. */
export const intervalAfter = (d: DecisionRecord) => (d.outcome === 'applied' ? d.toIntervalMs : d.fromIntervalMs);

/**
 * A run with its totals. A run still marked running whose process is gone was killed: it is
 * shown as interrupted (the record is kept as written).
 */
export function summarise(store: ControlStore, run: ControlRun, alive: (pid: number) => boolean): RunSummary {
  const ds = store.decisions(run.id);
  const events = store.events(run.id);
  const status = run.status === 'running' && (run.ownerPid === undefined || !alive(run.ownerPid)) ? 'interrupted' : run.status;
  const last = ds.at(-1);
  return {
    ...run,
    status,
    decisions: ds.length,
    changes: ds.filter((d) => d.outcome === 'applied').length,
    intervalMs: last ? intervalAfter(last) : undefined,
    failures: events.filter((e) => e.kind === 'failure').length,
    errors: events.filter((e) => e.kind === 'error').length,
    lastRecordMs: Math.max(run.startedAtMs, last?.atMs ?? 0, events.at(-1)?.atMs ?? 0),
  };
}

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

/** A run's records as the dashboard and /metrics read them; undefined for an unknown run. */
export function runView(store: ControlStore, runId: string, alive: (pid: number) => boolean): RunView | undefined {
  const run = store.getRun(runId);
  if (!run) return undefined;
  const decisions = store.decisions(runId);
  const events = store.events(runId);
  const series = decisions.map((d) => ({
    atMs: d.atMs,
    throughputEps: finite(d.observation.throughputEps),
    forecastEps: finite(d.observation.forecastEps),
    latencyMs: finite(d.observation.latencyMs),
    lagRecords: finite(d.observation.lagRecords),
    intervalMs: intervalAfter(d),
  }));
  const checkpoints = events.flatMap((e): CheckpointMark[] => {
    if (e.kind === 'checkpoint-completed') return [{ atMs: e.atMs, by: 'paced', tookMs: (e.data as { tookMs?: number } | undefined)?.tookMs }];
    if (e.kind === 'checkpoint-fallback') return [{ atMs: e.atMs, by: 'fallback', tookMs: (e.data as { tookMs?: number } | undefined)?.tookMs }];
    return [];
  });
  return { run: summarise(store, run, alive), targets: targetsOf(run), series, decisions, checkpoints, failures: failuresOf(events), events, commands: store.commands(runId) };
}
