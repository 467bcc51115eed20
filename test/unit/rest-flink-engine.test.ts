import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RestFlinkEngine, type Fetch } from '../../src/adapters/flink-rest/rest-flink-engine.js';

/** Answers recorded from a real Flink 2.2.1 cluster by scripts/record-flink-fixtures.ts. */
const dir = path.resolve(__dirname, '..', 'fixtures', 'flink-2.2.1');
const fixture = (name: string) => fs.readFileSync(path.join(dir, `${name}.json`), 'utf8');
const job = JSON.parse(fixture('job')) as { jid: string; vertices: { id: string; name: string }[] };
const jid = job.jid;

function fakeFetch(routes: Record<string, string | (() => string) | { status: number; body: string }>): Fetch & { calls: string[] } {
  const calls: string[] = [];
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const key = `${init?.method ?? 'GET'} ${url.pathname}${url.search}`;
    calls.push(key);
    const route = routes[key] ?? routes[`${init?.method ?? 'GET'} ${url.pathname}`];
    if (route === undefined) return new Response('{"errors":["Not found"]}', { status: 404 });
    if (typeof route === 'object') return new Response(route.body, { status: route.status });
    return new Response(typeof route === 'function' ? route() : route, { status: 200 });
  }) as Fetch & { calls: string[] };
  f.calls = calls;
  return f;
}

const engine = (routes: Parameters<typeof fakeFetch>[0]) => new RestFlinkEngine('http://flink', { fetch: fakeFetch(routes), pollMs: 1 });

describe('RestFlinkEngine on recorded Flink 2.2.1 answers', () => {
  it('reads jobs, details, subtasks and task managers', async () => {
    const sink = job.vertices.find((v) => v.name.includes('kafka-sink'))!;
    const e = engine({
      'GET /overview': fixture('overview'),
      'GET /jobs/overview': fixture('jobs-overview'),
      [`GET /jobs/${jid}`]: fixture('job'),
      [`GET /jobs/${jid}/vertices/${sink.id}`]: fixture('vertex-sink'),
      'GET /taskmanagers': fixture('taskmanagers'),
    });
    expect(await e.isReachable()).toBe(true);
    const [summary] = await e.listJobs();
    expect(summary).toMatchObject({ id: jid, name: 'khaos-iot-vehicles' });
    const details = await e.job(jid);
    expect(details.vertices.map((v) => v.name).join(' | ')).toContain('kafka-source');
    expect(details.timestamps.RUNNING).toBeGreaterThan(0);
    const subtasks = await e.subtasks(jid, sink.id);
    expect(subtasks).toHaveLength(2);
    expect(subtasks[0]!.taskManagerId).toMatch(/^fx-tm\d-g\d+$/);
    expect((await e.taskManagers()).every((t) => t.slots === 1)).toBe(true);
  });

  it('reads checkpoint statistics with the restored checkpoint, and the configured interval', async () => {
    const e = engine({ [`GET /jobs/${jid}/checkpoints`]: fixture('checkpoints'), [`GET /jobs/${jid}/checkpoints/config`]: fixture('checkpoints-config') });
    const cp = await e.checkpoints(jid);
    expect(cp.counts.completed).toBeGreaterThan(0);
    expect(cp.latestCompleted?.stateSizeBytes).toBeGreaterThan(0);
    expect(cp.latestRestored).toMatchObject({ isSavepoint: false });
    expect((await e.checkpointConfig(jid)).intervalMs).toBe(2000);
  });

  it('reads the exception history of a killed TaskManager', async () => {
    const ex = await engine({ [`GET /jobs/${jid}/exceptions`]: fixture('exceptions') }).exceptions(jid);
    expect(ex.length).toBeGreaterThan(0);
    expect(ex[0]!.exceptionName).toMatch(/Exception/);
  });

  it('reads metric names and aggregated vertex and job metrics', async () => {
    const source = job.vertices.find((v) => v.name.includes('kafka-source'))!;
    const e = engine({
      [`GET /jobs/${jid}/vertices/${source.id}/subtasks/metrics`]: () => fixture('vertex-source-metric-names'),
      [`GET /jobs/${jid}/metrics`]: fixture('job-metrics'),
    });
    const names = await e.vertexMetricNames(jid, source.id);
    expect(names).toContain('Source__kafka-source.pendingRecords');
    const e2 = engine({ [`GET /jobs/${jid}/vertices/${source.id}/subtasks/metrics`]: fixture('vertex-source-metrics'), [`GET /jobs/${jid}/metrics`]: fixture('job-metrics') });
    const m = await e2.vertexMetrics(jid, source.id, ['numRecordsOutPerSecond', 'Source__kafka-source.pendingRecords']);
    expect(m['Source__kafka-source.pendingRecords']?.sum).toBeGreaterThanOrEqual(0);
    expect(m.numRecordsOutPerSecond?.sum).toBeGreaterThan(0);
    expect(Object.keys(await e2.jobMetrics(jid, ['numRestarts', 'lastCheckpointDuration']))).toContain('numRestarts');
  });

  it('stops with a savepoint, polling until it completes', async () => {
    let polls = 0;
    const trigger = JSON.parse(fixture('stop-trigger')) as { 'request-id': string };
    const e = engine({
      [`POST /jobs/${jid}/stop`]: fixture('stop-trigger'),
      [`GET /jobs/${jid}/savepoints/${trigger['request-id']}`]: () => (++polls < 3 ? '{"status":{"id":"IN_PROGRESS"}}' : fixture('savepoint-completed')),
    });
    expect(await e.stopWithSavepoint(jid, 'file:///sp', 5000)).toMatch(/savepoint-/);
    expect(polls).toBe(3);
  });

  it('reports a failed savepoint with its cause, and a savepoint that never completes as a timeout', async () => {
    // Recorded: a stop right after a recovery, while a task was still being redeployed.
    const failed = engine({ [`POST /jobs/${jid}/stop`]: '{"request-id":"t1"}', [`GET /jobs/${jid}/savepoints/t1`]: fixture('savepoint-failed') });
    await expect(failed.stopWithSavepoint(jid, 'file:///sp', 1000)).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/CheckpointException/) });
    const stuck = engine({ [`POST /jobs/${jid}/stop`]: '{"request-id":"t2"}', [`GET /jobs/${jid}/savepoints/t2`]: '{"status":{"id":"IN_PROGRESS"}}' });
    await expect(stuck.stopWithSavepoint(jid, 'file:///sp', 20)).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('translates bad answers into named errors', async () => {
    const e = engine({
      'GET /jobs/overview': '{"jobs":[{"jid":"x","state":"DANCING"}]}',
      [`GET /jobs/${jid}`]: { status: 404, body: '{"errors":["Job not found"]}' },
      'GET /taskmanagers': '<html>proxy error</html>',
    });
    await expect(e.listJobs()).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/unexpected shape/) });
    await expect(e.job(jid)).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/404.*Job not found/) });
    await expect(e.taskManagers()).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/non-JSON/) });
    const down = new RestFlinkEngine('http://127.0.0.1:1', { requestTimeoutMs: 500 });
    expect(await down.isReachable()).toBe(false);
    await expect(down.listJobs()).rejects.toMatchObject({ kind: 'platform', hint: expect.stringMatching(/stack status/) });
  });
});

