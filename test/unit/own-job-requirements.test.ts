import { describe, expect, it } from 'vitest';
import { checkJobRequirements } from '../../src/app/control/requirements.js';
import { runControlSession, type ControlSettings } from '../../src/app/control/session.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { builtInJob } from '../../src/core/jobs.js';
import { resolveConfig } from '../../src/config/schema.js';
import type { AggregatedMetric, FlinkEngine } from '../../src/ports/flink-engine.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';

/** A fake replica of the iot job (its source and sink report what the real KafkaSource and exactly-once KafkaSink report), its checkpoints every 2 s. */
async function setup() {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 2000, restartDelayMs: 1000, checkpointDurationMs: 200 });
  platform.setInputRate(1000);
  const handle = await platform.startReplica({ name: 'job', job: builtInJob('iot'), checkpointIntervalMs: 2000, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'g' });
  const flink = platform.flinkAt(handle.restUrl);
  const jobId = (await flink.listJobs())[0]!.id;
  return { clock, platform, flink, jobId };
}

/**
 * The engine with its metrics changed as a job lacking something would report them: `drop`
 * removes names, `add` adds names with their per-subtask value (overriding the fake's).
 */
function reporting(flink: FlinkEngine, change: { drop?: RegExp; add?: Record<string, number> }): FlinkEngine {
  const add = change.add ?? {};
  return Object.assign(Object.create(flink) as FlinkEngine, {
    vertexMetricNames: async (jobId: string, vertexId: string) => {
      const names = (await flink.vertexMetricNames(jobId, vertexId)).filter((n) => !change.drop?.test(n));
      // An added name belongs to the vertex running its operator: Source__kafka-source… or kafka-sink__….
      const vertex = (await flink.job(jobId)).vertices.find((v) => v.id === vertexId)!.name;
      const here = (n: string) => vertex.includes(n.startsWith('Source__') ? 'Source: kafka-source' : n.split('__')[0]!);
      return [...names, ...Object.keys(add).filter((n) => here(n) && !names.includes(n))];
    },
    vertexMetrics: async (jobId: string, vertexId: string, names: string[]) => {
      const got: Record<string, AggregatedMetric> = await flink.vertexMetrics(jobId, vertexId, names);
      for (const n of names) if (n in add) got[n] = { min: add[n], max: add[n], avg: add[n], sum: add[n]! * 2 };
      return got;
    },
  });
}

const OPTS = { sourceVertex: 'kafka-source', waitMs: 30_000 };
const refusal = (e: unknown) => ({ kind: (e as { kind: string }).kind, message: (e as Error).message, hint: (e as { hint: string }).hint });

async function refused(flink: FlinkEngine, clock: ManualClock, jobId: string, opts = OPTS) {
  const e = await checkJobRequirements(flink, clock, jobId, opts).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'the check passed').toBeDefined();
  return refusal(e);
}

