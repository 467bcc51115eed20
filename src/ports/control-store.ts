import type { ControlEvent, ControlRun, ControlRunStatus, DecisionRecord } from '../core/control/records.js';

/**
 * Durable records of control runs. Every write is committed before the call returns, so a
 * crashed or killed controller loses nothing it had recorded. Throws KhaosError('bad-input') for
 * an unknown run id, KhaosError('environment') when the database cannot be opened or written.
 */
export interface ControlStore {
  createRun(run: ControlRun): void;
  setRunStatus(id: string, status: ControlRunStatus, jobId?: string): void;
  /** Newest first. */
  listRuns(): ControlRun[];
  getRun(id: string): ControlRun | undefined;
  recordDecision(d: DecisionRecord): void;
  /** Oldest first. */
  decisions(runId: string): DecisionRecord[];
  recordEvent(e: ControlEvent): void;
  /** Oldest first; `kind` filters. */
  events(runId: string, kind?: string): ControlEvent[];
  close(): void;
}