describe('RestFlinkEngine: checkpoints triggered on demand (recorded Flink 2.2.1 answers)', () => {
  it('posts the trigger and reads a completed one and a failed one with its reason', async () => {
    const f = fakeFetch({
      [`POST /jobs/${jid}/checkpoints`]: '{"request-id":"f0d6eeb809282abc334f90b67ae178f5"}',
      [`GET /jobs/${jid}/checkpoints/ok`]: fixture('checkpoint-trigger-completed'),
      [`GET /jobs/${jid}/checkpoints/bad`]: fixture('checkpoint-trigger-failed'),
      [`GET /jobs/${jid}/checkpoints/busy`]: '{"status":{"id":"IN_PROGRESS"},"operation":null}',
    });
    const e = new RestFlinkEngine('http://flink', { fetch: f });
    expect(await e.triggerCheckpoint(jid)).toBe('f0d6eeb809282abc334f90b67ae178f5');
    expect(await e.checkpointTriggerStatus(jid, 'ok')).toEqual({ state: 'COMPLETED', checkpointId: 156 });
    expect(await e.checkpointTriggerStatus(jid, 'busy')).toEqual({ state: 'IN_PROGRESS' });
    const failed = await e.checkpointTriggerStatus(jid, 'bad');
    expect(failed).toMatchObject({ state: 'FAILED', cause: expect.stringMatching(/Not all required tasks are currently running/) });
    await expect(e.checkpointTriggerStatus(jid, 'unknown')).rejects.toMatchObject({ kind: 'platform' });
  });
});
