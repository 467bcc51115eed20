import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { localControlDeps } from '../../src/compose.js';
import type { DecisionRecord } from '../../src/core/control/records.js';
import { checkSpacing } from '../../src/core/control/spacing.js';
import { exampleControlRun, fileStack, khaos, progress } from './helpers.js';
import { expectExit } from '../support/khaos-cli.js';

describe('khaos control on the local stack: paced interval changes with kills', () => {
  const stackOf = fileStack('ctl', { stack: { heartbeatTimeout: '5s' } });

  it('changes the interval with no restart, follows each new interval, recovers from two kills and loses nothing', async () => {
    const stack = stackOf();
    const deps = localControlDeps(stack, progress);
    try {
      const r = await exampleControlRun(deps);
      expect(r.kills).toBe(2);
      expect(r.reconciliation).toMatchObject({ ok: true, duplicateWindows: 0 });
      expect(r.reconciliation.missing).toHaveLength(0);
      expect(r.reconciliation.extra).toHaveLength(0);

      const store = deps.store;
      const failures = store.events(r.runId, 'failure');
      const kills = store.events(r.runId, 'chaos-kill');
      expect(kills).toHaveLength(2);
      // The job left RUNNING twice, each time right after a kill, and never at a change.
      expect(failures).toHaveLength(2);
      for (const f of failures) expect(kills.some((k) => f.atMs >= k.atMs && f.atMs <= k.atMs + 20_000), `failure at ${f.atMs} not after a kill`).toBe(true);
      const changes = store.decisions(r.runId).filter((d) => d.outcome === 'applied');
      expect(changes.length).toBeGreaterThanOrEqual(1);
      expect(changes[0]!.toIntervalMs).toBeLessThanOrEqual(6000);
      expect(changes.every((d) => d.outageMs === 0 && d.actuator === 'paced')).toBe(true);

      // Spacing of the checkpoints Khaos triggered, from the second after each change on, away from the kills.
      const triggers = [...store.events(r.runId, 'checkpoint-completed'), ...store.events(r.runId, 'checkpoint-fallback')]
        .map((e) => ({ ...(e.data as { triggeredAtMs: number; tookMs: number }), own: e.kind === 'checkpoint-completed' }))
        .map((d) => ({ atMs: d.triggeredAtMs, tookMs: d.tookMs, own: d.own }))
        .sort((a, b) => a.atMs - b.atMs);
      const failureTimes = failures.map((f) => f.atMs);
      const spacing = checkSpacing(changes, triggers, failureTimes, 0.1, 20_000);
      expect(spacing.checked).toBeGreaterThanOrEqual(3);
      expect(spacing.off, JSON.stringify(spacing.off)).toEqual([]);

      // Flink restarted the job for the last kill (its execution graph says so; the metric store's
      // numRestarts can lag on a loaded machine), and the job's own interval is untouched.
      const flink = new RestFlinkEngine(stack.replica('iot-ctl').restUrl);
      const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING')!;
      expect((await flink.job(job.id)).timestamps.RESTARTING).toBeGreaterThanOrEqual(kills[1]!.atMs);
      expect((await flink.checkpointConfig(job.id)).intervalMs).toBe(120_000);
    } finally {
      await deps.bus.close();
      deps.store.close();
    }
  });
});

describe('khaos control --attach: a job Khaos did not start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-attach-'));
  const config = path.join(dir, 'attach.yaml');
  fs.writeFileSync(config, ['stack:', '  name: it-attach', '  heartbeatTimeout: 5s', 'job:', '  kind: iot', '  checkpointInterval: 60s', 'control:', '  tick: 1s', '  minUptime: 0s', ''].join('\n'));
  let restUrl = '';

  beforeAll(async () => {
    const up = await khaos(['stack', 'up', '--config', config]);
    progress(up.out.trim().split('\n').slice(-2).join(' | '));
    expect(up.code, up.out).toBe(0);
    restUrl = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(up.out)![1]!;
  });
  afterAll(async () => {
    await khaos(['stack', 'down', '--name', 'it-attach']);
  });

  it('controls it with paced checkpoints, detaches, and the job runs on at its own interval, also after a SIGKILL', async () => {
    const flink = new RestFlinkEngine(restUrl);
    const jobId = (await flink.listJobs())[0]!.id;
    const before = (await flink.checkpoints(jobId)).counts.completed;

    const run = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', jobId, '--policy', 'static:2s', '--duration', '25s']);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/stays as the fallback/);
    const decisions = JSON.parse((await khaos(['control', 'decisions', '--json'])).out) as DecisionRecord[];
    expect(decisions[0]).toMatchObject({ policy: 'static:2000', actuator: 'paced', toIntervalMs: 2000, outcome: 'applied' });
    for (const k of ['atMs', 'policy', 'actuator', 'fromIntervalMs', 'toIntervalMs', 'reason', 'outcome']) expect(decisions[0]).toHaveProperty(k);
    const paced = (await flink.checkpoints(jobId)).counts.completed - before;
    expect(paced).toBeGreaterThanOrEqual(6); // ~25 s at 2 s, where the job's own 60 s interval gives at most one

    // Detached: the job runs on, unrestarted, at its own interval.
    const afterRun = await flink.job(jobId);
    expect(afterRun.state).toBe('RUNNING');
    expect((await flink.checkpointConfig(jobId)).intervalMs).toBe(60_000);
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);

    // SIGKILLed mid-run: nothing to clean up, the job is untouched.
    const killed = await khaos(['control', '--config', config, '--attach', restUrl, '--policy', 'static:3s'], { killOn: /triggered|→ 3000 ms/, killAfterMs: 3000 });
    expect(killed.signal).toBe('SIGKILL');
    expect((await flink.job(jobId)).state).toBe('RUNNING');
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);
    expect((await flink.checkpointConfig(jobId)).intervalMs).toBe(60_000);
    const status = JSON.parse((await khaos(['control', 'status', '--json'])).out) as { id: string; status: string }[];
    expect(status[0]!.status).toBe('interrupted'); // its process is gone; nothing else is left of it
  });

  it('refuses a job id that does not exist, saying what to do', async () => {
    const r = await khaos(['control', '--config', config, '--attach', restUrl, '--job-id', 'ffffffffffffffffffffffffffffffff']);
    expectExit(r, 2);
    expect(r.out).toMatch(/no job f{32} at http/);
    expect(r.out).toMatch(/jobs there:/);
  });

  it('refuses an address where no Flink answers', async () => {
    const r = await khaos(['control', '--config', config, '--attach', 'http://127.0.0.1:1', '--request-timeout', '2s']);
    expectExit(r, 3); // the platform, not the input: see src/cli/exit-codes.ts
    expect(r.out).toMatch(/no Flink REST API answers at http:\/\/127\.0\.0\.1:1/);
  });
});
