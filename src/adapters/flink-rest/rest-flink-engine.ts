import type { z } from 'zod';
import { KhaosError } from '../../core/errors.js';
import type {
  AggregatedMetric,
  CheckpointConfig,
  CheckpointStats,
  CheckpointTriggerStatus,
  FlinkEngine,
  JobDetails,
  JobException,
  JobState,
  JobSummary,
  SubtaskLocation,
  TaskManagerInfo,
} from '../../ports/flink-engine.js';
import * as s from './schemas.js';

export type Fetch = typeof fetch;

/** FlinkEngine over Flink's REST API. Every answer is validated; failures become KhaosErrors. */
export class RestFlinkEngine implements FlinkEngine {
  constructor(
    readonly restUrl: string,
    private readonly options: { requestTimeoutMs?: number; fetch?: Fetch; pollMs?: number } = {},
  ) {}

  private async call<T extends z.ZodType>(method: string, path: string, schema: T, body?: unknown): Promise<z.infer<T>> {
    const url = `${this.restUrl}${path}`;
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000),
      });
    } catch (e) {
      const timedOut = e instanceof Error && e.name === 'TimeoutError';
      throw new KhaosError(timedOut ? 'timeout' : 'platform', `Flink REST ${method} ${url} ${timedOut ? 'timed out' : 'failed'}: ${(e as Error).message}`, 'is the JobManager running? `khaos stack status`', { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new KhaosError('platform', `Flink REST ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch (e) {
      throw new KhaosError('platform', `Flink REST ${method} ${path} answered non-JSON: ${text.slice(0, 200)}`, undefined, { cause: e });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new KhaosError('platform', `Flink REST ${method} ${path} answered an unexpected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'is this Flink 2.2.x?');
    }
    return parsed.data;
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.call('GET', '/overview', s.clusterOverview);
      return true;
    } catch {
      return false;
    }
  }

  async listJobs(): Promise<JobSummary[]> {
    const r = await this.call('GET', '/jobs/overview', s.jobsOverview);
    return r.jobs.map((j) => ({ id: j.jid, name: j.name, state: j.state, startTimeMs: j['start-time'] }));
  }

  async job(jobId: string): Promise<JobDetails> {
    const r = await this.call('GET', `/jobs/${jobId}`, s.jobDetails);
    return {
      id: r.jid,
      name: r.name,
      state: r.state,
      startTimeMs: r['start-time'],
      timestamps: Object.fromEntries(Object.entries(r.timestamps).filter(([, t]) => t > 0)) as Partial<Record<JobState, number>>,
      vertices: r.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, status: v.status })),
    };
  }

  async subtasks(jobId: string, vertexId: string): Promise<SubtaskLocation[]> {
    const r = await this.call('GET', `/jobs/${jobId}/vertices/${vertexId}`, s.vertexDetails);
    return r.subtasks.map((t) => ({ subtask: t.subtask, status: t.status, taskManagerId: t['taskmanager-id'], attempt: t.attempt }));
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const r = await this.call('GET', `/jobs/${jobId}/checkpoints`, s.checkpoints);
    const c = r.latest.completed;
    const restored = r.latest.restored;
    return {
      counts: { completed: r.counts.completed, failed: r.counts.failed, inProgress: r.counts.in_progress, restored: r.counts.restored, total: r.counts.total },
      latestCompleted: c
        ? {
            id: c.id,
            triggerTimestampMs: c.trigger_timestamp,
            latestAckTimestampMs: c.latest_ack_timestamp,
            endToEndDurationMs: c.end_to_end_duration,
            stateSizeBytes: c.state_size,
            checkpointedSizeBytes: c.checkpointed_size ?? c.state_size,
            isSavepoint: c.is_savepoint,
          }
        : undefined,
      latestRestored: restored
        ? { id: restored.id, restoreTimestampMs: restored.restore_timestamp, isSavepoint: restored.is_savepoint, externalPath: restored.external_path }
        : undefined,
    };
  }

  async checkpointConfig(jobId: string): Promise<CheckpointConfig> {
    const r = await this.call('GET', `/jobs/${jobId}/checkpoints/config`, s.checkpointConfig);
    return { intervalMs: r.interval, timeoutMs: r.timeout, minPauseMs: r.min_pause, mode: r.mode, tolerableFailures: r.tolerable_failed_checkpoints };
  }

  async exceptions(jobId: string): Promise<JobException[]> {
    const r = await this.call('GET', `/jobs/${jobId}/exceptions`, s.exceptions);
    return r.exceptionHistory.entries.map((e) => ({
      timestampMs: e.timestamp,
      exceptionName: e.exceptionName,
      taskName: e.taskName ?? undefined,
      taskManagerId: e.taskManagerId ?? undefined,
    }));
  }

  async taskManagers(): Promise<TaskManagerInfo[]> {
    const r = await this.call('GET', '/taskmanagers', s.taskManagers);
    return r.taskmanagers.map((t) => ({ id: t.id, slots: t.slotsNumber, freeSlots: t.freeSlots }));
  }

  async vertexMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    return (await this.call('GET', `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`, s.metricNames)).map((m) => m.id);
  }

  async vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, AggregatedMetric>> {
    const q = encodeURIComponent(names.join(','));
    const r = await this.call('GET', `/jobs/${jobId}/vertices/${vertexId}/subtasks/metrics?get=${q}&agg=min,max,avg,sum`, s.aggregatedMetrics);
    return Object.fromEntries(r.map(({ id, ...agg }) => [id, agg]));
  }

  async jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>> {
    const r = await this.call('GET', `/jobs/${jobId}/metrics?get=${encodeURIComponent(names.join(','))}`, s.metricValues);
    return Object.fromEntries(r.map((m) => [m.id, Number(m.value)]).filter(([, v]) => Number.isFinite(v)));
  }

  async stopWithSavepoint(jobId: string, targetDirectory: string, timeoutMs: number): Promise<string> {
    const { 'request-id': trigger } = await this.call('POST', `/jobs/${jobId}/stop`, s.triggerResponse, { targetDirectory, drain: false });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.call('GET', `/jobs/${jobId}/savepoints/${trigger}`, s.savepointStatus);
      if (r.status.id === 'COMPLETED') {
        if (r.operation?.location) return r.operation.location;
        const cause = r.operation?.['failure-cause'];
        throw new KhaosError('platform', `stop-with-savepoint of job ${jobId} failed: ${cause?.class ?? ''} ${(cause?.['stack-trace'] ?? '').split('\n')[0]}`, 'the job keeps running; see the JobManager log');
      }
      if (Date.now() > deadline) throw new KhaosError('timeout', `stop-with-savepoint of job ${jobId} did not complete within ${timeoutMs} ms`, 'check checkpoint durations: a savepoint needs an aligned snapshot');
      await new Promise((res) => setTimeout(res, this.options.pollMs ?? 250));
    }
  }

  async cancel(jobId: string): Promise<void> {
    await this.call('PATCH', `/jobs/${jobId}?mode=cancel`, s.triggerResponse.partial());
  }

  async triggerCheckpoint(jobId: string): Promise<string> {
    return (await this.call('POST', `/jobs/${jobId}/checkpoints`, s.triggerResponse, { checkpointType: 'CONFIGURED' }))['request-id'];
  }

  async checkpointTriggerStatus(jobId: string, triggerId: string): Promise<CheckpointTriggerStatus> {
    const r = await this.call('GET', `/jobs/${jobId}/checkpoints/${triggerId}`, s.checkpointTriggerStatus);
    if (r.status.id === 'IN_PROGRESS') return { state: 'IN_PROGRESS' };
    if (r.operation?.checkpointId !== undefined) return { state: 'COMPLETED', checkpointId: r.operation.checkpointId };
    const cause = r.operation?.failureCause ?? r.operation?.['failure-cause'];
    // The first line of the trace carries the reason (e.g. "… Not all required tasks are currently running.").
    return { state: 'FAILED', cause: (cause?.['stack-trace'] ?? '').split('\n')[0] || cause?.class || 'no cause given' };
  }
}
