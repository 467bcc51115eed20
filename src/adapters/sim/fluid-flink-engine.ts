import { KhaosError } from '../../core/errors.js';
import { processing } from '../../core/sim/fluid-state.js';
import type { Clock } from '../../ports/clock.js';
import type {
  AggregatedMetric,
  CheckpointConfig,
  CheckpointStats,
  CheckpointTriggerStatus,
  CompletedCheckpoint,
  FlinkEngine,
  JobDetails,
  JobException,
  JobSummary,
  SubtaskLocation,
  TaskManagerInfo,
} from '../../ports/flink-engine.js';
import type { FluidFlinkCluster, ShownCheckpoint, ShownJob } from './fluid-flink-cluster.js';

/** Flink's checkpoint timeout as the local stack configures it (execution.checkpointing.timeout 2 min), ms. */
const CHECKPOINT_TIMEOUT_MS = 120_000;

const notBeingExecuted = (jobId: string, task: string) =>
  new KhaosError(
    'platform',
    `stop-with-savepoint of job ${jobId} failed: java.util.concurrent.CompletionException org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task ${task} of job ${jobId} is not being executed at the moment. Aborting checkpoint. Failure reason: Not all required tasks are currently running.`,
    'the job keeps running; see the JobManager log',
  );

function completed(c: ShownCheckpoint): CompletedCheckpoint {
  const { id, triggerTimestampMs, latestAckTimestampMs, endToEndDurationMs, stateSizeBytes, checkpointedSizeBytes, isSavepoint } = c;
  return { id, triggerTimestampMs, latestAckTimestampMs, endToEndDurationMs, stateSizeBytes, checkpointedSizeBytes, isSavepoint };
}

/**
 * The FlinkEngine of a SIMULATED cluster (FluidFlinkCluster): it answers in-process what
 * RestFlinkEngine answers of a real one, with the same errors (a refused connection while no
 * JobManager runs, 404 for an unknown job or vertex). The cluster is found at every call and
 * advanced to the clock's now first, so a cluster gone or relaunched answers, or not, as the real
 * JobManager would. stopWithSavepoint sleeps the savepoint's time on the clock.
 */
export class FluidFlinkEngine implements FlinkEngine {
  constructor(
    readonly restUrl: string,
    protected readonly clock: Clock,
    private readonly lookup: () => FluidFlinkCluster | undefined,
  ) {}

  /** The live cluster advanced to now, or throws as a refused connection would. `method` and `args` name the call (for recorders). */
  protected live(_method: string, _args: unknown[], http: string): FluidFlinkCluster {
    const m = this.lookup();
    m?.advanceTo(this.clock.now());
    if (!m || !m.jobManagerUp) throw this.refused(http);
    return m;
  }

  protected refused(http: string): KhaosError {
    return new KhaosError('platform', `Flink REST ${http} ${this.restUrl} failed: fetch failed (connect ECONNREFUSED)`, 'is the JobManager running? `khaos stack status`');
  }

