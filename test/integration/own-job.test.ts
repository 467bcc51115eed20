import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { messageBusAt, repoRoot } from '../../src/compose.js';
import type { DecisionRecord } from '../../src/core/control/records.js';
import { expectExit } from '../support/khaos-cli.js';
import { OWN_JOB, buildOwnJob, producePayments, submitJar } from '../support/own-job.js';
import { khaos, progress } from './helpers.js';

/** Waits until `check` answers something other than undefined, polling every 500 ms; fails with `what` after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The worked example of docs/own-job.md on real processes: the example job (examples/own-job,
 * built by its own script) submitted the user's way — Flink's REST jar upload and run — to the
 * session cluster of `khaos stack up --no-job`, then `khaos control --attach` on it.
 */
describe('your own job: built by its own script, submitted over Flink REST to `stack up --no-job`, controlled with --attach', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-own-job-'));
  const stackName = 'it-own-job';
  const write = (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, [...lines, ''].join('\n'));
    return file;
  };
  // The source vertex left at its default (kafka-source): this job's is "payments-source".
  const defaults = write('defaults.yaml', ['stack:', `  name: ${stackName}`, '  heartbeatTimeout: 5s', 'control:', '  tick: 1s', '  minUptime: 0s']);
  const config = write('own-job.yaml', ['stack:', `  name: ${stackName}`, '  heartbeatTimeout: 5s', 'control:', '  tick: 1s', '  minUptime: 0s', '  sourceVertex: payments-source']);
  let restUrl = '';
  let bootstrap = '';
  let jobId = '';

  beforeAll(async () => {
    progress('building examples/own-job with its build.sh…');
    const jar = buildOwnJob(repoRoot);
    const up = await khaos(['stack', 'up', '--no-job', '--config', defaults]);
    expectExit(up, 0);
    restUrl = /^flink {2}(http:\/\/\S+)$/m.exec(up.out)![1]!;
    bootstrap = /^kafka {2}(\S+)$/m.exec(up.out)![1]!;
    progress(`session cluster ${restUrl}, Kafka ${bootstrap}`);
    const bus = messageBusAt(bootstrap);
    try {
      await bus.ensureTopic('payments', 4);
      await bus.ensureTopic('scores', 4);
    } finally {
      await bus.close();
    }
    // The user's way: upload the jar and run it with its own flags (no Khaos placeholders here).
    jobId = await submitJar(restUrl, jar, OWN_JOB.entryClass, ['--brokers', bootstrap, '--payments-topic', 'payments', '--scores-topic', 'scores', '--consumer-group', 'fraud-scoring', '--transactional-id-prefix', 'fraud-scoring-1', '--checkpoint-interval-ms', '60000'], 2);
    const flink = new RestFlinkEngine(restUrl);
    await until('the submitted job runs with every task', 120_000, async () => {
      const j = await flink.job(jobId);
      return j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING') ? j : undefined;
    });
  });
  afterAll(async () => {
    await khaos(['stack', 'down', '--name', stackName]);
  });

  it('refuses to attach while control.sourceVertex names no vertex of the job, naming the one to use; no run is recorded', async () => {
    const runsBefore = (JSON.parse((await khaos(['control', 'status', '--json'])).out) as unknown[]).length;
    const r = await khaos(['control', '--config', defaults, '--attach', restUrl, '--policy', 'static:2s', '--duration', '10s']);
    expectExit(r, 2);
    expect(r.out).toMatch(/lacks one thing Khaos needs/);
    expect(r.out).toMatch(/no vertex whose name contains "kafka-source" \(control.sourceVertex\)/);
    expect(r.out).toMatch(/e\.g\. "payments-source"/);
    expect((JSON.parse((await khaos(['control', 'status', '--json'])).out) as unknown[]).length).toBe(runsBefore);
  });

  it('attaches to the job it did not start: the requirements hold, paced checkpoints every 2 s, decisions recorded, every payment scored at most once', async () => {
    const flink = new RestFlinkEngine(restUrl);
    const before = (await flink.checkpoints(jobId)).counts.completed;
    const bus = messageBusAt(bootstrap);
    let stop = false;
    const produced = producePayments(bus, 'payments', 300, () => stop);
    try {
      const run = await khaos(['control', '--config', config, '--attach', restUrl, '--policy', 'static:2s', '--duration', '30s']);
      expectExit(run, 0);
      expect(run.out).toMatch(new RegExp(`run \\S+ on job ${jobId}`));
      expect(run.out).not.toMatch(/lacks/);
      const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
      expect(decisions[0]).toMatchObject({ policy: 'static:2000', actuator: 'paced', fromIntervalMs: 60_000, toIntervalMs: 2000, outcome: 'applied' });
      const paced = (await flink.checkpoints(jobId)).counts.completed - before;
      expect(paced).toBeGreaterThanOrEqual(8); // ~30 s at 2 s, where the job's own 60 s interval gives at most one
    } finally {
      stop = true;
      progress(`produced ${await produced} payments`);
    }
    // Detached: the job runs on at its own interval, never restarted.
    expect((await flink.job(jobId)).state).toBe('RUNNING');
    expect((await flink.checkpointConfig(jobId)).intervalMs).toBe(60_000);
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);
    // The committed (read_committed) scores: each payment at most once, with its score.
    const out = await bus.readAllCommitted('scores', { idleMs: 3000, timeoutMs: 60_000 }).finally(() => bus.close());
    const ids = out.map((r) => (JSON.parse(r.value) as { paymentId: string }).paymentId);
    expect(ids.length).toBeGreaterThan(1000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(JSON.parse(out[0]!.value)).toMatchObject({ paymentId: expect.any(String), card: expect.any(String), windowCount: expect.any(Number), score: expect.any(Number) });
  });
});
