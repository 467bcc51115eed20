import type { RealRunRecord } from './real-run.js';

/**
 * Each run of an evaluation over time: the interval in force and each failure's recovery against
 * the target. The reports' interval plots draw it and `khaos evaluate` writes it to
 * <out>/timeline.json, which the dashboard's Evaluations page draws: one reading of the runs.
 */
export interface RunTimeline {
  /** The run as the report names it: its policy, with `#k` when a policy ran more than once. */
  name: string;
  policy: string;
  /** The interval in force from each time on (s from the start of the run), ms; each holds until the next, the last until endSec. */
  intervals: { atSec: number; intervalMs: number }[];
  endSec: number;
  /** Each failure (s from the start of the run) and its recovery, s; null: not recovered within the run. */
  failures: { atSec: number; recoverySec: number | null }[];
}

export interface EvaluationTimeline {
  /** SIMULATED (schedule 0 of `evaluate --sim`) or MEASURED (the runs on Flink). */
  kind: 'simulated' | 'measured';
  recoveryTargetS: number;
  /** What the time axis counts. */
  timeAxis: string;
  runs: RunTimeline[];
}

/** The levels of a per-second series as changes: the value from each second on, where it changed. */
export function levelChanges(perSecond: ArrayLike<number>): { atSec: number; intervalMs: number }[] {
  const out: { atSec: number; intervalMs: number }[] = [];
  for (let s = 0; s < perSecond.length; s++) if (out.at(-1)?.intervalMs !== perSecond[s]) out.push({ atSec: s, intervalMs: perSecond[s]! });
  return out;
}

/** The simulator's representative runs (schedule 0): the interval in force at the end of each second, and each failure. */
export function simulatedTimeline(runs: readonly { name: string; intervalMs: ArrayLike<number>; failures: readonly { atSec: number; recoverySec: number | null }[] }[], recoveryTargetS: number): EvaluationTimeline {
  return {
    kind: 'simulated',
    recoveryTargetS,
    timeAxis: 'simulated time (s), schedule 0',
    runs: runs.map((r) => ({ name: r.name, policy: r.name, intervals: levelChanges(r.intervalMs), endSec: r.intervalMs.length, failures: r.failures.map((f) => ({ atSec: f.atSec, recoverySec: f.recoverySec })) })),
  };
}

/** Runs on the real stack, from the start of each one's replay (its warm-up included). */
export function measuredTimeline(records: readonly RealRunRecord[], repeats: number, recoveryTargetS: number): EvaluationTimeline {
  return {
    kind: 'measured',
    recoveryTargetS,
    timeAxis: 'wall time since the replay started, warm-up included (s)',
    runs: records.map((r) => {
      const rel = (tMs: number) => (tMs - r.replayStartMs) / 1000;
      const lastMs = r.samples.at(-1)?.tMs ?? r.intervals.at(-1)?.atMs ?? r.replayStartMs;
      return {
        name: repeats > 1 ? `${r.policy} #${r.run ?? 1}` : r.policy,
        policy: r.policy,
        intervals: r.intervals.map((v) => ({ atSec: rel(v.atMs), intervalMs: v.intervalMs })),
        endSec: rel(lastMs),
        failures: r.failures.map((f) => ({ atSec: rel(f.injectedAtMs), recoverySec: f.recoverySec })),
      };
    }),
  };
}

/** A run's interval as a stepped line: [s, interval s] at the start and the end of each level. */
export function intervalSteps(run: RunTimeline): [number, number][] {
  return run.intervals.flatMap((v, k) => {
    const end = run.intervals[k + 1]?.atSec ?? run.endSec;
    return [[v.atSec, v.intervalMs / 1000], [end, v.intervalMs / 1000]] as [number, number][];
  });
}
