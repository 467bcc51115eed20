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

/** Runs `body` while payments flow into the job's input at 300/s; the producer stops when it ends, either way. */
async function whileProducing<T>(bootstrap: string, body: () => Promise<T>): Promise<T> {
  const bus = messageBusAt(bootstrap);
  let stop = false;
  const produced = producePayments(bus, 'payments', 300, () => stop);
  try {
    return await body();
  } finally {
    stop = true;
    progress(`produced ${await produced} payments`);
    await bus.close();
  }
}

/**
 * The worked example of docs/own-job.md on real processes: the example job (examples/own-job,
 * built by its own script) submitted the user's way — Flink's REST jar upload and run — to the
 * session cluster of `khaos stack up --no-job`, then `khaos control --attach` on it.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-own-job-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
/** examples/own-job/khaos.yaml under another stack name, with `extra` lines appended to its control section (the last). */
const exampleConfig = (name: string, stack: string, extra: string[] = []) =>
  write(name, `${fs.readFileSync(path.join(repoRoot, 'examples', 'own-job', 'khaos.yaml'), 'utf8').replace(/^ {2}name: own-job$/m, `  name: ${stack}`)}${extra.map((l) => `${l}\n`).join('')}`);
const samplesFile = path.join(dir, 'samples.csv');
let jar = '';

beforeAll(() => {
  progress('building examples/own-job with its build.sh…');
  jar = buildOwnJob(repoRoot);
});

describe('your own job through `khaos profile`: a tiny plan on the example job, then models', () => {
  it('profiles 2 intervals × 2 load levels × 2 kills, exports the failures and fits both models', async () => {
    const r = await khaos(['profile', '--config', exampleConfig('profile.yaml', 'it-own-job-profile')]);
    expectExit(r, 0);
    const id = /profile (p\d{14}) done/.exec(r.out)?.[1];
    expect(id, r.out).toBeDefined();
    expectExit(await khaos(['profile', 'export', id!, '--out', samplesFile]), 0);
    const rows = fs.readFileSync(samplesFile, 'utf8').trim().split('\n').slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const fit = await khaos(['models', 'fit', '--samples', samplesFile, '--out', path.join(dir, 'models')]);
    expectExit(fit, 0);
    for (const f of ['recovery-model.json', 'latency-model.json']) expect(fs.existsSync(path.join(dir, 'models', f)), fit.out).toBe(true);
  });
});

