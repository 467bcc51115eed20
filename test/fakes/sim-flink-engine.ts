import { KhaosError } from '../../src/core/errors.js';
import { injectFailure, requestCheckpoint } from '../../src/core/sim/fluid-commands.js';
import type { FailureType, FluidParams } from '../../src/core/sim/fluid-params.js';
import { backlog, createFluidJob, latencyP99Ms, newStepTotals, type FluidEvent, type FluidState, type StepTotals } from '../../src/core/sim/fluid-state.js';
import { step } from '../../src/core/sim/fluid.js';
import type { Clock } from '../../src/ports/clock.js';
import type {
  AggregatedMetric,
  CheckpointConfig,
  CheckpointStats,
  CheckpointTriggerStatus,
  CompletedCheckpoint,
  FlinkEngine,
  JobDetails,
  JobState,
  JobSummary,
  RestoredCheckpoint,
} from '../../src/ports/flink-engine.js';

export interface SimFlinkEngineOptions {
  params: FluidParams;
  /** Input rate per simulated second from the start, ev/s; the last value holds after the end. */
  rateEps: readonly number[];
  /** The job's own (fallback) checkpoint interval, ms: Flink's periodic checkpoints (paced control keeps it long). */
  fallbackIntervalMs: number;
  /** Suffix of the latency gauge (control.latencyMetric, default e2eLatencyP99Ms). */
  latencyMetric?: string;
  /** Distinguishes the job ids and REST url of several engines. */
  name?: string;
  /** execution.checkpointing.tolerable-failed-checkpoints reported by checkpointConfig (default 3). */
  tolerableFailures?: number;
}

/** Vertex ids and names as the iot sample job chains them (the sampler finds them by name). */
const SOURCE = { id: 'e5a72f353fc1e6bbf3bd96a41384998c', name: 'Source: kafka-source -> parse -> area-filter' };
const SINK = { id: '41eb0513d1ea10154d8a9802a0a9cf10', name: 'speed-window -> speeders -> latency -> kafka-sink: Writer -> kafka-sink: Committer' };
const PENDING = 'Source__kafka-source.pendingRecords';
const RECORDS_OUT = 'Source__kafka-source.numRecordsOut';

/**
 * A FlinkEngine over one SIMULATED fluid job (src/core/sim/fluid.ts), for benches and tests of the
 * controller: it answers in-process (no REST latency) what RestFlinkEngine answers, for exactly the
 * calls the controller's sampler and the paced actuator make — listJobs, job, vertexMetricNames,
 * vertexMetrics, jobMetrics, checkpoints, checkpointConfig, triggerCheckpoint,
 * checkpointTriggerStatus. Every other call throws "not simulated". The job runs Flink's own
 * periodic checkpoints at the fallback interval; REST triggers are checkpoints on demand. The
 * fluid job is advanced lazily to the clock's now on every call, one simulated second at a time
 * with that second's input rate. Parallelism 1: aggregated metrics are the job's values.
 */
export class SimFlinkEngine implements FlinkEngine {
  readonly restUrl: string;
  readonly job$: FluidState;
  private readonly o: Required<SimFlinkEngineOptions>;
  private readonly startMs: number;
  private readonly jobId: string;
  private lastSecond: StepTotals = newStepTotals();
  private deployments = 1;
  private recordsOutBase = 0;
  private latest?: CompletedCheckpoint;
  private restoredFrom?: RestoredCheckpoint;
  private readonly triggers = new Map<string, { checkpointId?: number; status?: CheckpointTriggerStatus }>();
  private pendingTriggers: string[] = [];
  private triggerCount = 0;
  private runningSinceMs: number;
  private readonly onEvent = (e: FluidEvent) => this.event(e);
  /** Trigger times of Flink's own periodic (fallback) checkpoints, ms: a REST trigger then waits for them (max one in flight). */
  readonly fallbackTriggersMs: number[] = [];
  /** Wall time spent advancing the simulation, ms (benches subtract it from the controller's). */
  simWallMs = 0;

  constructor(
    private readonly clock: Clock,
    options: SimFlinkEngineOptions,
  ) {
    this.o = { latencyMetric: 'e2eLatencyP99Ms', name: 'sim', tolerableFailures: 3, ...options };
    this.startMs = clock.now();
    this.runningSinceMs = this.startMs;
    this.restUrl = `sim://${this.o.name}`;
    this.jobId = `${this.o.name}-job`.padEnd(32, '0').slice(0, 32);
    this.job$ = createFluidJob(this.o.params, { actuator: 'restart', intervalMs: this.o.fallbackIntervalMs, atMs: this.startMs });
  }

  /** A failure of the simulated job now (kill, freeze or task exception). */
  fail(type: FailureType, freezeMs?: number): void {
    this.advance();
    injectFailure(this.job$, type, freezeMs, this.onEvent);
  }

