import { describe, expect, it } from 'vitest';
import { RestartActuator } from '../../src/app/control/restart-actuator.js';
import { JobSampler, taskManagerRunning } from '../../src/app/observe.js';
import { Controller } from '../../src/app/control/controller.js';
import { Pacer } from '../../src/app/control/pacer.js';
import { findControllableJob, runControlSession } from '../../src/app/control/session.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import type { FlinkEngine } from '../../src/ports/flink-engine.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { createPolicy } from '../../src/core/control/policies.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { controlledRunWithKill, controlOptions, controlSettingsFor, fakeControlTarget } from '../fakes/controlled-run.js';

async function setup(fallbackMs = 600_000) {
  return { ...(await fakeControlTarget(fallbackMs)), store: new MemoryControlStore() };
}

/** Trigger times of completed checkpoints, as Flink's history would show them. */
function completedTriggers(platform: FakeFlinkPlatform): number[] {
  return platform.inspect('job').checkpoints.filter((c) => !c.isSavepoint).map((c) => c.triggerTimestampMs);
}

const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]!);

const options = controlOptions;
const settings = controlSettingsFor;

describe('Pacer (paced actuator) on the fake platform', { timeout: 30_000 }, () => {
  it('checkpoints at the chosen interval instead of the fallback, and a change takes effect at once without a restart', async () => {
    const { clock, platform, flink } = await setup();
    const pacer = new Pacer(flink, clock, 2000);
    const end = clock.now() + 60_000;
    let changedAtMs = 0;
    while (clock.now() < end) {
      await pacer.tick();
      if (!changedAtMs && clock.now() >= end - 30_000) {
        expect((await pacer.apply(5000)).outageMs).toBe(0);
        changedAtMs = clock.now();
      }
      await clock.sleep(Math.max(10, Math.min(250, (pacer.dueAtMs() ?? 0) - clock.now())));
    }
    const triggers = completedTriggers(platform);
    const before = gaps(triggers.filter((t) => t < changedAtMs));
    const after = gaps(triggers.filter((t) => t > changedAtMs));
    expect(before.length).toBeGreaterThanOrEqual(10);
    for (const g of before.slice(1)) expect(Math.abs(g - 2000)).toBeLessThanOrEqual(200);
    expect(after.length).toBeGreaterThanOrEqual(4);
    for (const g of after.slice(1)) expect(Math.abs(g - 5000)).toBeLessThanOrEqual(500);
    const job = (await flink.listJobs())[0]!;
    expect(job.state).toBe('RUNNING');
    expect((await flink.jobMetrics(job.id, ['numRestarts'])).numRestarts).toBe(0);
    expect((await flink.checkpointConfig(job.id)).intervalMs).toBe(600_000); // the fallback, untouched
  });

  it('never has two checkpoints in flight, backs off while the job restarts, and paces again after the recovery', async () => {
    const { clock, platform, flink } = await setup();
    const pacer = new Pacer(flink, clock, 1000);
    const reports: string[] = [];
    let maxInFlight = 0;
    let killed = false;
    for (const end = clock.now() + 40_000; clock.now() < end; ) {
      const r = await pacer.tick();
      reports.push(r.kind);
      const job = (await flink.listJobs())[0]!;
      maxInFlight = Math.max(maxInFlight, (await flink.checkpoints(job.id)).counts.inProgress);
      if (!killed && clock.now() > end - 30_000) {
        await platform.injectorFor('job').inject({ type: 'kill', taskManagerId: (await taskManagerRunning(flink)).taskManagerId });
        killed = true;
      }
      await platform.restartDeadTaskManagers('job');
      await clock.sleep(100);
    }
    expect(maxInFlight).toBeLessThanOrEqual(1);
    expect(reports).toContain('completed');
    const triggers = completedTriggers(platform);
    expect(triggers.at(-1)!).toBeGreaterThan(clock.now() - 3000); // pacing resumed after the restart
  });

  it('stops triggering before its failures reach Flink’s tolerable limit', async () => {
    const { clock, flink } = await setup();
    // A job whose triggers always fail: the pacer must pause after `tolerable` failures in a row.
    let n = 0;
    const failing: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, {
      triggerCheckpoint: async () => `${++n}`.padStart(32, '0'),
      checkpointTriggerStatus: async () => ({ state: 'FAILED' as const, cause: 'CheckpointException: declined' }),
    });
    const pacer = new Pacer(failing, clock, 1000, { maxBackoffMs: 2000, triggerTimeoutMs: 60_000 });
    let triggers = 0;
    for (let i = 0; i < 200; i++) {
      if ((await pacer.tick()).kind === 'triggered') triggers++;
      await clock.sleep(100);
    }
    expect(triggers).toBe(3); // the fake's tolerable-failed-checkpoints
    expect(pacer.paused).toBe(true);
  });
});

