import { KhaosError } from '../core/errors.js';
import type { JobSample } from '../core/profiling/recovery.js';
import type { Clock } from '../ports/clock.js';
import type { FlinkEngine, VertexInfo } from '../ports/flink-engine.js';

/** Finds vertices by a fragment of their name (Flink names chained vertices "a -> b -> c"). */
export function vertexNamed(vertices: VertexInfo[], fragment: string): VertexInfo | undefined {
  return vertices.find((v) => v.name.includes(fragment));
}

/** The vertex the sampler reads the input from: named like `fragment`, else (an own job may name its source otherwise) the first vertex Flink names "Source: …". */
export const sourceVertexOf = (vertices: VertexInfo[], fragment: string): VertexInfo | undefined => vertexNamed(vertices, fragment) ?? vertices.find((v) => v.name.startsWith('Source: '));

/**
 * Samples a replica's job once: state, input lag (source pendingRecords summed over subtasks)
 * and input rate. "Not ready" is a sample, not an error: an unreachable JobManager or an
 * unreported metric leaves the field empty.
 */
export interface SamplerOptions {
  /** Fragment of the source vertex's name (default `kafka-source`). */
  sourceVertex: string;
  /** Suffix of the p99 latency metric's name on any vertex (default `e2eLatencyP99Ms`, the sample jobs' gauge). */
  latencyMetric: string;
  /** Also read the job's numRestarts and lastCheckpointDuration (one more REST call). */
  jobMetrics: boolean;
  /** When set, a sample's p99 latency at `tMs` comes from here (the job's committed output, or none), and no gauge is looked for. */
  latency?: (tMs: number) => number | undefined;
}

export class JobSampler {
  private ids?: { source: string; lag?: string; count: string; sink?: string; latency?: string };
  private last?: { tMs: number; count: number };
  private discoveredAtMs = 0;
  private readonly o: SamplerOptions;

  constructor(
    private readonly flink: FlinkEngine,
    private readonly clock: Clock,
    options: Partial<SamplerOptions> = {},
  ) {
    this.o = { sourceVertex: 'kafka-source', latencyMetric: 'e2eLatencyP99Ms', jobMetrics: false, ...options };
  }

  /** What the sampler found to read, once it found it (for messages: which metrics, or none). */
  get metrics(): { lag?: string; count?: string; latency?: string } | undefined {
    return this.ids && { lag: this.ids.lag, count: this.ids.count, latency: this.ids.latency };
  }

  /** Metric ids by suffix: operator metrics carry the operator's name as a prefix. */
  private async discover(jobId: string, vertices: VertexInfo[]) {
    const source = sourceVertexOf(vertices, this.o.sourceVertex);
    if (!source) return undefined;
    const sourceNames = await this.flink.vertexMetricNames(jobId, source.id);
    const lag = sourceNames.find((n) => n.endsWith('.pendingRecords'));
    let sink: VertexInfo | undefined;
    let latency: string | undefined;
    if (!this.o.latency)
      for (const v of vertices) {
        latency = (await this.flink.vertexMetricNames(jobId, v.id)).find((n) => n.endsWith(this.o.latencyMetric));
        if (latency) {
          sink = v;
          break;
        }
      }
    // Throughput from the source operator's record counter: Flink's own …PerSecond meters average
    // over 60 s, far too slow to see a failure; the vertex-level counter counts the chain's end.
    return { source: source.id, lag, count: lag ? lag.replace(/pendingRecords$/, 'numRecordsOut') : 'numRecordsOut', sink: sink?.id, latency };
  }