  private rateAt(tMs: number): number {
    const r = this.o.rateEps;
    return r.length === 0 ? 0 : r[Math.min(r.length - 1, Math.max(0, Math.floor((tMs - this.startMs) / 1000)))]!;
  }

  /** Steps the fluid job to the clock's now, one input second at a time. */
  private advance(): void {
    const now = this.clock.now();
    const s = this.job$;
    if (s.tMs >= now) return;
    const t0 = performance.now();
    while (s.tMs < now) {
      const second = this.startMs + Math.floor((s.tMs - this.startMs) / 1000) * 1000;
      const end = Math.min(now, second + 1000);
      // The latency gauge reports over the current second (a partial one continues its totals).
      if (s.tMs === second) this.lastSecond = newStepTotals();
      step(s, end - s.tMs, this.rateAt(s.tMs), this.lastSecond, this.onEvent);
    }
    if (s.counters.deployments !== this.deployments) {
      this.deployments = s.counters.deployments;
      this.recordsOutBase = s.processedTotal;
    }
    this.simWallMs += performance.now() - t0;
  }

  private event(e: FluidEvent): void {
    switch (e.kind) {
      case 'checkpoint-triggered':
        if (this.pendingTriggers.length === 0) this.fallbackTriggersMs.push(e.atMs);
        for (const id of this.pendingTriggers) {
          const t = this.triggers.get(id);
          if (t) t.checkpointId = e.id;
        }
        this.pendingTriggers = [];
        break;
      case 'checkpoint-completed': {
        const c = e.checkpoint;
        this.latest = { id: c.id, triggerTimestampMs: c.triggeredAtMs, latestAckTimestampMs: c.completedAtMs, endToEndDurationMs: c.completedAtMs - c.triggeredAtMs, stateSizeBytes: c.stateBytes, checkpointedSizeBytes: c.stateBytes, isSavepoint: false };
        for (const t of this.triggers.values()) if (t.checkpointId === c.id) t.status = { state: 'COMPLETED', checkpointId: c.id };
        break;
      }
      case 'checkpoint-aborted':
        for (const t of this.triggers.values()) if (t.checkpointId === e.id) t.status = { state: 'FAILED', cause: `Checkpoint ${e.id} aborted: ${e.why}` };
        break;
      case 'detected':
        // A trigger not yet started dies with the job.
        for (const id of this.pendingTriggers) {
          const t = this.triggers.get(id);
          if (t) t.status = { state: 'FAILED', cause: 'the job failed before the checkpoint was triggered' };
        }
        this.pendingTriggers = [];
        this.job$.checkpointRequested = false;
        break;
      case 'restore-started':
        if (e.from) this.restoredFrom = { id: e.from.id, restoreTimestampMs: e.atMs, isSavepoint: e.from.savepoint };
        break;
      case 'running':
        this.runningSinceMs = e.atMs;
        break;
      default:
        break;
    }
  }

  private unreachable(http: string): never {
    throw new KhaosError('platform', `Flink REST ${http} ${this.restUrl} failed: fetch failed (connect ECONNREFUSED)`, 'is the JobManager running? `khaos stack status`');
  }

  /** Advances, then checks the job id as Flink would (404 for an unknown job). */
  private live(http: string, jobId?: string): FluidState {
    this.advance();
    const s = this.job$;
    if (s.phase === 'stopped' || s.phase === 'relaunching') this.unreachable(http);
    if (jobId !== undefined && jobId !== this.jobId) throw new KhaosError('platform', `Flink REST ${http} answered 404: {"errors":["Job ${jobId} not found"]}`);
    return s;
  }

  /** Flink's job state: RUNNING while tasks deploy or restore (the vertices say so), RESTARTING after detection. */
  private state(s: FluidState): JobState {
    return s.phase === 'restarting' ? 'RESTARTING' : 'RUNNING';
  }

  private vertexStatus(s: FluidState): string {
    return s.phase === 'restarting' ? 'CANCELING' : s.phase === 'restoring' ? 'INITIALIZING' : 'RUNNING';
  }

  /** Metrics are reported while every task runs (a restored task reports again). */
  private reports(s: FluidState): boolean {
    return this.vertexStatus(s) === 'RUNNING';
  }

  async isReachable(): Promise<boolean> {
    try {
      this.live('GET /overview');
      return true;
    } catch {
      return false;
    }
  }

  async listJobs(): Promise<JobSummary[]> {
    const s = this.live('GET /jobs/overview');
    return [{ id: this.jobId, name: 'khaos-iot-vehicles', state: this.state(s), startTimeMs: this.startMs }];
  }

