import type { CommandRecord, ControlEvent, ControlRun, ControlRunStatus, DecisionRecord, OperatorCommand, ReconfigRecord } from '../core/control/records.js';

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
  /** Oldest first; from `skip` on (the first `skip` left out: what a reader that has them does not read again). */
  decisions(runId: string, skip?: number): DecisionRecord[];
  recordEvent(e: ControlEvent): void;
  /** Oldest first; `kind` filters; from `skip` on, as for decisions. */
  events(runId: string, kind?: string, skip?: number): ControlEvent[];
  /** Inserts or replaces a reconfiguration record (by id), durably, before the step it names is taken. */
  saveReconfiguration(r: ReconfigRecord): void;
  /** The newest reconfiguration of `target` not in a final step, if any (what a restarted controller must finish). */
  openReconfiguration(target: string): ReconfigRecord | undefined;
  /** Every reconfiguration of `target`, oldest first. */
  reconfigurations(target: string): ReconfigRecord[];
  /** Queues a person's command for a run (the dashboard); returns its sequence number. */
  queueCommand(runId: string, atMs: number, command: OperatorCommand): number;
  /** Commands of a run not taken yet, oldest first. */
  pendingCommands(runId: string): CommandRecord[];
  /** Every command of a run, oldest first, taken or not. */
  commands(runId: string): CommandRecord[];
  /** Marks a command taken by the controller, with what came of it. */
  settleCommand(seq: number, takenAtMs: number, outcome: string): void;
  close(): void;
}