describe('control session on the fake platform', { timeout: 30_000 }, () => {
  it('static policy: moves to the static interval once, records the decision with its outcome, never restarts the job', async () => {
    const { clock, platform, flink, store } = await setup();
    const r = await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r1', ownerPid: 1 },
      settings('static:3000'),
      { startIntervalMs: 8000, config: {} },
      () => clock.now() > 1_700_000_060_000,
    );
    expect(r.changes).toBe(1);
    const ds = store.decisions('r1');
    expect(ds[0]).toMatchObject({ policy: 'static:3000', actuator: 'paced', action: 'change', fromIntervalMs: 8000, toIntervalMs: 3000, outcome: 'applied' });
    expect(store.getRun('r1')).toMatchObject({ status: 'stopped', fallbackIntervalMs: 600_000 });
    const late = completedTriggers(platform).filter((t) => t > ds[0]!.atMs + 1000);
    for (const g of gaps(late)) expect(Math.abs(g - 3000)).toBeLessThanOrEqual(300);
    expect((await flink.jobMetrics((await flink.listJobs())[0]!.id, ['numRestarts'])).numRestarts).toBe(0);
  });

  /** A session of `policy` with models from simulated samples, one TaskManager killed at +40 s. */
  async function killedOnce(policy: string, runId: string) {
    const store = new MemoryControlStore();
    const { logs, ticks } = await controlledRunWithKill(store, policy, runId);
    return { store, logs, ticks };
  }

  it('khaos+ with models: measures a production failure, learns from it and names the model version in each decision', async () => {
    const { store, ticks } = await killedOnce('khaos+', 'r2');
    const recoveries = store.events('r2', 'recovery');
    expect(store.events('r2', 'failure')).toHaveLength(1);
    expect(recoveries).toHaveLength(1);
    expect((recoveries[0]!.data as { origin: string }).origin).toBe('production');
    expect(store.events('r2', 'models')[0]!.detail).toMatch(/online:simulated\+1#17/);
    const ds = store.decisions('r2');
    expect(ds.length).toBeGreaterThan(0);
    expect(ds[0]!.modelVersion).toMatch(/^samples:simulated#16$/);
    expect(ds.at(-1)!.modelVersion).toMatch(/^online:/);
    expect(ds.every((d) => d.reason.length > 0 && d.observation.atMs > 0)).toBe(true);
    // For a window after the recovery ended, the window holds its catch-up: no evaluation on it.
    const endTick = ticks.findIndex((t) => t.failure !== undefined);
    expect(endTick).toBeGreaterThan(0);
    const endedMs = ticks[endTick]!.observation.atMs;
    const windowMs = settings('khaos+').windowMs;
    const after = ticks.slice(endTick);
    for (const t of after) expect(t.observation.windowHasRecovery, `tick at +${t.observation.atMs - endedMs} ms`).toBe(t.observation.atMs - endedMs < windowMs);
    const held = after.filter((t) => t.observation.windowHasRecovery && !t.observation.recovering);
    expect(held.length).toBeGreaterThan(10);
    for (const t of held) expect(t.decision).toMatchObject({ action: 'wait', reason: expect.stringMatching(/window still holds its catch-up/) });
  });

  it('khaos keeps the models it started with, as the original (fitted once, never refitted), and says so', async () => {
    const { store, logs } = await killedOnce('khaos', 'r2k');
    expect(store.events('r2k', 'recovery')).toHaveLength(1);
    expect(store.events('r2k', 'models')).toHaveLength(0);
    expect(store.decisions('r2k').every((d) => d.modelVersion === 'samples:simulated#16')).toBe(true);
    expect(logs.join('\n')).toContain('khaos keeps the models it started with');
  });

  it('dry run: decides and records, never acts', async () => {
    const { clock, platform, flink, store } = await setup(5000);
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r3', ownerPid: 1 },
      settings('static:2000', { dryRun: true }),
      { config: {} },
      () => clock.now() > 1_700_000_030_000,
    );
    expect(store.decisions('r3')[0]).toMatchObject({ action: 'change', toIntervalMs: 2000, outcome: 'dry-run' });
    for (const g of gaps(completedTriggers(platform)).slice(1)) expect(Math.abs(g - 5000)).toBeLessThanOrEqual(100);
  });

  it("a person's commands are obeyed on the next tick and recorded as decisions taken by a person: pause, resume, an override until it expires", async () => {
    const { clock, platform, flink, store } = await setup();
    const t0 = clock.now();
    const queued = new Set<string>();
    const at = (s: number, key: string, cmd: Parameters<typeof store.queueCommand>[2]) => {
      if (clock.now() - t0 < s * 1000 || queued.has(key)) return;
      queued.add(key);
      store.queueCommand('r12', clock.now(), cmd);
    };
    store.queueCommand('r12', t0, { kind: 'pause' }); // before the first tick, which takes it
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r12', ownerPid: 1 },
      settings('static:3000'),
      { startIntervalMs: 8000, config: {} },
      () => clock.now() - t0 > 90_000,
      () => {
        at(25, 'resume', { kind: 'resume' });
        at(35, 'override', { kind: 'override', intervalMs: 6000, untilMs: t0 + 65_000 });
        at(70, 'dry', { kind: 'dry-run', on: true });
      },
    );
    const ds = store.decisions('r12');
    const changes = ds.filter((d) => d.action === 'change').map((d) => [d.toIntervalMs, d.by ?? 'policy', d.outcome, Math.round((d.atMs - t0) / 1000)]);
    // Paused: the static policy does not move the interval until the resume at +25 s.
    expect(changes.map((c) => c.slice(0, 3))).toEqual([[3000, 'policy', 'applied'], [6000, 'person', 'applied'], [3000, 'policy', 'applied']]);
    expect(changes[0]![3]).toBeGreaterThanOrEqual(25);
    expect(changes[1]![3]).toBeGreaterThanOrEqual(35);
    expect(changes[2]![3]).toBeGreaterThanOrEqual(65);
    const byPerson = ds.filter((d) => d.by === 'person' && d.action === 'keep').map((d) => d.reason);
    expect(byPerson).toHaveLength(4);
    expect(byPerson[0]).toMatch(/paused control: the interval stays at 8000 ms/);
    expect(byPerson[3]).toMatch(/dry-run on/);
    expect(store.commands('r12').every((c) => c.outcome === 'applied' && c.takenAtMs! - c.atMs <= 1000)).toBe(true);
    expect(store.events('r12', 'operator')[0]!.detail).toMatch(/6000 ms\) expired/);
    // The paced checkpoints follow the person's interval while it holds.
    const held = completedTriggers(platform).filter((t) => t > Number(changes[1]![3]) * 1000 + t0 + 7000 && t < t0 + 65_000);
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const g of gaps(held)) expect(Math.abs(g - 6000)).toBeLessThanOrEqual(600);
  });

  it('restart actuator: a change relaunches the job from a savepoint, and the outage is recorded', async () => {
    const { clock, platform, flink, store } = await setup(4000);
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r4', ownerPid: 1 },
      settings('static:2000', { actuator: 'restart' }),
      { restartActuator: new RestartActuator({ orchestrator: platform, flink, store, clock, log: () => {}, runId: () => 'r4' }, 'job', 'fake/job'), config: {} },
      () => clock.now() > 1_700_000_040_000,
    );
    const d = store.decisions('r4')[0]!;
    expect(d).toMatchObject({ actuator: 'restart', fromIntervalMs: 4000, toIntervalMs: 2000, outcome: 'applied' });
    expect(d.outageMs).toBeGreaterThan(8000); // the fake's relaunch time
    expect(platform.replica('job').checkpointIntervalMs).toBe(2000);
  });
});

