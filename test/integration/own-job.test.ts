import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
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
/** examples/own-job/khaos.yaml under another stack name, with `over` merged over each of its sections. */
const exampleConfig = (name: string, stack: string, over: Record<string, Record<string, unknown>> = {}) => {
  const c = parse(fs.readFileSync(path.join(repoRoot, 'examples', 'own-job', 'khaos.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries({ ...over, stack: { ...over.stack, name: stack } })) c[section] = { ...c[section], ...values };
  return write(name, stringify(c));
};
/**
 * The test's tiny plan: the example's 2 intervals × 2 load levels × 2 kills (with one kill per
 * point, or 3 levels × 1 kill, the models could not be cross-validated: measured), its two replicas
 * side by side (started once, not once per step) and shorter phases: a 10 s baseline (the least a
 * profile takes) holds a commit of the 6 s interval; a step waits at most 30 s for both recoveries (a timeout is no sample).
 */
const TINY_PLAN = { profile: { injection: 'side-by-side', before: '10s', after: '30s', sustain: '3s' } };
const samplesFile = path.join(dir, 'samples.csv');
let jar = '';

beforeAll(() => {
  progress('building examples/own-job with its build.sh…');
  jar = buildOwnJob(repoRoot);
});

describe('your own job through `khaos profile`: a tiny plan on the example job, then models', () => {
  it('profiles 2 intervals × 2 load levels × 2 kills side by side, exports the failures and fits both models', async () => {
    const r = await khaos(['profile', '--config', exampleConfig('profile.yaml', 'it-own-job-profile', TINY_PLAN)]);
    expectExit(r, 0);
    const id = /profile (p\d{14}) done/.exec(r.out)?.[1];
    expect(id, r.out).toBeDefined();
    expectExit(await khaos(['profile', 'export', id!, '--out', samplesFile]), 0);
    const rows = fs.readFileSync(samplesFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(5);
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
      const r = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', none, '--output-topic', 'scores-none', '--policy', 'static:2s', '--duration', '10s']);
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
      const run = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', jobId, '--output-topic', 'scores', '--policy', 'static:2s', '--duration', '15s']);
      expectExit(run, 0);
      expect(run.out).toMatch(new RegExp(`run \\S+ on job ${jobId}`));
      expect(run.out).not.toMatch(/lacks/);
      const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
      expect(decisions[0]).toMatchObject({ policy: 'static:2000', actuator: 'paced', fromIntervalMs: 60_000, toIntervalMs: 2000, outcome: 'applied' });
      const paced = (await flink.checkpoints(jobId)).counts.completed - before;
      expect(paced).toBeGreaterThanOrEqual(4); // ~15 s at 2 s, where the job's own 60 s interval gives at most one
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

  it('khaos+ with the models fitted from the profile above observes the latency of the committed scores, decides on it and records why', async () => {
    if (!fs.existsSync(samplesFile)) throw new Error('no samples: the profile test above failed');
    const withModels = exampleConfig('attach-models.yaml', stackName, { control: { samples: samplesFile } });
    // Without the output topic a job whose job.latency is output-timestamp has no latency to observe: refused before anything runs.
    const refused = await khaos(['control', '--config', withModels, '--attach', restUrl, '--job-id', jobId, '--policy', 'khaos+', '--duration', '5s']);
    expectExit(refused, 2);
    expect(refused.out).toMatch(/job.latency is output-timestamp: .*does not know the topic the job writes them to/);
    expect(refused.out).toMatch(/give --output-topic TOPIC/);
    // The job runs at its own 60 s interval (paced from it), and its scores become visible only when
    // a checkpoint commits them: the first latency reading can come up to 60 s after the start, and
    // an evaluation up to 10 s after it. 25 s passed when a checkpoint happened to fall inside the
    // run, and read no latency at all next to two CPU hogs (CI): 90 s covers one interval and more.
    await whileProducing(bootstrap, async () => {
      const run = await khaos(['control', '--config', withModels, '--attach', restUrl, '--job-id', jobId, '--output-topic', 'scores', '--policy', 'khaos+', '--duration', '90s']);
      expectExit(run, 0);
      expect(run.out).toMatch(/control: models samples:\S+samples\.csv#\d+ \(trained on intervals 2000–6000 ms/);
      expect(run.out).toMatch(/control: latency from the committed output of topic scores \(job.latency output-timestamp\)/);
      expect(run.out).not.toMatch(/no committed record on topic scores/);
      const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
      progress(decisions.map((d) => `${d.action} ${d.fromIntervalMs} → ${d.toIntervalMs} ${d.outcome}: latency ${d.observation.latencyMs} ms; ${d.reason}`).join('\n'));
      expect(decisions.length).toBeGreaterThan(0);
      expect(decisions.every((d) => d.policy === 'khaos+' && d.reason.length > 0)).toBe(true);
      // Latency observed: the policy evaluated on the measured p99 of the committed scores.
      const evaluated = decisions.filter((d) => d.observation.latencyMs !== null && Number.isFinite(d.observation.latencyMs) && !/unusable/.test(d.reason));
      expect(evaluated.length, run.out).toBeGreaterThan(0);
      for (const d of evaluated) expect(d.observation.latencyMs).toBeGreaterThan(0);
    });
  });
});
