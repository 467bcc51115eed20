import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { fullyRunning, khaosError, runningJob, until } from '../contract/until.js';
import { FlinkRestDouble } from './doubles/flink-rest.js';

// The Flink REST test double (test/k8s/doubles/flink-rest.ts) on its own, without a control
// plane: Khaos's RestFlinkEngine reads it over HTTP at a base path, its answers keep the keys of
// Flink 2.2.1's (test/fixtures/flink-2.2.1), its TaskManagers are pods, and losing a pod fails the
// job over until a replacement pod registers. test/k8s/profile.test.ts drives it from Kubernetes.

const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 15_000, pollMs: 100 };
const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join('test/fixtures/flink-2.2.1', name), 'utf8'));
const PODS = ['fd-taskmanager-1-1', 'fd-taskmanager-1-2'];
let double: FlinkRestDouble;
let base: string;
let flink: RestFlinkEngine;

beforeAll(async () => {
  double = await FlinkRestDouble.start({ capacityEps: 2000, detectionDelayMs: 500, restartDelayMs: 500, checkpointDurationMs: 50 });
  base = double.urlTemplate.replace('{namespace}/{name}', 'khaos/fd');
  double.platform.setInputRate(500);
  double.deploy('khaos', 'fd', { job: builtInJob('iot'), checkpointIntervalMs: 1000, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'g' }, PODS);
  flink = new RestFlinkEngine(base);
});

afterAll(async () => {
  await double?.stop();
});

/** The keys of `answer` that the fixture's object does not have (none, for Flink's shape). */
const foreignKeys = (answer: unknown, like: unknown) => Object.keys(answer as object).filter((k) => !(k in (like as object)));
const getJson = async (p: string): Promise<unknown> => (await fetch(`${base}${p}`)).json();
/** `o[k1][k2]…` of a JSON answer (arrays by index). */
const at = (o: unknown, ...keys: (string | number)[]): unknown => keys.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], o);

