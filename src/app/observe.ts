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
  private metricIds?: { lag?: string; rate: string };

  constructor(
    private readonly flink: FlinkEngine,
    private readonly clock: Clock,
    private readonly sourceFragment = 'kafka-source',
  ) {}

  async sample(): Promise<JobSample> {
    const tMs = this.clock.now();
    try {
      const job = (await this.flink.listJobs()).find((j) => !['FINISHED', 'CANCELED'].includes(j.state));
      if (!job) return { tMs, state: 'UNREACHABLE' };
      if (job.state !== 'RUNNING') return { tMs, state: job.state };
      const source = vertexNamed((await this.flink.job(job.id)).vertices, this.sourceFragment);
      if (!source) return { tMs, state: job.state };
      if (!this.metricIds?.lag) {
        const names = await this.flink.vertexMetricNames(job.id, source.id);
        const lag = names.find((n) => n.endsWith('.pendingRecords'));
        // The source operator's own output rate (the vertex-level one counts the chain's last operator).
        this.metricIds = { lag, rate: lag ? lag.replace(/pendingRecords$/, 'numRecordsOutPerSecond') : 'numRecordsOutPerSecond' };
      }
      const ids = [this.metricIds.rate, ...(this.metricIds.lag ? [this.metricIds.lag] : [])];
      const m = await this.flink.vertexMetrics(job.id, source.id, ids);
      return { tMs, state: job.state, lag: this.metricIds.lag ? m[this.metricIds.lag]?.sum : undefined, inputEps: m[this.metricIds.rate]?.sum };
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
