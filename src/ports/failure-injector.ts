/** Failure types of the foundation: an immediate kill, or a freeze (like a long GC pause). */
export type FailureType = 'kill' | 'freeze';

export interface InjectedFailure {
  type: FailureType;
  /** The TaskManager hit, by Flink resource id. */
  taskManagerId: string;
  pid: number;
  /** When the signal was sent, ms since the epoch (system clock). */
  injectedAtMs: number;
  /** For a freeze: when it was thawed. */
  resumedAtMs?: number;
}

/**
 * Breaks a TaskManager of a running replica. Throws KhaosError('bad-input') when the target is
 * unknown, KhaosError('platform') when the process cannot be signalled.
 */
export interface FailureInjector {
  kill(taskManagerId: string): Promise<InjectedFailure>;
  /** SIGSTOP now, SIGCONT after `durationMs`; resolves after the thaw. */
  freeze(taskManagerId: string, durationMs: number): Promise<InjectedFailure>;
}
