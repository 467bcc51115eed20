/**
 * Records real Flink REST answers for the RestFlinkEngine unit tests: starts a local stack with
 * the IoT job, replays a little load, calls every endpoint Khaos reads (and a stop-with-savepoint),
 * and writes the raw JSON to test/fixtures/flink-<version>/. Run: npx tsx scripts/record-flink-fixtures.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig } from '../src/config/schema.js';
import { repoRoot, startLocalStack, KafkajsMessageBus } from '../src/compose.js';

const log = (l: string) => console.log(l);
const stack = await startLocalStack(resolveConfig({ stack: { name: 'fixtures' } }), log, true);
try {
  const bus = new KafkajsMessageBus(stack.bootstrap);
  for (const t of ['fx-in', 'fx-out', 'fx-audit']) await bus.ensureTopic(t, 2);
  const replica = await stack.startReplica({ name: 'fx', job: 'iot', checkpointIntervalMs: 2000, parallelism: 2, inputTopic: 'fx-in', outputTopic: 'fx-out', auditTopic: 'fx-audit', groupId: 'fx' });
  for (let i = 0; i < 8; i++) {
    await bus.produce('fx-in', Array.from({ length: 200 }, (_, k) => ({ key: `v-${k}`, value: `{"id":"v-${k}","lat":40.75,"lon":-73.98,"speed":90,"ts":${Date.now()}}` })));
    await new Promise((r) => setTimeout(r, 1000));
  }
  const get = async (p: string, init?: RequestInit) => {
    const res = await fetch(`${replica.restUrl}${p}`, init);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const overview = await get('/overview');
  const version = String(overview['flink-version']);
  const dir = path.join(repoRoot, 'test', 'fixtures', `flink-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  // No path of this machine in the repo: the checkout root becomes <repo>.
  const save = (name: string, body: unknown) => fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(body, null, 2).split(repoRoot).join('<repo>')}\n`);
  save('overview', overview);
  const jobs = (await get('/jobs/overview')) as { jobs: { jid: string }[] };
  save('jobs-overview', jobs);
  const jid = jobs.jobs[0]!.jid;
  const job = (await get(`/jobs/${jid}`)) as { vertices: { id: string; name: string }[] };
  save('job', job);
  const source = job.vertices.find((v) => v.name.includes('kafka-source'))!;
  const sink = job.vertices.find((v) => v.name.includes('kafka-sink'))!;
  const sinkVertex = (await get(`/jobs/${jid}/vertices/${sink.id}`)) as { subtasks: { 'taskmanager-id': string }[] };
  save('vertex-sink', sinkVertex);
  save('vertex-source-metric-names', await get(`/jobs/${jid}/vertices/${source.id}/subtasks/metrics`));
  save('vertex-source-metrics', await get(`/jobs/${jid}/vertices/${source.id}/subtasks/metrics?get=numRecordsOutPerSecond,Source__kafka-source.pendingRecords&agg=min,max,avg,sum`));
  save('job-metrics', await get(`/jobs/${jid}/metrics?get=numRestarts,lastCheckpointDuration`));
  // Kill the sink's TaskManager so the exception history and the restored checkpoint are real.
  const victim = stack.replica('fx').taskManagers.find((t) => t.id === sinkVertex.subtasks[0]!['taskmanager-id'])!;
  process.kill(victim.pid, 'SIGKILL');
  log(`killed ${victim.id}; waiting for the restart`);
  await new Promise((r) => setTimeout(r, 1500));
  for (;;) {
    stack.restartDeadTaskManagers('fx');
    const j = (await get(`/jobs/${jid}`)) as { state: string; vertices: { status: string }[] };
    if (j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 3000));
  save('checkpoints', await get(`/jobs/${jid}/checkpoints`));
  save('checkpoints-config', await get(`/jobs/${jid}/checkpoints/config`));
  save('exceptions', await get(`/jobs/${jid}/exceptions`));
  save('taskmanagers', await get('/taskmanagers'));
  // Stop with a savepoint; a failed attempt (tasks still redeploying) is recorded too, then retried.
  for (let attempt = 0; ; attempt++) {
    const trigger = await get(`/jobs/${jid}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ targetDirectory: `file://${stack.dir}/sp`, drain: false }) });
    save('stop-trigger', trigger);
    let st: { status: { id: string }; operation?: { location?: string } };
    for (;;) {
      st = (await get(`/jobs/${jid}/savepoints/${String(trigger['request-id'])}`)) as typeof st;
      if (st.status.id === 'COMPLETED') break;
      save('savepoint-in-progress', st);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (st.operation?.location) {
      save('savepoint-completed', st);
      break;
    }
    save('savepoint-failed', st);
    if (attempt >= 5) throw new Error('stop-with-savepoint kept failing');
    await new Promise((r) => setTimeout(r, 3000));
  }
  log(`fixtures written to ${dir}`);
  await bus.close();
} finally {
  await stack.down();
}
