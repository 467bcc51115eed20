import { describe, expect, it } from 'vitest';
import { runProfile, type ProfileDeps } from '../../src/app/profile.js';
import { checkPlan } from '../../src/core/profiling/profile-plan.js';
import type { ProfilePlan } from '../../src/core/profiling/profile-records.js';
import { parseTraceCsv } from '../../src/core/workload/trace.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import { MemoryProfileStore } from '../fakes/memory-profile-store.js';

/** A day of load rising linearly from 0 to its peak: points early in it are light, late ones heavy. */
const trace = parseTraceCsv('t,v\n2020-01-01 00:00:00,0\n2020-01-02 00:00:00,100\n', 'ramp');

const plan = (over: Partial<ProfilePlan> = {}): ProfilePlan =>
  checkPlan({
    job: 'iot', intervalsMs: [2000, 10_000], repetitions: 1, failure: 'kill', freezeMs: 0, timing: 'before-checkpoint', leadMs: 500, parallelism: 1, seed: 7,
    points: [
      { index: 0, traceOffsetSec: 30_000, level: 35, rate: 35 },
      { index: 1, traceOffsetSec: 75_000, level: 87, rate: 87 },
    ],
    replay: { trace: 'ramp', peakRateEps: 9000, compression: 60, beforeSec: 20, afterSec: 120 },
    sustainSec: 3, recoveryTimeoutMs: 120_000,
    ...over,
  });

function setup(p: ProfilePlan, options: ConstructorParameters<typeof FakeFlinkPlatform>[1] = {}) {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 1000, restartDelayMs: 1000, ...options });
  const store = new MemoryProfileStore();
  store.createProfile({ id: 'p1', createdAtMs: clock.now(), status: 'running', plan: p, provenance: { config: {}, flinkVersion: 'fake', jobJarSha256: 'fake', clock: 'manual', timeScaling: { compression: 60 } } });
  const lines: string[] = [];
  const deps: ProfileDeps = {
    orchestrator: platform, bus: platform.feedingBus(new MemoryMessageBus(), 'khaos-prof-p1-in'), flinkAt: (u) => platform.flinkAt(u),
    injectorFor: (r) => platform.injectorFor(r), clock, store, log: (l) => lines.push(l),
  };
  return { clock, platform, store, deps, lines };
}