  private jobOf(m: FluidFlinkCluster, jobId: string): ShownJob {
    if (m.job.id !== jobId) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId} answered 404: {"errors":["Job ${jobId} not found"]}`);
    return m.job;
  }

  private vertexOf(m: FluidFlinkCluster, jobId: string, vertexId: string) {
    const v = m.o.job.vertices.find((x) => x.id === vertexId);
    if (!v) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/vertices/${vertexId} answered 404: {"errors":["No vertex with ID '${vertexId}' exists."]}`);
    return v;
  }

  async isReachable(): Promise<boolean> {
    try {
      this.live('isReachable', [], 'GET /overview');
      return true;
    } catch {
      return false;
    }
  }

  async listJobs(): Promise<JobSummary[]> {
    const m = this.live('listJobs', [], 'GET /jobs/overview');
    return [{ id: m.job.id, name: m.o.job.name, state: m.job.state, startTimeMs: m.job.startTimeMs }];
  }

  async job(jobId: string): Promise<JobDetails> {
    const m = this.live('job', [jobId], `GET /jobs/${jobId}`);
    const j = this.jobOf(m, jobId);
    const status = m.taskStatus();
    return {
      id: j.id,
      name: m.o.job.name,
      state: j.state,
      startTimeMs: j.startTimeMs,
      timestamps: { ...j.timestamps },
      vertices: m.o.job.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: m.parallelism, status })),
    };
  }

  async subtasks(jobId: string, vertexId: string): Promise<SubtaskLocation[]> {
    const m = this.live('subtasks', [jobId, vertexId], `GET /jobs/${jobId}/vertices/${vertexId}`);
    const j = this.jobOf(m, jobId);
    this.vertexOf(m, jobId, vertexId);
    const status = m.taskStatus();
    const where = m.placement ?? (j.state === 'RESTARTING' ? m.preferred : []);
    return Array.from({ length: m.parallelism }, (_, i) => ({ subtask: i, status, taskManagerId: where[i] ?? '(unassigned)', attempt: m.fluid.numRestarts }));
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const m = this.live('checkpoints', [jobId], `GET /jobs/${jobId}/checkpoints`);
    const j = this.jobOf(m, jobId);
    const { completed: done, failed, restored, inProgress } = m.checkpointCounts();
    let latest: ShownCheckpoint | undefined;
    for (let i = j.completed.length - 1; i >= 0 && !latest; i--) if (!j.completed[i]!.isSavepoint) latest = j.completed[i];
    return {
      counts: { completed: done, failed, restored, inProgress, total: done + failed + inProgress },
      latestCompleted: latest ? completed(latest) : undefined,
      latestRestored: j.latestRestored ? { ...j.latestRestored } : undefined,
    };
  }

  async checkpointConfig(jobId: string): Promise<CheckpointConfig> {
    const m = this.live('checkpointConfig', [jobId], `GET /jobs/${jobId}/checkpoints/config`);
    const j = this.jobOf(m, jobId);
    return { intervalMs: j.intervalMs, timeoutMs: CHECKPOINT_TIMEOUT_MS, minPauseMs: 0, mode: 'exactly_once', tolerableFailures: m.o.tolerableFailures };
  }

  async exceptions(jobId: string): Promise<JobException[]> {
    const m = this.live('exceptions', [jobId], `GET /jobs/${jobId}/exceptions`);
    return this.jobOf(m, jobId).exceptions.map((e) => ({ ...e }));
  }

  async taskManagers(): Promise<TaskManagerInfo[]> {
    const m = this.live('taskManagers', [], 'GET /taskmanagers');
    const used = new Set(m.placement ?? []);
    return m.tms.filter((tm) => m.registered(tm)).map((tm) => ({ id: tm.id, slots: 1, freeSlots: used.has(tm.id) ? 0 : 1 }));
  }

  async vertexMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    const m = this.live('vertexMetricNames', [jobId, vertexId], `GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`);
    this.jobOf(m, jobId);
    const v = this.vertexOf(m, jobId, vertexId);
    return m.reportsMetrics() ? Object.keys(m.metricValues(v.role)) : [];
  }

  async vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, AggregatedMetric>> {
    const m = this.live('vertexMetrics', [jobId, vertexId, names], `GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`);
    this.jobOf(m, jobId);
    const v = this.vertexOf(m, jobId, vertexId);
    if (!m.reportsMetrics()) return {};
    const values = m.metricValues(v.role);
    const out: Record<string, AggregatedMetric> = {};
    for (const n of names) {
      const x = values[n];
      if (x !== undefined) out[n] = { min: x, max: x, avg: x, sum: x * m.parallelism };
    }
    return out;
  }

  async jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>> {
    const m = this.live('jobMetrics', [jobId, names], `GET /jobs/${jobId}/metrics`);
    const j = this.jobOf(m, jobId);
    const last = j.completed.at(-1);
    const { completed: done, failed, inProgress } = m.checkpointCounts();
    const all: Record<string, number> = {
      numRestarts: m.fluid.numRestarts,
      lastCheckpointDuration: last?.endToEndDurationMs ?? -1,
      lastCheckpointSize: last?.stateSizeBytes ?? -1,
      numberOfCompletedCheckpoints: done,
      numberOfFailedCheckpoints: failed,
      numberOfInProgressCheckpoints: inProgress,
      totalNumberOfCheckpoints: done + failed + inProgress,
    };
    return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!]));
  }

  /**
   * Sleeps the savepoint time on the clock (sources stop at the trigger). Fails like Flink while
   * any task is not running, and after `timeoutMs` when the savepoint takes longer (it is then
   * abandoned and the job runs on).
   */
  async stopWithSavepoint(jobId: string, targetDirectory: string, timeoutMs: number): Promise<string> {
    const m = this.live('stopWithSavepoint', [jobId, targetDirectory, timeoutMs], `POST /jobs/${jobId}/stop`);
    this.jobOf(m, jobId);
    if (!processing(m.fluid) || this.refusesSavepoint()) throw notBeingExecuted(jobId, `${m.o.job.vertices.find((v) => v.role === 'sink')!.name} (1/${m.parallelism})`);
    const { path, completesAtMs } = m.startStop(targetDirectory);
    const savepointMs = completesAtMs - m.nowMs;
    await this.clock.sleep(Math.min(savepointMs, timeoutMs));
    m.advanceTo(this.clock.now());
    if (m.savepoints.some((sp) => sp.externalPath === path)) return path;
    if (savepointMs > timeoutMs) {
      m.abortStop();
      throw new KhaosError('timeout', `stop-with-savepoint of job ${jobId} did not complete within ${timeoutMs} ms`, 'check checkpoint durations: a savepoint needs an aligned snapshot');
    }
    throw new KhaosError('platform', `stop-with-savepoint of job ${jobId} failed: the job failed while the savepoint was taken`, 'the job keeps running; see the JobManager log');
  }

  /** Whether this stop-with-savepoint fails as if a task were not running (a switch of the test fake). */
  protected refusesSavepoint(): boolean {
    return false;
  }

  async cancel(jobId: string): Promise<void> {
    const m = this.live('cancel', [jobId], `PATCH /jobs/${jobId}`);
    this.jobOf(m, jobId);
    m.cancel();
  }

  async triggerCheckpoint(jobId: string): Promise<string> {
    const m = this.live('triggerCheckpoint', [jobId], `POST /jobs/${jobId}/checkpoints`);
    this.jobOf(m, jobId);
    return m.triggerCheckpoint();
  }

  async checkpointTriggerStatus(jobId: string, triggerId: string): Promise<CheckpointTriggerStatus> {
    const m = this.live('checkpointTriggerStatus', [jobId, triggerId], `GET /jobs/${jobId}/checkpoints/${triggerId}`);
    this.jobOf(m, jobId);
    const t = m.trigger(triggerId);
    if (!t) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/checkpoints/${triggerId} answered 404: {"errors":["Operation not found under key"]}`);
    if (t.failure) return { state: 'FAILED', cause: t.failure };
    return t.completed ? { state: 'COMPLETED', checkpointId: t.checkpointId! } : { state: 'IN_PROGRESS' };
  }
}
