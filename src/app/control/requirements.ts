import { KhaosError } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { FlinkEngine, VertexInfo } from '../../ports/flink-engine.js';
import { sourceVertexOf, vertexNamed } from '../observe.js';

/**
 * What a job must offer for Khaos to control it (docs/own-job.md, "Requirements"), read from
 * Flink's REST API at the start of `khaos control --attach`: the metrics the job's vertices
 * report say which source and sink they run.
 *
 * - a Kafka source (Flink's KafkaSource reports `KafkaSourceReader.*` metrics) with a consumer
 *   group (its Kafka consumer then has a group coordinator, which reports `commit-total`; without
 *   group.id the KafkaSource commits no offsets);
 * - checkpointing enabled (checked by findControllableJob);
 * - an exactly-once or at-least-once sink: a Kafka sink whose producer is transactional
 *   (`txn-init-time-ns-total` > 0) or a two-phase-commit sink whose committer has committed
 *   (`totalCommittables` > 0) is exactly-once; a non-transactional Kafka sink is at-least-once
 *   when it flushes on checkpoints (`flush-time-ns-total` > 0 once one completed), else it has no
 *   guarantee;
 * - a source vertex (named like control.sourceVertex) whose records counter the sampler reads.
 */
export interface RequirementOptions {
  /** control.sourceVertex: a fragment of the source vertex's name. */
  sourceVertex: string;
  /** How long to wait for the job's tasks to run and report metrics (they appear seconds after a start). */
  waitMs: number;
}

/** What the checks found: the problems (each with its fix) and notes on what could not be told. */
export interface RequirementReport {
  problems: { what: string; fix: string }[];
  notes: string[];
}

interface VertexMetrics {
  vertex: VertexInfo;
  names: string[];
}

/** The names and sum over subtasks of the metrics of `v` ending in `suffix`. */
async function sumOf(flink: FlinkEngine, jobId: string, v: VertexMetrics, suffix: string): Promise<number | undefined> {
  const names = v.names.filter((n) => n.endsWith(suffix));
  if (names.length === 0) return undefined;
  const values = await flink.vertexMetrics(jobId, v.vertex.id, names);
  return names.reduce((s, n) => s + (values[n]?.sum ?? 0), 0);
}

/** Every vertex of the running job with the names of the metrics it reports; waits (up to waitMs) until all tasks run and each vertex reports some. */
async function vertexMetrics(flink: FlinkEngine, clock: Clock, jobId: string, waitMs: number): Promise<VertexMetrics[]> {
  const deadline = clock.now() + waitMs;
  for (;;) {
    const job = await flink.job(jobId);
    const running = job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING');
    const all = running ? await Promise.all(job.vertices.map(async (vertex) => ({ vertex, names: await flink.vertexMetricNames(jobId, vertex.id) }))) : [];
    if (running && all.every((v) => v.names.length > 0)) return all;
    if (clock.now() >= deadline) {
      const why = running ? `vertices ${all.filter((v) => v.names.length === 0).map((v) => `"${v.vertex.name}"`).join(', ')} report no metrics` : `the job is ${job.state} (${job.vertices.map((v) => v.status).join(', ')})`;
      throw new KhaosError('timeout', `job ${jobId}: after ${waitMs} ms ${why}, so Khaos cannot check what it needs`, 'attach once every task of the job runs; see the JobManager log');
    }
    await clock.sleep(1000);
  }
}

/** The operator name of a source vertex ("Source: payments-source -> parse" → "payments-source"), to suggest control.sourceVertex. */
const sourceOperatorOf = (vertices: VertexInfo[]) => /^Source: ([^>]+?)(?: ->|$)/.exec(vertices.find((v) => v.name.startsWith('Source: '))?.name ?? '')?.[1];

/** The problems and notes of the Kafka source check. */
async function checkKafkaSource(flink: FlinkEngine, jobId: string, vertices: VertexMetrics[], report: RequirementReport): Promise<void> {
  const kafka = vertices.find((v) => v.names.some((n) => n.includes('.KafkaSourceReader.')));
  if (!kafka) {
    report.problems.push({
      what: `no Kafka source: no vertex reports KafkaSourceReader metrics (vertices: ${vertices.map((v) => `"${v.vertex.name}"`).join(', ')})`,
      fix: "read the job's input with Flink's KafkaSource (env.fromSource(KafkaSource.builder()…)); Khaos replays into and measures a Kafka topic",
    });
    return;
  }
  const coordinator = kafka.names.some((n) => n.endsWith('.KafkaSourceReader.KafkaConsumer.commit-total'));
  if (coordinator || ((await sumOf(flink, jobId, kafka, '.KafkaSourceReader.commitsSucceeded')) ?? 0) > 0) return;
  report.problems.push({
    what: `the Kafka source of "${kafka.vertex.name}" has no consumer group: its consumer reports no group coordinator (commit-total) and it committed no offsets`,
    fix: 'give the KafkaSource a group id (KafkaSource.builder().setGroupId(…), or the group.id property), passed in from the job\'s arguments ({groupId} in job.args)',
  });
}

