/**
 * Typed access to one Flink cluster's REST API: what Khaos needs to watch a job, read its
 * checkpoints and metrics, and stop it with a savepoint. Implementations validate every answer
 * and throw KhaosError('platform') when the cluster answers something unexpected, and
 * KhaosError('timeout') when it does not answer in time.
 */
import type { JobState } from '../core/job-state.js';

export type { JobState };

export interface JobSummary {
  id: string;
  name: string;
  state: JobState;
  startTimeMs: number;
}

export interface VertexInfo {
  id: string;
  name: string;
  parallelism: number;
  status: string;
}

export interface JobDetails extends JobSummary {
  /** When the job last entered each state, ms since the epoch (as Flink reports it). */
  timestamps: Partial<Record<JobState, number>>;
  vertices: VertexInfo[];
}

export interface SubtaskLocation {
  subtask: number;
  status: string;
  /** Flink's resource id of the TaskManager running this subtask. */
  taskManagerId: string;
  /** Execution attempt of the subtask (0 first; every restart that redeploys it adds one). */
  attempt: number;
}

export interface CompletedCheckpoint {
  id: number;
  triggerTimestampMs: number;
  latestAckTimestampMs: number;
  endToEndDurationMs: number;
  stateSizeBytes: number;
  checkpointedSizeBytes: number;
  isSavepoint: boolean;
}

export interface RestoredCheckpoint {
  id: number;
  restoreTimestampMs: number;
  isSavepoint: boolean;
  externalPath?: string;
}

export interface CheckpointStats {
  counts: { completed: number; failed: number; inProgress: number; restored: number; total: number };
  latestCompleted?: CompletedCheckpoint;
  latestRestored?: RestoredCheckpoint;
}

export interface CheckpointConfig {
  /** The running job's checkpoint interval, ms (Flink caches this answer ~3 s). */
  intervalMs: number;
  timeoutMs: number;
  minPauseMs: number;
  mode: string;
  /** execution.checkpointing.tolerable-failed-checkpoints, when Flink reports it. */
  tolerableFailures?: number;
}

/** Where a checkpoint triggered through {@link FlinkEngine.triggerCheckpoint} stands. */
export type CheckpointTriggerStatus =
  | { state: 'IN_PROGRESS' }
  | { state: 'COMPLETED'; checkpointId: number }
  | { state: 'FAILED'; cause: string };

export interface JobException {
  timestampMs: number;
  exceptionName: string;
  taskName?: string;
  taskManagerId?: string;
}

export interface TaskManagerInfo {
  id: string;
  slots: number;
  freeSlots: number;
}

/** One metric aggregated over a vertex's subtasks; absent aggregates are undefined. */
export interface AggregatedMetric {
  min?: number;
  max?: number;
  avg?: number;
  sum?: number;
}

export interface FlinkEngine {
  readonly restUrl: string;
  /** Answers when the REST endpoint is up; never throws for "not ready" (returns false). */
  isReachable(): Promise<boolean>;
  listJobs(): Promise<JobSummary[]>;
  job(jobId: string): Promise<JobDetails>;
  subtasks(jobId: string, vertexId: string): Promise<SubtaskLocation[]>;
  checkpoints(jobId: string): Promise<CheckpointStats>;
  checkpointConfig(jobId: string): Promise<CheckpointConfig>;
  exceptions(jobId: string): Promise<JobException[]>;
  taskManagers(): Promise<TaskManagerInfo[]>;
  /** Names of the metrics a vertex's subtasks report (operator metrics are prefixed with the operator name). */
  vertexMetricNames(jobId: string, vertexId: string): Promise<string[]>;
  /** Metrics of a vertex aggregated over its subtasks; a metric not yet reported is absent. */
  vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, AggregatedMetric>>;
  /** Job-level metrics (numRestarts, lastCheckpointDuration, ...); absent ones are left out. */
  jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>>;
  /**
   * Stops the job with a savepoint in `targetDirectory` and returns the savepoint's path.
   * Throws KhaosError('timeout') after `timeoutMs`, KhaosError('platform') when Flink reports failure.
   */
  stopWithSavepoint(jobId: string, targetDirectory: string, timeoutMs: number): Promise<string>;
  cancel(jobId: string): Promise<void>;
  /**
   * Triggers one checkpoint now (`POST /jobs/:id/checkpoints`, Flink 1.17+) and returns the
   * trigger id. It is an ordinary checkpoint: restorable, and it commits the sinks' transactions.
   * Throws KhaosError('platform') when Flink refuses the request (unknown job, not running).
   */
  triggerCheckpoint(jobId: string): Promise<string>;
  /** Where a triggered checkpoint stands; a failed one carries Flink's cause. */
  checkpointTriggerStatus(jobId: string, triggerId: string): Promise<CheckpointTriggerStatus>;
}
