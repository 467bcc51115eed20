import type { ActuatorKind, Decision, Observation, PolicyState } from './policy.js';

/** Durable records of control runs: what `khaos control status|decisions` reads. */

export type ControlRunStatus = 'running' | 'stopped' | 'interrupted';

export interface ControlRun {
  id: string;
  startedAtMs: number;
  status: ControlRunStatus;
  ownerPid?: number;
  policy: string;
  actuator: ActuatorKind;
  dryRun: boolean;
  /** REST address and job id controlled. */
  restUrl: string;
  jobId?: string;
  /** The job's own interval, kept if Khaos stops (paced: the fallback), ms. */
  fallbackIntervalMs: number;
  /** The resolved config, frozen as the run began. */
  config: unknown;
  /** The policy's targets: p99 latency, ms, and recovery time, s (absent in runs recorded before they were kept here). */
  targets?: { latencyMs: number; recoveryS: number };
}

/** One evaluation of the policy and what came of it. */
export interface DecisionRecord {
  runId: string;
  atMs: number;
  policy: string;
  actuator: ActuatorKind;
  action: Decision['action'];
  fromIntervalMs: number;
  toIntervalMs: number;
  reason: string;
  /** `kept`, `applied`, `dry-run`, `failed: …`. */
  outcome: string;
  /** Outage caused by the change, ms (0 for paced). */
  outageMs: number;
  modelVersion?: string;
  observation: Observation;
  predictions?: Decision['predictions'];
  state: PolicyState;
  /** `person`: taken by someone through the dashboard (an operator command), not by the policy. */
  by?: 'person';
}

/**
 * What a person can tell a running controller (the dashboard's mutating calls): stop changing the
 * interval and resume, switch dry-run, or hold an interval until a time.
 */
export type OperatorCommand =
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'dry-run'; on: boolean }
  | { kind: 'override'; intervalMs: number; untilMs: number };

/** An operator command queued for a run; the controller takes it on its next tick and records what came of it. */
export interface CommandRecord {
  seq: number;
  runId: string;
  /** When it was queued, ms. */
  atMs: number;
  command: OperatorCommand;
  /** When the controller took it, ms; undefined while pending. */
  takenAtMs?: number;
  /** What came of it (`applied`, `refused: …`). */
  outcome?: string;
}

/** Something that happened during a run: a checkpoint trigger, a failure seen, an error. */
export interface ControlEvent {
  runId: string;
  atMs: number;
  kind: string;
  detail: string;
  data?: unknown;
}

/**
 * Steps of a restart reconfiguration, persisted before each is taken so that a controller killed
 * at any point can finish or roll back: planned → stopping → stopped (savepoint known) →
 * relaunching → done; or failed / rolled-back.
 */
export type ReconfigStep = 'planned' | 'stopping' | 'stopped' | 'relaunching' | 'done' | 'failed' | 'rolled-back';
export const FINAL_RECONFIG_STEPS: readonly ReconfigStep[] = ['done', 'failed', 'rolled-back'];

export interface ReconfigRecord {
  id: string;
  runId: string;
  /** What is reconfigured: `<stack>/<replica>`. */
  target: string;
  fromIntervalMs: number;
  toIntervalMs: number;
  step: ReconfigStep;
  savepointPath?: string;
  startedAtMs: number;
  updatedAtMs: number;
  /** Why it failed or rolled back, or what the resume did. */
  detail?: string;
}