describe('bad input to a control session', { timeout: 30_000 }, () => {
  it('a job id that does not exist, or several jobs without one named: a clear error that says what to do', async () => {
    const { flink } = await setup();
    await expect(findControllableJob(flink, 'ffffffffffffffffffffffffffffffff')).rejects.toThrow(new RegExp(`no job f{32} at ${flink.restUrl}`));
    const none: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, { isReachable: async () => false });
    await expect(findControllableJob(none)).rejects.toMatchObject({ kind: 'platform', hint: expect.stringMatching(/check the address/) });
  });

  it('a REST that misses one answer is tried again, a bounded number of times, before it is called unreachable', async () => {
    const { flink } = await setup();
    const answers = [false, true];
    let asked = 0;
    const blip: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, { isReachable: async () => answers[asked++] ?? true });
    await expect(findControllableJob(blip)).resolves.toMatchObject({ jobId: expect.any(String) });
    expect(asked).toBe(2);
    let tried = 0;
    const down: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, { isReachable: async () => (tried++, false) });
    await expect(findControllableJob(down)).rejects.toMatchObject({ kind: 'platform' });
    expect(tried).toBe(3);
  });

  it('a job without checkpointing is refused with what to do', async () => {
    const { flink } = await setup();
    const off: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, {
      checkpointConfig: async () => ({ intervalMs: 9223372036854775807, timeoutMs: 1, minPauseMs: 0, mode: 'exactly_once' }),
    });
    await expect(findControllableJob(off)).rejects.toMatchObject({ kind: 'bad-input', hint: expect.stringMatching(/execution.checkpointing.interval/) });
  });

  it('REST errors and NaN metrics during control are recorded and the loop goes on without acting', async () => {
    const { clock, flink, store } = await setup();
    let calls = 0;
    const flaky: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, {
      vertexMetrics: async (...a: Parameters<FlinkEngine['vertexMetrics']>) => {
        calls++;
        if (calls % 3 === 0) throw new Error('socket hang up');
        const m = await flink.vertexMetrics(...a);
        return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, calls % 2 ? { ...v, max: Number.NaN } : v]));
      },
    });
    const r = await runControlSession(
      { flink: flaky, clock, store, log: () => {}, newRunId: () => 'r5', ownerPid: 1 },
      settings('khaos+'),
      { startIntervalMs: 5000, config: {} }, // no models: khaos+ keeps and says why
      () => clock.now() > 1_700_000_060_000,
    );
    expect(r.changes).toBe(0);
    const ds = store.decisions('r5');
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.action === 'keep' && /model/i.test(d.reason))).toBe(true);
  });

  it('the sampler sees a restart by someone else as a failure, and the policy waits through it', async () => {
    const { clock, platform, flink, store } = await setup();
    const sampler = new JobSampler(flink, clock, { jobMetrics: true });
    expect((await sampler.sample()).restarts).toBe(0);
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r6', ownerPid: 1 },
      settings('static:3000'),
      { config: {} },
      () => clock.now() > 1_700_000_050_000,
      async () => {
        await platform.restartDeadTaskManagers('job');
        if (clock.now() > 1_700_000_020_000 && store.events('r6', 'failure').length === 0 && platform.inspect('job').jobState === 'RUNNING') {
          await platform.injectorFor('job').inject({ type: 'kill', taskManagerId: (await taskManagerRunning(flink)).taskManagerId });
        }
      },
    );
    expect(store.events('r6', 'failure')).toHaveLength(1);
  });

  it('a job cancelled by someone else during control: its end is recorded, and nothing is done to it', async () => {
    const { clock, flink, store } = await setup();
    let cancelled = false;
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r7', ownerPid: 1 },
      settings('static:3000'),
      { startIntervalMs: 3000, config: {} },
      () => clock.now() > 1_700_000_040_000,
      async () => {
        if (!cancelled && clock.now() > 1_700_000_010_000) {
          cancelled = true;
          await flink.cancel((await flink.listJobs())[0]!.id);
        }
      },
    );
    // An application-mode JobManager exits with its cancelled job: Flink no longer answers.
    expect(store.events('r7', 'unreachable')).toHaveLength(1);
    expect(store.events('r7', 'failure')).toHaveLength(0);
    expect(store.decisions('r7').filter((d) => d.outcome === 'applied')).toHaveLength(0);
  });

  it('models trained on intervals outside every candidate are not used: khaos+ keeps, saying no models are loaded', async () => {
    const { clock, flink, store } = await setup();
    const lines: string[] = [];
    const samples = simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3)); // intervals 10–120 s
    await runControlSession(
      { flink, clock, store, log: (l) => lines.push(l), newRunId: () => 'r8', ownerPid: 1 },
      settings('khaos+', { options: options({ candidateMinMs: 1000, candidateMaxMs: 5000 }) }),
      { startIntervalMs: 3000, samples: { samples, source: 'simulated' }, config: {} },
      () => clock.now() > 1_700_000_040_000,
    );
    expect(lines.join('\n')).toMatch(/outside every candidate .*not used/);
    const ds = store.decisions('r8');
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.action === 'keep' && /no models/i.test(d.reason))).toBe(true);
  });

  it('a Flink REST API slower than the request time-out: the tick is "not ready", recorded, nothing counted as a failure', async () => {
    const { clock, flink, store } = await setup();
    const hanging = ((_url: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch;
    const slow = new RestFlinkEngine('http://flink', { fetch: hanging, requestTimeoutMs: 20 });
    const sampler = new JobSampler(slow, clock, { jobMetrics: true });
    const pacer = new Pacer(flink, clock, 2000);
    const controller = new Controller(
      { sampler, clock, store, policy: createPolicy('static:2000', options()), actuator: pacer },
      { runId: 'r9', windowMs: 10_000, dryRun: false, recoveryTimeoutMs: 60_000, forecast: { enabled: false, horizonMs: 1, historyMs: 1 }, recovery: { baselineMs: 10_000, sustainMs: 3000, sampleEveryMs: 1000, slackSeconds: 0.5 } },
    );
    store.createRun({ id: 'r9', startedAtMs: clock.now(), status: 'running', policy: 'static:2000', actuator: 'paced', dryRun: false, restUrl: 'http://flink', fallbackIntervalMs: 60_000, config: {} });
    for (let i = 0; i < 3; i++) {
      const r = await controller.tick();
      expect(r.sample.state).toBe('UNREACHABLE');
      expect(r.decision.action).toBe('wait');
      await clock.sleep(1000);
    }
    expect(store.events('r9', 'unreachable')).toHaveLength(1);
    expect(store.events('r9', 'failure')).toHaveLength(0);
    expect(store.decisions('r9')).toHaveLength(0);
  });

  it('a latency gauge that never moves over the window is taken as stale: latency unknown, the policy keeps', async () => {
    const { clock, flink, store } = await setup();
    const samples = simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3));
    await runControlSession(
      { flink, clock, store, log: () => {}, newRunId: () => 'r10', ownerPid: 1 },
      settings('khaos+', { options: options({ candidateMinMs: 10_000, candidateMaxMs: 60_000 }) }),
      { startIntervalMs: 20_000, samples: { samples, source: 'simulated' }, config: {} },
      () => clock.now() > 1_700_000_060_000,
    );
    const ds = store.decisions('r10');
    expect(ds.length).toBeGreaterThan(0);
    expect(ds.every((d) => d.observation.latencyMs === null && d.action === 'keep')).toBe(true); // NaN is stored as null
  });

  it('a restart seen only in the counter (between samples) ends when lag is normal, and is no learning sample', async () => {
    const { clock, flink, store } = await setup();
    let restarts = 0;
    const counting: FlinkEngine = Object.assign(Object.create(flink) as FlinkEngine, {
      jobMetrics: async (...a: Parameters<FlinkEngine['jobMetrics']>) => ({ ...(await flink.jobMetrics(...a)), numRestarts: restarts }),
    });
    const samples = simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3));
    await runControlSession(
      { flink: counting, clock, store, log: () => {}, newRunId: () => 'r11', ownerPid: 1 },
      settings('static:3000'),
      { samples: { samples, source: 'simulated' }, config: {} },
      () => clock.now() > 1_700_000_060_000,
      () => void (clock.now() > 1_700_000_020_000 && (restarts = 2)),
    );
    expect(store.events('r11', 'failure')).toHaveLength(1);
    const rec = store.events('r11', 'recovery');
    expect(rec).toHaveLength(1);
    expect(rec[0]!.detail).toMatch(/seen only in Flink’s counter/);
    expect(store.events('r11', 'models')).toHaveLength(0);
    expect(rec[0]!.atMs - store.events('r11', 'failure')[0]!.atMs).toBeLessThan(10_000);
  });
});