describe('runProfile on a fake platform with a manual clock', { timeout: 30_000 }, () => {
  it('profiles every interval in parallel and finds recovery growing with interval and throughput', async () => {
    const { deps, store } = setup(plan());
    const started = Date.now();
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    expect(Date.now() - started).toBeLessThan(10_000); // minutes of simulated time in about a second (10 s allows a loaded CI machine)
    const ms = store.measurements('p1');
    expect(ms).toHaveLength(4);
    const rec = (point: number, ci: number) => ms.find((m) => m.pointIndex === point && m.ciMs === ci)!;
    for (const m of ms) {
      expect(m.outcome).toBe('recovered');
      // true detection delay 1 s, observed through once-a-second samples
      expect(m.detectionSec).toBeGreaterThanOrEqual(1);
      expect(m.detectionSec).toBeLessThanOrEqual(2.01);
      expect(Math.abs(m.actualLeadMs! - m.plannedLeadMs!)).toBeLessThanOrEqual(100); // injected on plan
    }
    expect(rec(0, 10_000).recoverySec!).toBeGreaterThan(rec(0, 2000).recoverySec!);
    expect(rec(1, 10_000).recoverySec!).toBeGreaterThan(rec(0, 10_000).recoverySec!);
    expect(rec(1, 2000).throughputEps!).toBeGreaterThan(rec(0, 2000).throughputEps! * 2);
    expect(store.getProfile('p1')?.status).toBe('done');
  });

  it('resumes an interrupted profile at the first step not stored, without redoing stored ones', async () => {
    const { deps, store } = setup(plan());
    let seconds = 0;
    expect(await runProfile(deps, 'p1', trace, { shouldStop: () => seconds > 0 && store.steps('p1').length === 1, onProgress: () => seconds++ })).toBe('interrupted');
    expect(store.getProfile('p1')?.status).toBe('interrupted');
    expect(store.steps('p1').map((s) => s.pointIndex)).toEqual([0]);
    const { deps: deps2 } = setup(plan());
    const resumed = { ...deps2, store };
    expect(await runProfile(resumed, 'p1', trace)).toBe('done');
    expect(store.steps('p1').map((s) => s.pointIndex).sort()).toEqual([0, 1]);
    expect(store.measurements('p1')).toHaveLength(4);
  });

  it('records a failure that never recovers as a timeout, and goes on', async () => {
    // The heavy point's input is above capacity: the backlog never drains.
    const { deps, store } = setup(plan({ replay: { trace: 'ramp', peakRateEps: 9000, compression: 60, beforeSec: 20, afterSec: 40 } }), { capacityEps: 8000 });
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const heavy = store.measurements('p1').filter((m) => m.pointIndex === 1);
    expect(heavy.map((m) => m.outcome)).toEqual(['timeout', 'timeout']);
    expect(heavy.every((m) => m.recoverySec === null)).toBe(true);
    expect(store.measurements('p1').filter((m) => m.pointIndex === 0).every((m) => m.outcome === 'recovered')).toBe(true);
  });

  it('injects just after a checkpoint when asked, with a shorter recovery than just before one', async () => {
    const before = setup(plan());
    await runProfile(before.deps, 'p1', trace);
    const after = setup(plan({ timing: 'after-checkpoint' }));
    await runProfile(after.deps, 'p1', trace);
    const long = (s: typeof before) => s.store.measurements('p1').find((m) => m.ciMs === 10_000 && m.pointIndex === 1)!.recoverySec!;
    expect(long(after)).toBeLessThan(long(before));
  });

  it('refuses an unknown profile and a plan with problems, naming them all', async () => {
    const { deps } = setup(plan());
    await expect(runProfile(deps, 'nope', trace)).rejects.toMatchObject({ kind: 'bad-input' });
    expect(() => plan({ intervalsMs: [100, 100], leadMs: 5000 })).toThrow(/outside 500 ms.*\n.*repeat.*\n.*leadMs 5000/s);
  });

  it('an injection that fails mid-replay ends the step with a clear error, stored as failed, and nothing unhandled', async () => {
    const { deps, store } = setup(plan());
    const failing = { ...deps, injectorFor: () => ({ kill: async () => Promise.reject(new Error('could not SIGKILL pid 4242')), freeze: async () => Promise.reject(new Error('no')) }) };
    await expect(runProfile(failing, 'p1', trace)).rejects.toThrow(/injecting a kill into replica ci-\d+ failed: could not SIGKILL pid 4242/);
    expect(store.steps('p1')).toMatchObject([{ status: 'failed', error: expect.stringMatching(/could not SIGKILL/) }]);
  });

  it('profiles a freeze longer than detection: a restart, measured like a kill', async () => {
    const { deps, store } = setup(plan({ failure: 'freeze', freezeMs: 3000 }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const ms = store.measurements('p1');
    expect(ms).toHaveLength(4);
    expect(ms.every((m) => m.outcome === 'recovered')).toBe(true);
  });
});

describe('runDemo on a fake platform with a manual clock', { timeout: 30_000 }, () => {
  it('an injection that fails mid-replay stops the replay and rejects with a clear message (the CLI then tears down)', async () => {
    const { runDemo } = await import('../../src/app/demo.js');
    const clock = new ManualClock();
    const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 1000, restartDelayMs: 1000 });
    const lines: string[] = [];
    const deps = {
      orchestrator: platform, bus: platform.feedingBus(new MemoryMessageBus(), 'khaos-iot-input'), flinkAt: (u: string) => platform.flinkAt(u), clock, log: (l: string) => lines.push(l),
      injectorFor: () => ({ kill: async () => Promise.reject(new Error('could not SIGKILL pid 4242')), freeze: async () => Promise.reject(new Error('no')) }),
    };
    await expect(
      runDemo(deps, { job: 'iot', trace, seed: 1, checkpointIntervalMs: 2000, parallelism: 1, partitions: 2, peakRateEps: 500, compression: 60, startOffsetSec: 30_000, durationSec: 120, failAtSec: 10, failure: 'kill', freezeMs: 0, recoveryTimeoutMs: 60_000 }),
    ).rejects.toThrow(/injecting a kill failed: could not SIGKILL pid 4242/);
    expect(lines.some((l) => /replay: second 20/.test(l))).toBe(false); // the replay stopped soon after the failed injection
  });
});