describe('your own job: built by its own script, submitted over Flink REST to `stack up --no-job`, controlled with --attach', () => {
  const stackName = 'it-own-job';
  const config = exampleConfig('attach.yaml', stackName);
  let restUrl = '';
  let bootstrap = '';
  let jobId = '';

  // job.parallelism 1 + stack.spareTaskManagers 1: two slots, one for the job, one for the copy below.
  beforeAll(async () => {
    const up = await khaos(['stack', 'up', '--no-job', '--topics', 'payments,scores,scores-none', '--config', config]);
    expectExit(up, 0);
    restUrl = /^flink {2}(http:\/\/\S+)$/m.exec(up.out)![1]!;
    bootstrap = /^kafka {2}(\S+)$/m.exec(up.out)![1]!;
    progress(`session cluster ${restUrl}, Kafka ${bootstrap}`);
    // The user's way: upload the jar and run it with its own flags (no Khaos placeholders here).
    jobId = await submitJar(restUrl, jar, OWN_JOB.entryClass, ['--brokers', bootstrap, '--payments-topic', 'payments', '--scores-topic', 'scores', '--consumer-group', 'fraud-scoring', '--transactional-id-prefix', 'fraud-scoring-1', '--checkpoint-interval-ms', '60000'], 1);
    const flink = new RestFlinkEngine(restUrl);
    await until('the submitted job runs with every task', 120_000, async () => {
      const j = await flink.job(jobId);
      return j.state === 'RUNNING' && j.vertices.every((v) => v.status === 'RUNNING') ? j : undefined;
    });
  });
  afterAll(async () => {
    await khaos(['stack', 'down', '--name', stackName]);
  });

  it('refuses to attach to a copy of the job whose Kafka sink has no delivery guarantee, naming it and the fix; no run is recorded', async () => {
    const flink = new RestFlinkEngine(restUrl);
    const none = await submitJar(restUrl, jar, OWN_JOB.entryClass, ['--brokers', bootstrap, '--payments-topic', 'payments', '--scores-topic', 'scores-none', '--consumer-group', 'fraud-none', '--transactional-id-prefix', 'fraud-none', '--delivery-guarantee', 'none', '--checkpoint-interval-ms', '2000'], 1);
    try {
      // Whether a non-transactional sink flushes on checkpoints shows only once one completed.
      await until('the copy completed a checkpoint', 120_000, async () => ((await flink.checkpoints(none)).counts.completed > 0 ? true : undefined));
      const runsBefore = (JSON.parse((await khaos(['control', 'status', '--json'])).out) as unknown[]).length;
      const r = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', none, '--policy', 'static:2s', '--duration', '10s']);
      expectExit(r, 2);
      expect(r.out).toMatch(/lacks one thing Khaos needs/);
      expect(r.out).toMatch(/the Kafka sink of "score -> scores-sink: Writer.*" has no delivery guarantee/);
      expect(r.out).toMatch(/fix: build the KafkaSink with setDeliveryGuarantee\(DeliveryGuarantee.EXACTLY_ONCE\)/);
      expect((JSON.parse((await khaos(['control', 'status', '--json'])).out) as unknown[]).length).toBe(runsBefore);
    } finally {
      await flink.cancel(none);
    }
  });

  it('attaches to the job it did not start: the requirements hold, paced checkpoints every 2 s, decisions recorded, every payment scored at most once', async () => {
    const flink = new RestFlinkEngine(restUrl);
    const before = (await flink.checkpoints(jobId)).counts.completed;
    await whileProducing(bootstrap, async () => {
      const run = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', jobId, '--policy', 'static:2s', '--duration', '30s']);
      expectExit(run, 0);
      expect(run.out).toMatch(new RegExp(`run \\S+ on job ${jobId}`));
      expect(run.out).not.toMatch(/lacks/);
      const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
      expect(decisions[0]).toMatchObject({ policy: 'static:2000', actuator: 'paced', fromIntervalMs: 60_000, toIntervalMs: 2000, outcome: 'applied' });
      const paced = (await flink.checkpoints(jobId)).counts.completed - before;
      expect(paced).toBeGreaterThanOrEqual(8); // ~30 s at 2 s, where the job's own 60 s interval gives at most one
    });
    // Detached: the job runs on at its own interval, never restarted.
    expect((await flink.job(jobId)).state).toBe('RUNNING');
    expect((await flink.checkpointConfig(jobId)).intervalMs).toBe(60_000);
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);
    // The committed (read_committed) scores: each payment at most once, with its score.
    const bus = messageBusAt(bootstrap);
    const out = await bus.readAllCommitted('scores', { idleMs: 3000, timeoutMs: 60_000 }).finally(() => bus.close());
    const ids = out.map((r) => (JSON.parse(r.value) as { paymentId: string }).paymentId);
    expect(ids.length).toBeGreaterThan(1000);
    expect(new Set(ids).size).toBe(ids.length);
    expect(JSON.parse(out[0]!.value)).toMatchObject({ paymentId: expect.any(String), card: expect.any(String), windowCount: expect.any(Number), score: expect.any(Number) });
  });

  it('khaos+ with the models fitted from the profile above decides on the job and records why', async () => {
    if (!fs.existsSync(samplesFile)) throw new Error('no samples: the profile test above failed');
    const withModels = exampleConfig('attach-models.yaml', stackName, [`  samples: ${samplesFile}`]);
    await whileProducing(bootstrap, async () => {
      const run = await khaos(['control', '--config', withModels, '--attach', restUrl, '--job-id', jobId, '--policy', 'khaos+', '--duration', '30s']);
      expectExit(run, 0);
      expect(run.out).toMatch(/control: models samples:\S+samples\.csv#\d+ \(trained on intervals 2000–6000 ms/);
      const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
      expect(decisions.length).toBeGreaterThan(0);
      expect(decisions.every((d) => d.policy === 'khaos+' && d.reason.length > 0)).toBe(true);
    });
  });
});