  async sample(): Promise<JobSample> {
    const tMs = this.clock.now();
    try {
      const jobs = await this.flink.listJobs();
      // The live job; when none, the newest ended one, so that a cancel or a finish is seen as such.
      const job = jobs.find((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state)) ?? [...jobs].sort((a, b) => b.startTimeMs - a.startTimeMs)[0];
      if (!job || job.state !== 'RUNNING') {
        this.last = undefined;
        return { tMs, state: job?.state ?? 'UNREACHABLE', jobId: job?.id };
      }
      // RUNNING counts only once every task runs: a job is RUNNING while its tasks still deploy.
      const vertices = (await this.flink.job(job.id)).vertices;
      if (!vertices.every((v) => v.status === 'RUNNING')) {
        this.last = undefined;
        return { tMs, state: 'INITIALIZING', jobId: job.id };
      }
      // Metrics appear some seconds after a (re)start: look again until both are found.
      // (at most every 10 s once something was found: a job without a latency metric never will be)
      if (!this.ids || ((!this.ids.lag || (!this.ids.latency && !this.o.latency)) && tMs - this.discoveredAtMs >= 10_000)) {
        this.ids = (await this.discover(job.id, vertices)) ?? this.ids;
        this.discoveredAtMs = tMs;
      }
      const ids = this.ids;
      if (!ids) return { tMs, state: job.state };
      const [m, l, jm] = await Promise.all([
        this.flink.vertexMetrics(job.id, ids.source, [ids.count, ...(ids.lag ? [ids.lag] : [])]),
        ids.sink && ids.latency ? this.flink.vertexMetrics(job.id, ids.sink, [ids.latency]) : Promise.resolve(undefined),
        this.o.jobMetrics ? this.flink.jobMetrics(job.id, ['numRestarts', 'lastCheckpointDuration']) : Promise.resolve(undefined),
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
        processed: count,
        latencyP99Ms: this.o.latency ? this.o.latency(tMs) : ids.latency ? l?.[ids.latency]?.max : undefined,
        jobId: job.id,
        restarts: jm?.numRestarts,
        lastCheckpointMs: jm?.lastCheckpointDuration !== undefined && jm.lastCheckpointDuration >= 0 ? jm.lastCheckpointDuration : undefined,
      };
    } catch {
      return { tMs, state: 'UNREACHABLE' };
    }
  }
}

/**
 * The TaskManager running subtask 0 of the vertex whose name contains `fragment` (default: the
 * sample jobs' sink); without one (an own job's names), the job's last vertex, a sink.
 */
export async function taskManagerRunning(flink: FlinkEngine, fragment = 'kafka-sink'): Promise<{ jobId: string; vertex: string; taskManagerId: string }> {
  const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
  if (!job) throw new KhaosError('platform', 'no RUNNING job to inject a failure into', 'wait until the job runs');
  const vertices = (await flink.job(job.id)).vertices;
  const v = vertexNamed(vertices, fragment) ?? (fragment === 'kafka-sink' ? vertices.at(-1) : undefined);
  if (!v) throw new KhaosError('bad-input', `no vertex named like "${fragment}"`);
  const [first] = await flink.subtasks(job.id, v.id);
  if (!first) throw new KhaosError('platform', `vertex ${v.name} has no subtasks`);
  return { jobId: job.id, vertex: v.name, taskManagerId: first.taskManagerId };
}

/** Why the latency metric `suffix` is missing from the running job, naming the operator metrics it has; undefined when found or not yet known. */
export async function latencyMetricMissing(flink: FlinkEngine, sampler: JobSampler, suffix: string): Promise<string | undefined> {
  if (!sampler.metrics || sampler.metrics.latency !== undefined) return undefined;
  const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
  if (!job) return undefined;
  const names = new Set<string>();
  for (const v of (await flink.job(job.id)).vertices) for (const n of await flink.vertexMetricNames(job.id, v.id)) names.add(n.replace(/^\d+\./, '')); // per subtask: 0.<metric>
  const shown = [...names].sort().slice(0, 40);
  return `no metric ending in "${suffix}" on any vertex of the job; it has ${shown.join(', ')}${names.size > shown.length ? `, … (${names.size} in all)` : ''}`;
}