describe('what a job must offer to be controlled (control --attach)', { timeout: 30_000 }, () => {
  it('a job with a Kafka source in a consumer group, checkpoints, an exactly-once Kafka sink and the named source vertex passes', async () => {
    const { clock, flink, jobId } = await setup();
    await clock.sleep(5000);
    await expect(checkJobRequirements(flink, clock, jobId, OPTS)).resolves.toEqual([]);
  });

  it('no Kafka source: refused, naming it and the fix', async () => {
    const { clock, flink, jobId } = await setup();
    const r = await refused(reporting(flink, { drop: /KafkaSourceReader/ }), clock, jobId);
    expect(r.kind).toBe('bad-input');
    expect(r.message).toMatch(/no Kafka source: no vertex reports KafkaSourceReader metrics \(vertices: "Source: kafka-source/);
    expect(r.message).toMatch(/fix: read the job's input with Flink's KafkaSource/);
    expect(r.message).not.toMatch(/consumer group/);
  });

  it('a Kafka source without a consumer group: refused, with setGroupId as the fix', async () => {
    const { clock, flink, jobId } = await setup();
    await clock.sleep(5000);
    const r = await refused(reporting(flink, { drop: /KafkaConsumer\.commit-total$/, add: { 'Source__kafka-source.KafkaSourceReader.commitsSucceeded': 0 } }), clock, jobId);
    expect(r.message).toMatch(/the Kafka source of "Source: kafka-source -> parse -> area-filter" has no consumer group/);
    expect(r.message).toMatch(/setGroupId/);
  });

  it('a Kafka sink that is not transactional and never flushes on a checkpoint (no guarantee): refused; before any checkpoint, a note', async () => {
    const { clock, flink, jobId } = await setup();
    const none = reporting(flink, { add: { 'kafka-sink__Writer.KafkaProducer.txn-init-time-ns-total': 0, 'kafka-sink__Writer.KafkaProducer.flush-time-ns-total': 0 } });
    // No checkpoint has completed yet: whether it flushes on one cannot be told.
    const notes = await checkJobRequirements(none, clock, jobId, OPTS);
    expect(notes.join('\n')).toMatch(/not transactional, and no checkpoint has completed yet/);
    await clock.sleep(5000);
    const r = await refused(none, clock, jobId);
    expect(r.message).toMatch(/the Kafka sink of "speed-window .*kafka-sink: Writer.*" has no delivery guarantee: its producer is not transactional and did not flush on any of \d+ completed checkpoint/);
    expect(r.message).toMatch(/DeliveryGuarantee.EXACTLY_ONCE/);
    // An at-least-once sink flushes on every checkpoint: accepted.
    const atLeastOnce = reporting(flink, { add: { 'kafka-sink__Writer.KafkaProducer.txn-init-time-ns-total': 0, 'kafka-sink__Writer.KafkaProducer.flush-time-ns-total': 5e6 } });
    await expect(checkJobRequirements(atLeastOnce, clock, jobId, OPTS)).resolves.toEqual([]);
  });

  it('control.sourceVertex naming no vertex: the "Source: …" vertex is read, and a note suggests its name; no source vertex at all is refused', async () => {
    const { clock, flink, jobId } = await setup();
    const notes = await checkJobRequirements(flink, clock, jobId, { ...OPTS, sourceVertex: 'payments-source' });
    expect(notes).toEqual(['no vertex is named like "payments-source" (control.sourceVertex): Khaos reads the input at "Source: kafka-source -> parse -> area-filter"; set control.sourceVertex: kafka-source to say so']);
    const renamed = Object.assign(Object.create(flink) as FlinkEngine, {
      job: async (id: string) => {
        const j = await flink.job(id);
        return { ...j, vertices: j.vertices.map((v) => ({ ...v, name: v.name.replace('Source: ', '') })) };
      },
    });
    const r = await refused(renamed, clock, jobId, { ...OPTS, sourceVertex: 'payments-source' });
    expect(r.message).toMatch(/no source vertex: none is named like "payments-source" \(control.sourceVertex\) or "Source: …"/);
  });

  it('a source vertex without the records counter Khaos reads: refused', async () => {
    const { clock, flink, jobId } = await setup();
    const r = await refused(reporting(flink, { drop: /^Source__kafka-source\.numRecordsOut$/ }), clock, jobId);
    expect(r.message).toMatch(/the source vertex "Source: kafka-source -> parse -> area-filter" reports no Source__kafka-source.numRecordsOut/);
  });

  it('everything missing at once: every problem is named in one refusal', async () => {
    const { clock, flink, jobId } = await setup();
    await clock.sleep(5000);
    const bare = reporting(flink, { drop: /KafkaSourceReader|KafkaProducer|^Source__kafka-source\.numRecordsOut$/ });
    const r = await refused(bare, clock, jobId, { ...OPTS, sourceVertex: 'nowhere' });
    expect(r.message).toMatch(/lacks 2 things/);
    expect(r.message).toMatch(/no Kafka source/);
    expect(r.message).toMatch(/reports no Source__kafka-source.numRecordsOut/);
    // The fake's sink vertex is named "… kafka-sink: Writer …": not recognised as Kafka once its producer metrics are gone, only noted.
  });

  it('a job whose tasks do not report metrics in time: a time-out that says what it waited for', async () => {
    const { clock, flink, jobId } = await setup();
    const silent = Object.assign(Object.create(flink) as FlinkEngine, { vertexMetricNames: async () => [] });
    const r = await refused(silent, clock, jobId, { ...OPTS, waitMs: 5000 });
    expect(r.kind).toBe('timeout');
    expect(r.message).toMatch(/after 5000 ms vertices "Source: kafka-source.*" report no metrics/);
  });

  it('control --attach on a job that lacks a requirement records no run and changes nothing', async () => {
    const { clock, platform, flink } = await setup();
    const store = new MemoryControlStore();
    const c = resolveConfig({}).control;
    const s: ControlSettings = { ...c, statusEveryMs: 60_000 };
    const triggers = () => platform.flinkAt(flink.restUrl);
    const noGroup = reporting(flink, { drop: /KafkaConsumer\.commit-total$/, add: { 'Source__kafka-source.KafkaSourceReader.commitsSucceeded': 0 } });
    const before = (await triggers().checkpoints((await flink.listJobs())[0]!.id)).counts.total;
    await expect(
      runControlSession({ flink: noGroup, clock, store, log: () => {}, newRunId: () => 'r1', ownerPid: 1 }, s, { config: {}, requirements: OPTS }, () => true),
    ).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/no consumer group/) });
    expect(store.listRuns()).toEqual([]);
    // No checkpoint triggered by Khaos: only the job's own (every 2 s) may have happened.
    const after = (await triggers().checkpoints((await flink.listJobs())[0]!.id)).counts.total;
    expect(after - before).toBeLessThanOrEqual(1);
  });
});
