import type { RealPlan } from '../core/evaluation/real-plan.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';

/** The runs one sitting of a real evaluation records into `dir`, kept as each ends. */
export interface Sitting {
  dir: string;
  /** Runs already recorded in `dir` (a resumed sitting), then those of this sitting. */
  records: RealRunRecord[];
  record(r: RealRunRecord): void;
}

/**
 * Where a real evaluation keeps its runs between sittings (a directory per sitting). Throws
 * KhaosError('bad-input') for a directory or a file that does not fit the plan (another plan, runs
 * twice, unreadable), naming the fix.
 */
export interface EvaluationRuns {
  /** The name of a sitting's runs file in its directory (`khaos sim calibrate --runs` reads it). */
  readonly runsFile: string;
  /** A new sitting in `dir` (nothing recorded there yet), or the continuation of the one there (`resume`), of this plan. */
  open(dir: string, plan: RealPlan, planId: string, resume: boolean): Sitting;
  /** The runs of earlier sittings (each a runs file or its directory), joined: all of this plan, no run twice. */
  join(files: readonly string[], plan: RealPlan, planId: string): RealRunRecord[];
}
