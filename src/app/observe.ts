import { KhaosError } from '../core/errors.js';
import type { JobSample } from '../core/recovery.js';
import type { Clock } from '../ports/clock.js';
import type { FlinkEngine, VertexInfo } from '../ports/flink-engine.js';

/** Finds vertices by a fragment of their name (Flink names chained vertices "a -> b -> c"). */
export function vertexNamed(vertices: VertexInfo[], fragment: string): VertexInfo | undefined {
  return vertices.find((v) => v.name.includes(fragment));
}

/**
 * Samples a replica's job once: state, input lag (source pendingRecords summed over subtasks)
 * and input rate. "Not ready" is a sample, not an error: an unreachable JobManager or an
 * unreported metric leaves the field empty.
 */
export class JobSampler {
  private ids?: { source: string; lag?: string; count: string; sink?: string; latency?: string };
  private last?: { tMs: number; count: number };

  constructor(
    private readonly flink: FlinkEngine,
    private readonly clock: Clock,
  ) {}

  /** Metric ids by suffix: operator metrics carry the operator's name as a prefix. */
  private async discover(jobId: string, vertices: VertexInfo[]) {
    const source = vertexNamed(vertices, 'kafka-source');
    if (!source) return undefined;
    const sourceNames = await this.flink.vertexMetricNames(jobId, source.id);
    const lag = sourceNames.find((n) => n.endsWith('.pendingRecords'));
    const sink = vertexNamed(vertices, 'latency');
    const latency = sink ? (await this.flink.vertexMetricNames(jobId, sink.id)).find((n) => n.endsWith('e2eLatencyP99Ms')) : undefined;
    // Throughput from the source operator's record counter: Flink's own …PerSecond meters average
    // over 60 s, far too slow to see a failure; the vertex-level counter counts the chain's end.
    return { source: source.id, lag, count: lag ? lag.replace(/pendingRecords$/, 'numRecordsOut') : 'numRecordsOut', sink: sink?.id, latency };
  }

  async sample(): Promise<JobSample> {
    const tMs = this.clock.now();
    try {
      const job = (await this.flink.listJobs()).find((j) => !['FINISHED', 'CANCELED'].includes(j.state));
      if (!job || job.state !== 'RUNNING') {
        this.last = undefined;
        return { tMs, state: job?.state ?? 'UNREACHABLE' };
      }
      // RUNNING counts only once every task runs: a job is RUNNING while its tasks still deploy.
      const vertices = (await this.flink.job(job.id)).vertices;
      if (!vertices.every((v) => v.status === 'RUNNING')) {
        this.last = undefined;
        return { tMs, state: 'INITIALIZING' };
      }
      // Metrics appear some seconds after a (re)start: look again until both are found.
      if (!this.ids?.lag || !this.ids.latency) this.ids = await this.discover(job.id, vertices);
      const ids = this.ids;
      if (!ids) return { tMs, state: job.state };
      const [m, l] = await Promise.all([
        this.flink.vertexMetrics(job.id, ids.source, [ids.count, ...(ids.lag ? [ids.lag] : [])]),
        ids.sink && ids.latency ? this.flink.vertexMetrics(job.id, ids.sink, [ids.latency]) : Promise.resolve(undefined),
      ]);
      const count = m[ids.count]?.sum;
      const prev = this.last;
      this.last = count === undefined ? undefined : { tMs, count };
      // A counter that went down was reset by a restart: no rate for this second.
      const inputEps = count !== undefined && prev && count >= prev.count && tMs > prev.tMs ? ((count - prev.count) * 1000) / (tMs - prev.tMs) : undefined;
      return {
        tMs,
        state: job.state,
        lag: ids.lag ? m[ids.lag]?.sum : undefined,
        inputEps,
        latencyP99Ms: ids.latency ? l?.[ids.latency]?.max : undefined,
      };
    } catch {
      return { tMs, state: 'UNREACHABLE' };
    }
  }
}

/** The TaskManager running subtask 0 of the vertex whose name contains `fragment` (default: the sink). */
export async function taskManagerRunning(flink: FlinkEngine, fragment = 'kafka-sink'): Promise<{ jobId: string; vertex: string; taskManagerId: string }> {
  const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
  if (!job) throw new KhaosError('platform', 'no RUNNING job to inject a failure into', 'wait until the job runs');
  const v = vertexNamed((await flink.job(job.id)).vertices, fragment);
  if (!v) throw new KhaosError('bad-input', `no vertex named like "${fragment}"`);
  const [first] = await flink.subtasks(job.id, v.id);
  if (!first) throw new KhaosError('platform', `vertex ${v.name} has no subtasks`);
  return { jobId: job.id, vertex: v.name, taskManagerId: first.taskManagerId };
}
