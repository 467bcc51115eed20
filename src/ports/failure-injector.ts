import type { FailureSpec, FailureType } from '../core/failure-types.js';

/** The failure types and what each needs: the registry, src/core/failure-types.ts. */
export type { FailureSpec, FailureType, TaskExceptionTarget } from '../core/failure-types.js';

export interface InjectedFailure {
  type: FailureType;
  /** The TaskManager hit, by Flink resource id. */
  taskManagerId: string;
  pid: number;
  /** When the signal was sent, ms since the epoch (system clock). */
  injectedAtMs: number;
  /** For a freeze: when it was thawed. */
  resumedAtMs?: number;
  /** For an exception: the execution attempt the marker fails at (the tasks' attempt when it was written). */
  failAtAttempt?: number;
}

/**
 * Breaks a running replica: a TaskManager of it, or one of its tasks. Throws
 * KhaosError('bad-input') when the target is unknown, KhaosError('platform') when the process
 * cannot be signalled or the job cannot be reached.
 */
export interface FailureInjector {
  /**
   * Optional: looks up ahead of time what injecting `type` into `taskManagerId` needs (called
   * when the victim is planned, before waiting for the injection time), so that the injection
   * itself is as short as one call and lands on time. The injection checks again whatever may
   * have changed meanwhile.
   */
  prepare?(type: FailureType, taskManagerId: string): Promise<void>;
  /**
   * Injects one failure, as its type says:
   * - kill: the TaskManager is gone at once.
   * - freeze: SIGSTOP now, SIGCONT after `durationMs`; resolves after the thaw.
   * - exception: makes the job's parse operator throw once: reads the current execution attempt
   *   of its subtasks and writes a marker carrying it to every partition of the input topic. Each
   *   subtask throws when it reads the marker at that attempt; the failover restarts every task
   *   with a higher attempt, so the marker replayed from the checkpoint is ignored and one call
   *   restarts the job at most once. Resolves once the marker is written (`injectedAtMs`);
   *   `taskManagerId` is where the parse operator's first subtask runs. A job whose jar predates
   *   markers drops it (no failure: the recovery watch then records a time-out). Throws
   *   KhaosError('platform') when the job is not RUNNING with every parse subtask RUNNING (the
   *   attempt could change under it).
   *
   * A platform that cannot inject a type throws KhaosError('bad-input') saying so.
   */
  inject(spec: FailureSpec): Promise<InjectedFailure>;
}