/** The problems and notes of the sink check. */
async function checkSink(flink: FlinkEngine, jobId: string, vertices: VertexMetrics[], report: RequirementReport): Promise<void> {
  const completed = (await flink.checkpoints(jobId)).counts.completed;
  const kafkaWriters = vertices.filter((v) => v.names.some((n) => n.includes('__Writer.KafkaProducer.')));
  const committers = vertices.filter((v) => v.names.some((n) => n.endsWith('__Committer.totalCommittables')));
  for (const v of kafkaWriters) if (((await sumOf(flink, jobId, v, '__Writer.KafkaProducer.txn-init-time-ns-total')) ?? 0) > 0) return;
  for (const v of committers) if (((await sumOf(flink, jobId, v, '__Committer.totalCommittables')) ?? 0) > 0) return;
  for (const v of kafkaWriters) {
    if (completed === 0) {
      report.notes.push(`the Kafka sink of "${v.vertex.name}" is not transactional, and no checkpoint has completed yet: Khaos cannot tell whether it is at-least-once (flushes on checkpoints) or has no guarantee`);
      return;
    }
    if (((await sumOf(flink, jobId, v, '__Writer.KafkaProducer.flush-time-ns-total')) ?? 0) > 0) return;
  }
  if (kafkaWriters.length > 0) {
    report.problems.push({
      what: `the Kafka sink of "${kafkaWriters[0]!.vertex.name}" has no delivery guarantee: its producer is not transactional and did not flush on any of ${completed} completed checkpoint(s)`,
      fix: 'build the KafkaSink with setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE) and setTransactionalIdPrefix(…) ({txnPrefix} in job.args), or AT_LEAST_ONCE',
    });
    return;
  }
  const sinks = vertices.filter((v) => /Sink|Writer/.test(v.vertex.name) || v.names.some((n) => n.includes('__Writer.')));
  if (sinks.length > 0) {
    report.notes.push(`Khaos cannot tell the delivery guarantee of the sink in ${sinks.map((v) => `"${v.vertex.name}"`).join(', ')} (not a Kafka sink, no committed two-phase commit yet): it needs exactly-once or at-least-once`);
    return;
  }
  report.problems.push({
    what: `no sink: no vertex writes anywhere Khaos can see (vertices: ${vertices.map((v) => `"${v.vertex.name}"`).join(', ')})`,
    fix: "write the job's output with an exactly-once or at-least-once sink, e.g. Flink's KafkaSink with DeliveryGuarantee.EXACTLY_ONCE",
  });
}

/** The problems of the source vertex check: the vertex the sampler reads (sourceVertexOf), and the counter it reads there. */
function checkSourceVertex(vertices: VertexMetrics[], sourceVertex: string, report: RequirementReport): void {
  const all = vertices.map((v) => v.vertex);
  const source = sourceVertexOf(all, sourceVertex);
  const suggestion = sourceOperatorOf(all);
  if (!source) {
    report.problems.push({
      what: `no source vertex: none is named like "${sourceVertex}" (control.sourceVertex) or "Source: …", and Khaos reads the input rate and lag there (vertices: ${vertices.map((v) => `"${v.vertex.name}"`).join(', ')})`,
      fix: "set control.sourceVertex to a fragment of the name of the vertex that reads the job's input",
    });
    return;
  }
  if (!vertexNamed(all, sourceVertex)) report.notes.push(`no vertex is named like "${sourceVertex}" (control.sourceVertex): Khaos reads the input at "${source.name}"${suggestion ? `; set control.sourceVertex: ${suggestion} to say so` : ''}`);
  const names = vertices.find((v) => v.vertex.id === source.id)!.names;
  // As JobSampler: the source operator's numRecordsOut next to its pendingRecords, else the vertex's.
  const lag = names.find((n) => n.endsWith('.pendingRecords'));
  const counter = lag ? lag.replace(/pendingRecords$/, 'numRecordsOut') : 'numRecordsOut';
  if (names.includes(counter)) return;
  report.problems.push({
    what: `the source vertex "${source.name}" reports no ${counter}, the records counter Khaos reads the input rate from`,
    fix: `point control.sourceVertex at the vertex that reads the input${suggestion ? `, e.g. "${suggestion}"` : ''} (a FLIP-27 source such as KafkaSource reports it)`,
  });
}

/**
 * Checks what a job must offer (see RequirementOptions) and returns notes on what could not be
 * told yet. Throws KhaosError('bad-input') naming every missing requirement with its fix, before
 * anything is changed; KhaosError('timeout') when the job's tasks do not all run and report
 * metrics within `waitMs`.
 */
export async function checkJobRequirements(flink: FlinkEngine, clock: Clock, jobId: string, o: RequirementOptions): Promise<string[]> {
  const vertices = await vertexMetrics(flink, clock, jobId, o.waitMs);
  const report: RequirementReport = { problems: [], notes: [] };
  await checkKafkaSource(flink, jobId, vertices, report);
  await checkSink(flink, jobId, vertices, report);
  checkSourceVertex(vertices, o.sourceVertex, report);
  if (report.problems.length > 0) {
    const n = report.problems.length;
    throw new KhaosError(
      'bad-input',
      `job ${jobId} at ${flink.restUrl} lacks ${n === 1 ? 'one thing' : `${n} things`} Khaos needs to control it (docs/own-job.md, "Requirements"):\n${report.problems.map((p) => `  - ${p.what}\n    fix: ${p.fix}`).join('\n')}`,
      'change the job as each "fix" says, start it again, and attach again; nothing was changed',
    );
  }
  return report.notes;
}
