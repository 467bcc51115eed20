import type { JobDescriptor } from '../../core/jobs.js';
import type { JobKind } from '../../core/load/events.js';

/** What a vertex of a sample job does, which decides the metrics it reports. */
export type VertexRole = 'source' | 'sink' | 'audit';

/** A sample job as Flink's REST API names it: its name and its chained vertices. */
export interface SampleJob {
  name: string;
  vertices: { role: VertexRole; id: string; name: string }[];
}

/** Vertex names and ids as the sample jobs chain them (ids of the iot job as recorded in test/fixtures/flink-2.2.1). */
export const SAMPLE_JOBS: Record<JobKind, SampleJob> = {
  iot: {
    name: 'khaos-iot-vehicles',
    vertices: [
      { role: 'source', id: 'e5a72f353fc1e6bbf3bd96a41384998c', name: 'Source: kafka-source -> parse -> area-filter' },
      { role: 'sink', id: '41eb0513d1ea10154d8a9802a0a9cf10', name: 'speed-window -> speeders -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: 'b676783076363a44e25ad3d5e735255f', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
  ysb: {
    name: 'khaos-ysb-advertising',
    vertices: [
      { role: 'source', id: '6d2677a0ecc3fd8df0b72ec675edf8f4', name: 'Source: kafka-source -> parse -> view-filter -> project -> campaign-join' },
      { role: 'sink', id: '3ce5bf1b5b6d0b3a4c4a0b2e3f0f8a11', name: 'campaign-window -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: '9a1f0c4b2d7e4e38b1c0f5d6a7e8b9c0', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
  dedup: {
    name: 'khaos-dedup',
    vertices: [
      { role: 'source', id: '2b8e61d0c4f94a7d9e3c5a1f0b6d8e42', name: 'Source: kafka-source -> parse' },
      { role: 'sink', id: '7c3d92e1a5b04f6e8d2c4b3a1f0e9d53', name: 'dedup -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: '5e4fa3b2c1d04e7f9a8b6c5d4e3f2a64', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
};

/**
 * The job a simulated replica runs: a sample job as it is, an own job shaped like the iot job
 * (a Kafka source, a sink, an audit branch), named after its entry class.
 */
export function simulatedJob(job: Pick<JobDescriptor, 'name' | 'entryClass'>): SampleJob {
  return job.name === 'custom' ? { ...SAMPLE_JOBS.iot, name: job.entryClass } : SAMPLE_JOBS[job.name];
}

/** Operator metric ids as Flink names them (operator name, spaces → `_`, then the metric). */
export const METRIC = {
  pendingRecords: 'Source__kafka-source.pendingRecords',
  sourceOut: 'Source__kafka-source.numRecordsOut',
  sourceOutRate: 'Source__kafka-source.numRecordsOutPerSecond',
  sourceIn: 'Source__kafka-source.numRecordsIn',
  sourceInRate: 'Source__kafka-source.numRecordsInPerSecond',
  /** Reported by a KafkaSource's consumer only when it has a consumer group (its group coordinator's metric). */
  sourceGroupCommits: 'Source__kafka-source.KafkaSourceReader.KafkaConsumer.commit-total',
  /** Offset commits the KafkaSource made on completed checkpoints (reported with or without a group; 0 without). */
  sourceCommitsSucceeded: 'Source__kafka-source.KafkaSourceReader.commitsSucceeded',
  /** Time the Kafka sink's producer spent initialising transactions: above 0 for an exactly-once sink. */
  sinkTxnInitNs: 'kafka-sink__Writer.KafkaProducer.txn-init-time-ns-total',
  latencyP99: 'latency.e2eLatencyP99Ms',
  latencyP50: 'latency.e2eLatencyP50Ms',
  latencyMean: 'latency.e2eLatencyMeanMs',
} as const;

/** Exception classes Flink records in its exception history (test/fixtures/flink-2.2.1/exceptions.json). */
export const EXCEPTION = {
  /** A peer whose network connection to a killed TaskManager broke. */
  kill: 'org.apache.flink.runtime.io.network.netty.exception.RemoteTransportException',
  /** A TaskManager lost by the heartbeat timeout (frozen, or killed without peers). */
  heartbeat: 'java.util.concurrent.TimeoutException',
  /**
   * The parse operator's InjectedTaskFailure: the Kafka source's record emitter runs the chained
   * operators and wraps what they throw ("Failed to deserialize consumer record due to"), as seen
   * on the real stack.
   */
  task: 'java.io.IOException',
} as const;

/** Deterministic 32-hex ids (FNV-1a), so runs repeat exactly. */
export function hex32(seed: string): string {
  let out = '';
  for (let i = 0; out.length < 32; i++) {
    let h = 0x811c9dc5;
    for (const c of `${seed}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 32);
}
