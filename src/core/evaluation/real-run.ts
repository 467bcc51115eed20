import type { JobName } from '../jobs.js';
import type { JobSample } from '../profiling/recovery.js';

/**
 * What one policy's run on the real stack recorded (`khaos evaluate` without --sim writes one per
 * policy to <out>/runs.json): enough to compute its QoS again, to plot it, to replay the same
 * scenario in the simulator, and to calibrate the simulator from it (`khaos sim calibrate --runs`).
 * Times are wall-clock ms since the epoch unless the name says otherwise.
 */
export interface RealRunRecord {
  /** As in the evaluation JSON: `khaos+`, `khaos+@restart`, `static:5s`, … */
  policy: string;
  job: JobName;
  /** The replica's name on the local stack. */
  replica: string;
  /** How the replicas of the evaluation ran: one after another, or side by side on one replayed input. */
  mode: 'sequential' | 'side-by-side';
  /** The plan the run belongs to (real-plan.ts: planId), its repeat index k and its place in the plan's order; absent in records made before plans. */
  planId?: string;
  run?: number;
  position?: number;
  /** When the replay of the trace into the replica's input began (the warm-up first) and ended. */
  replayStartMs: number;
  replayEndMs: number;
  /** The first this many wall s of the replay are the warm-up: not scored, no kill (absent: 0). The scored window starts at replayStartMs + warmupSec s. */
  warmupSec?: number;
  /** Events produced in each second of the replay, the warm-up's included (the same for run k of every policy). */
  scheduleEps: number[];
  /** The controller's samples, one per tick (about 1 s), from the job's start to the end of the drain. */
  samples: JobSample[];
  /** The interval in force from each time on (paced: the pacing interval; otherwise the job's own). */
  intervals: { atMs: number; intervalMs: number }[];
  /** Failures injected, with the recovery the profiling detector measured (null: not within the run). */
  failures: {
    injectedAtMs: number;
    type: 'kill';
    taskManagerId: string;
    recoverySec: number | null;
    detectionSec: number | null;
    restartSec: number | null;
    catchupSec: number | null;
  }[];
  /** Completed checkpoints seen in Flink's checkpoint history (sampled: a few may be missed between reads). */
  checkpoints: { id: number; jobId: string; triggeredAtMs: number; durationMs: number; stateBytes: number; savepoint: boolean }[];
  /** Checkpoints completed from the end of the warm-up on, per Flink's counters (summed over the jobs of a restart actuator). */
  checkpointsCompleted: number;
  /** Interval changes applied, with the outage each cost (0 for paced). */
  changes: { atMs: number; fromMs: number; toMs: number; outageMs: number }[];
  /** From the committed output: events lost and counted twice (exactly-once: both 0). */
  lost: number;
  duplicated: number;
}

/** The interval in force at `tMs` in a run, ms (the first one before the run's first change). */
export const intervalAt = (r: Pick<RealRunRecord, 'intervals'>, tMs: number): number => (r.intervals.filter((i) => i.atMs <= tMs).at(-1) ?? r.intervals[0])?.intervalMs ?? Number.NaN;