describe('the Flink REST test double', () => {
  it('answers RestFlinkEngine at a base path: a RUNNING job, subtasks on the TaskManager pods, checkpoints at the interval, metrics, a triggered checkpoint', async () => {
    const job = await runningJob(time, flink);
    expect(await flink.isReachable()).toBe(true);
    expect(job.name).toBe('khaos-iot-vehicles');
    const sink = job.vertices.find((v) => v.name.includes('kafka-sink'))!;
    expect((await flink.subtasks(job.id, sink.id)).map((t) => t.taskManagerId).sort()).toEqual(PODS);
    expect((await flink.taskManagers()).map((t) => t.id).sort()).toEqual(PODS);
    expect((await flink.checkpointConfig(job.id)).intervalMs).toBe(1000);
    const first = await until(time, 'a completed checkpoint', async () => (await flink.checkpoints(job.id)).latestCompleted);
    expect(first.triggerTimestampMs).toBeGreaterThan(Date.now() - 10_000);
    const source = job.vertices.find((v) => v.name.includes('kafka-source'))!;
    expect(await flink.vertexMetricNames(job.id, source.id)).toContain('Source__kafka-source.pendingRecords');
    const m = await flink.vertexMetrics(job.id, source.id, ['Source__kafka-source.pendingRecords', 'Source__kafka-source.numRecordsOut']);
    expect(m['Source__kafka-source.numRecordsOut']!.sum).toBeGreaterThan(0);
    expect(await flink.jobMetrics(job.id, ['numRestarts', 'lastCheckpointDuration'])).toMatchObject({ numRestarts: 0, lastCheckpointDuration: 50 });
    const trigger = await flink.triggerCheckpoint(job.id);
    await until(time, 'the triggered checkpoint completed', async () => ((await flink.checkpointTriggerStatus(job.id, trigger)).state === 'COMPLETED' ? true : undefined));
  });

  it('keeps the keys of Flink 2.2.1’s answers (test/fixtures/flink-2.2.1)', async () => {
    const jid = (await flink.listJobs())[0]!.id;
    const job = await getJson(`/jobs/${jid}`);
    const sink = (at(job, 'vertices') as { id: string; name: string }[]).find((v) => v.name.includes('kafka-sink'))!;
    const vertex = await getJson(`/jobs/${jid}/vertices/${sink.id}`);
    const checkpoints = await getJson(`/jobs/${jid}/checkpoints`);
    const shapes: [string, unknown, unknown][] = [
      ['overview', await getJson('/overview'), fixture('overview.json')],
      ['jobs overview', at(await getJson('/jobs/overview'), 'jobs', 0), at(fixture('jobs-overview.json'), 'jobs', 0)],
      ['job', job, fixture('job.json')],
      ['job vertex', at(job, 'vertices', 0), at(fixture('job.json'), 'vertices', 0)],
      ['vertex', vertex, fixture('vertex-sink.json')],
      ['subtask', at(vertex, 'subtasks', 0), at(fixture('vertex-sink.json'), 'subtasks', 0)],
      ['checkpoints', checkpoints, fixture('checkpoints.json')],
      ['latest checkpoints', at(checkpoints, 'latest'), at(fixture('checkpoints.json'), 'latest')],
      ['latest completed', at(checkpoints, 'latest', 'completed'), at(fixture('checkpoints.json'), 'latest', 'completed')],
      ['checkpoint config', await getJson(`/jobs/${jid}/checkpoints/config`), fixture('checkpoints-config.json')],
      ['taskmanager', at(await getJson('/taskmanagers'), 'taskmanagers', 0), at(fixture('taskmanagers.json'), 'taskmanagers', 0)],
    ];
    for (const [what, answer, like] of shapes) expect(foreignKeys(answer, like), what).toEqual([]);
    expect(Object.keys(at(job, 'timestamps') as object).sort()).toEqual(Object.keys(at(fixture('job.json'), 'timestamps') as object).sort());
  });

  it('a TaskManager pod gone: the job fails over, names the lost TaskManager, and runs again once a replacement pod registers', async () => {
    const job = (await fullyRunning(flink))!;
    const before = await flink.checkpoints(job.id);
    double.taskManagerPods('khaos', 'fd', [PODS[1]!]);
    await until(time, 'the failure detected (job not fully RUNNING)', async () => ((await fullyRunning(flink)) ? undefined : true));
    // No spare TaskManager (native mode): the tasks wait for the replacement.
    await time.waitMs(1500);
    expect(await fullyRunning(flink)).toBeUndefined();
    expect((await flink.exceptions(job.id))[0]).toMatchObject({ exceptionName: expect.stringMatching(/RemoteTransportException/), taskManagerId: PODS[1] });
    double.taskManagerPods('khaos', 'fd', [PODS[1]!, 'fd-taskmanager-1-3']);
    const again = await runningJob(time, flink);
    const sink = again.vertices.find((v) => v.name.includes('kafka-sink'))!;
    expect((await flink.subtasks(again.id, sink.id)).map((t) => t.taskManagerId).sort()).toEqual([PODS[1], 'fd-taskmanager-1-3']);
    expect((await flink.taskManagers()).map((t) => t.id).sort()).toEqual([PODS[1], 'fd-taskmanager-1-3']);
    expect(await flink.jobMetrics(again.id, ['numRestarts'])).toEqual({ numRestarts: 1 });
    expect((await flink.checkpoints(again.id)).latestRestored?.id).toBeGreaterThanOrEqual(before.latestCompleted!.id);
  });

  it('answers as Flink does what it cannot: an unknown job 404, an unknown path 404, a cluster not running 503; savepoints are not modelled', async () => {
    await expect(flink.job('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({ ...khaosError('platform'), message: expect.stringMatching(/answered 404: \{"errors":\["Job 0123456789abcdef0123456789abcdef not found"\]\}/) });
    await expect(flink.stopWithSavepoint((await flink.listJobs())[0]!.id, 'file:///sp', 1000)).rejects.toThrow(/answered 404: \{"errors":\["Not found: \/jobs\/\w+\/stop"\]\}/);
    const elsewhere = new RestFlinkEngine(double.urlTemplate.replace('{namespace}/{name}', 'khaos/other'));
    await expect(elsewhere.listJobs()).rejects.toThrow(/answered 503: .*no JobManager of FlinkDeployment khaos\/other runs/);
    double.undeploy('khaos', 'fd');
    expect(await flink.isReachable()).toBe(false);
    expect(double.running).toEqual([]);
    expect(double.errors).toEqual([]);
  });
});
