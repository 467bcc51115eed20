import { badInput } from '../../core/errors.js';
import type { JobDescriptor } from '../../core/jobs.js';
import { OutputLatencyLog } from '../../core/profiling/output-latency.js';
import type { MessageBus } from '../../ports/message-bus.js';

/**
 * How a control session observes the job's p99 latency: a Flink gauge (`declared`: the job's
 * job.latency metric:<name>, refused when the job lacks it; else control.latencyMetric, only
 * warned about), the job's committed output (job.latency output-timestamp), or not at all.
 */
export type ControlLatency =
  | { kind: 'gauge'; metric: string; declared: boolean }
  | { kind: 'output'; topic: string; field?: string }
  | { kind: 'none' };

/** Where a session reads the committed output from: the Kafka the job writes to. */
export type OutputFollower = Pick<MessageBus, 'tailCommitted'>;

/**
 * The way a control run observes the latency of `job`, as it declares it (job.latency).
 * `outputTopic`: the topic the job writes, when known; an output-timestamp job without it is
 * refused with `fix`.
 */
export function controlLatency(job: Pick<JobDescriptor, 'latency' | 'controlLatencyGauge'>, latencyMetric: string, outputTopic: string | undefined, fix: string): ControlLatency {
  if (job.controlLatencyGauge) return { kind: 'gauge', metric: latencyMetric, declared: false };
  if (job.latency.kind === 'metric') return { kind: 'gauge', metric: job.latency.name, declared: true };
  if (job.latency.kind === 'none') return { kind: 'none' };
  if (outputTopic === undefined) throw badInput("job.latency is output-timestamp: a control run observes the job's latency from its committed output records, and does not know the topic the job writes them to", fix);
  return { kind: 'output', topic: outputTopic, ...(job.latency.field === undefined ? {} : { field: job.latency.field }) };
}

/** A latency observation once started: the sampler's latency (undefined: read the gauge), what was seen, and how to stop. */
export interface LatencyFollower {
  /** A sample's p99 at `tMs`; undefined for a gauge (the sampler reads it). */
  latencyAt?: (tMs: number) => number | undefined;
  /** Committed output records seen since the start (output only). */
  seen(): number;
  /** How the latency is observed, for the start line. */
  says: string;
  close(): Promise<void>;
}

/**
 * Starts observing. From committed output, a sample's latency is the p99 of the records a
 * read_committed consumer saw over the last `spanMs()` (the current interval + 2 s: a profile's
 * baseline covers as much, so at least one commit falls in it), each against its reference time;
 * the controller takes the mean of those over its window, as it does with a gauge.
 */
export async function followLatency(l: ControlLatency, bus: OutputFollower | undefined, spanMs: () => number, maxSpanMs: number): Promise<LatencyFollower> {
  if (l.kind === 'gauge') return { seen: () => 0, says: `latency from the gauge ending in "${l.metric}" (${l.declared ? 'job.latency' : 'control.latencyMetric'})`, close: async () => undefined };
  if (l.kind === 'none')
    return { latencyAt: () => undefined, seen: () => 0, says: 'job.latency is none: no latency is observed, so the latency target is not checked (khaos and khaos+ keep the interval without a latency; a static or young-daly policy needs none)', close: async () => undefined };
  if (!bus) throw new Error(`no Kafka to follow ${l.topic} on`);
  // Only the longest span is ever read: a log kept for 15 min (the profiler's default) would hold
  // millions of records of a fast job, and each tick's p99 would scan them all.
  const log = new OutputLatencyLog(maxSpanMs, l.field);
  let received = 0;
  const tail = await bus.tailCommitted(l.topic, (value, seenAtMs, timestampMs) => {
    received++;
    log.add(value, seenAtMs, timestampMs);
  });
  return {
    latencyAt: (tMs) => log.p99(tMs - spanMs(), tMs + 1) ?? undefined,
    seen: () => received - log.unreadable,
    says: `latency from the committed output of topic ${l.topic} (job.latency output-timestamp): each record's ${l.field ? `"${l.field}"` : 'Kafka timestamp'} to when a read_committed consumer saw it, p99 over the last interval + 2 s at each tick`,
    close: () => tail.close(),
  };
}