  async job(jobId: string): Promise<JobDetails> {
    const s = this.live(`GET /jobs/${jobId}`, jobId);
    const status = this.vertexStatus(s);
    return {
      id: this.jobId,
      name: 'khaos-iot-vehicles',
      state: this.state(s),
      startTimeMs: this.startMs,
      timestamps: { CREATED: this.startMs, RUNNING: this.runningSinceMs },
      vertices: [SOURCE, SINK].map((v) => ({ ...v, parallelism: 1, status })),
    };
  }

  async vertexMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    const s = this.live(`GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`, jobId);
    if (!this.reports(s)) return [];
    if (vertexId === SOURCE.id) return [PENDING, RECORDS_OUT, 'numRecordsOut'];
    if (vertexId === SINK.id) return [`latency.${this.o.latencyMetric}`, 'numRecordsIn'];
    throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/vertices/${vertexId} answered 404: {"errors":["No vertex with ID '${vertexId}' exists."]}`);
  }

  async vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, AggregatedMetric>> {
    const s = this.live(`GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`, jobId);
    if (!this.reports(s)) return {};
    const values: Record<string, number> =
      vertexId === SOURCE.id
        ? { [PENDING]: backlog(s), [RECORDS_OUT]: Math.floor(s.processedTotal - this.recordsOutBase), numRecordsOut: Math.floor(s.processedTotal - this.recordsOutBase) }
        : { [`latency.${this.o.latencyMetric}`]: latencyP99Ms(s, this.lastSecond), numRecordsIn: Math.floor(s.processedTotal - this.recordsOutBase) };
    const out: Record<string, AggregatedMetric> = {};
    for (const n of names) {
      const x = values[n];
      if (x !== undefined) out[n] = { min: x, max: x, avg: x, sum: x };
    }
    return out;
  }

  async jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>> {
    const s = this.live(`GET /jobs/${jobId}/metrics`, jobId);
    const all: Record<string, number> = { numRestarts: s.numRestarts, lastCheckpointDuration: this.latest?.endToEndDurationMs ?? -1 };
    return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!]));
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const s = this.live(`GET /jobs/${jobId}/checkpoints`, jobId);
    const inProgress = s.inFlight ? 1 : 0;
    const { checkpointsCompleted: completed, checkpointsFailed: failed, restored } = s.job;
    return {
      counts: { completed, failed, restored, inProgress, total: completed + failed + inProgress },
      latestCompleted: this.latest && { ...this.latest },
      latestRestored: this.restoredFrom && { ...this.restoredFrom },
    };
  }

  async checkpointConfig(jobId: string): Promise<CheckpointConfig> {
    this.live(`GET /jobs/${jobId}/checkpoints/config`, jobId);
    return { intervalMs: this.o.fallbackIntervalMs, timeoutMs: 600_000, minPauseMs: 0, mode: 'exactly_once', tolerableFailures: this.o.tolerableFailures };
  }

  async triggerCheckpoint(jobId: string): Promise<string> {
    const s = this.live(`POST /jobs/${jobId}/checkpoints`, jobId);
    if (this.vertexStatus(s) !== 'RUNNING') {
      throw new KhaosError('platform', `Flink REST POST /jobs/${jobId}/checkpoints answered 500: {"errors":["Checkpoint triggering task ${SOURCE.name} (1/1) of job ${jobId} is not being executed at the moment."]}`);
    }
    const id = `${this.o.name}-trigger-${++this.triggerCount}`;
    this.triggers.set(id, {});
    // Keep the answers of recent triggers only, as Flink's operation cache does.
    if (this.triggers.size > 16) this.triggers.delete(this.triggers.keys().next().value!);
    this.pendingTriggers.push(id);
    requestCheckpoint(s);
    // A trigger fires at once with no checkpoint in flight (a zero step fires what is due now).
    step(s, 0, this.rateAt(s.tMs), newStepTotals(), this.onEvent);
    return id;
  }

  async checkpointTriggerStatus(jobId: string, triggerId: string): Promise<CheckpointTriggerStatus> {
    this.live(`GET /jobs/${jobId}/checkpoints/${triggerId}`, jobId);
    const t = this.triggers.get(triggerId);
    if (!t) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/checkpoints/${triggerId} answered 404: {"errors":["Operation not found under key"]}`);
    return t.status ?? { state: 'IN_PROGRESS' };
  }

  private notSimulated(what: string): never {
    throw new KhaosError('bug', `SimFlinkEngine: ${what} is not simulated (only the calls of the controller's sampler and the paced actuator are)`);
  }

  async subtasks(): Promise<never> {
    return this.notSimulated('subtasks');
  }
  async exceptions(): Promise<never> {
    return this.notSimulated('exceptions');
  }
  async taskManagers(): Promise<never> {
    return this.notSimulated('taskManagers');
  }
  async stopWithSavepoint(): Promise<never> {
    return this.notSimulated('stopWithSavepoint');
  }
  async cancel(): Promise<never> {
    return this.notSimulated('cancel');
  }
}
