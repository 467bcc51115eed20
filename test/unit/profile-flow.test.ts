import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProfile, type ProfileDeps, type ProfileProgress } from '../../src/app/profile.js';
import { KhaosError } from '../../src/core/errors.js';
import { builtInJob } from '../../src/core/jobs.js';
import type { FailureInjector, FailureType } from '../../src/ports/failure-injector.js';
import { probeCapacity } from '../../src/app/capacity-probe.js';
import { withinMeasuredCapacity } from '../../src/app/profile.js';
import { progressLine } from '../../src/cli/profile.js';
import { checkPlan, defaultInjection, placeLevels, profileSummary } from '../../src/core/profiling/profile-plan.js';
import { recoveredSamples, type FailureMeasurement, type ProfilePlan } from '../../src/core/profiling/profile-records.js';
import { buildProfileReport } from '../../src/report/profile-report.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
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
    orchestrator: platform, bus: platform.feedingBus(new MemoryMessageBus(), (t) => t.startsWith('khaos-prof-p1-in')), flinkAt: (u) => platform.flinkAt(u),
    injectorFor: (r) => platform.injectorFor(r), clock, store, log: (l) => lines.push(l),
  };
  /** Calls to the platform and to the replicas' REST APIs so far: none may come after a run returned. */
  const calls = () => platform.calls.length + ['http://127.0.0.1:8081', 'http://127.0.0.1:8082'].reduce((n, u) => n + platform.flinkAt(u).calls.length, 0);
  // runProfile stops every replica it started: what a test reads of one afterwards is its last look, just before its stop.
  const lastLook = new Map<string, { snapshot: ReturnType<FakeFlinkPlatform['inspect']>; restUrl: string; numRestarts?: number }>();
  const stop = platform.stopReplica.bind(platform);
  platform.stopReplica = async (name: string) => {
    const restUrl = platform.replica(name).restUrl;
    const [job] = await platform.flinkAt(restUrl).listJobs();
    lastLook.set(name, { snapshot: platform.inspect(name), restUrl, numRestarts: job && (await platform.flinkAt(restUrl).jobMetrics(job.id, ['numRestarts'])).numRestarts });
    return stop(name);
  };
  return { clock, platform, store, deps, lines, calls, lastLook };
}

/** An injector whose signals fail, noting when each was tried. */
function failingInjector(clock: ManualClock, tried: number[]): FailureInjector {
  const signals: Partial<Record<FailureType, string>> = { kill: 'SIGKILL', freeze: 'SIGSTOP', exception: 'write the marker to' };
  return {
    inject: async (spec) => {
      tried.push(clock.now());
      throw new KhaosError('platform', `could not ${signals[spec.type] ?? `inject a ${spec.type} into`} pid 4242`);
    },
  };
}

/** Rejections nobody handled (one would end the process without teardown). */
let unhandled: unknown[] = [];
const keep = (e: unknown) => void unhandled.push(e);
beforeEach(() => void ((unhandled = []), process.on('unhandledRejection', keep)));
afterEach(() => void process.off('unhandledRejection', keep));

/** After a step that failed: it is stored as failed with `error`, ended within about a second of `failedAtMs`, and a minute later nothing has touched the platform nor gone unhandled. */
async function expectFailedAtOnce(s: ReturnType<typeof setup>, error: RegExp, failedAtMs: number | undefined): Promise<void> {
  expect(s.store.steps('p1')).toMatchObject([{ status: 'failed', error: expect.stringMatching(error) }]);
  expect(s.store.steps('p1')[0]!.endedAtMs - failedAtMs!).toBeLessThanOrEqual(1500);
  const after = s.calls();
  await s.clock.sleep(60_000);
  expect(s.calls()).toBe(after);
  expect(unhandled).toEqual([]);
}

describe('runProfile on a fake platform with a manual clock', { timeout: 30_000 }, () => {
  it('profiles every interval in parallel and finds recovery growing with interval and throughput', async () => {
    const { deps, store } = setup(plan());
    const started = Date.now();
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    expect(Date.now() - started).toBeLessThan(25_000); // minutes of simulated time in about a second idle (12 s measured beside a real profile: 9 JVMs on 2 cores)
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

  it('sampling faster than once a second asks the replicas for metrics that refresh as often (else every other sample repeats the last)', async () => {
    const requests = async (p: ProfilePlan) => {
      const { deps, platform } = setup(p);
      expect(await runProfile(deps, 'p1', trace)).toBe('done');
      return platform.calls.filter((c) => c.method === 'startReplica').map((c) => (c.args[0] as { metricsRefreshMs?: number }).metricsRefreshMs);
    };
    expect(await requests(plan({ sampleEveryMs: 500, points: plan().points.slice(0, 1) }))).toEqual([500, 500]);
    expect(await requests(plan({ points: plan().points.slice(0, 1) }))).toEqual([undefined, undefined]);
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
    // each timeout keeps its series from its baseline to its time-out: the lag never came back to its baseline
    for (const m of heavy) {
      const lags = m.series!.filter((x) => x.lag !== undefined);
      expect(m.series![0]!.tMs).toBeLessThan(m.injectedAtMs);
      expect(m.series!.at(-1)!.tMs).toBeGreaterThan(m.injectedAtMs + 30_000);
      expect(lags.at(-1)!.lag!).toBeGreaterThan(10 * Math.max(1, lags[0]!.lag!));
    }
    expect(store.measurements('p1').filter((m) => m.pointIndex === 0).every((m) => m.outcome === 'recovered' && m.series!.length > 0)).toBe(true);
  });

  it('a task exception that does not recover in time is a timeout, and its replayed marker never throws again', async () => {
    const { deps, store, lastLook } = setup(plan({ failure: 'exception', replay: { trace: 'ramp', peakRateEps: 9000, compression: 60, beforeSec: 20, afterSec: 40 } }), { capacityEps: 8000 });
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const heavy = store.measurements('p1').filter((m) => m.pointIndex === 1);
    expect(heavy.map((m) => [m.failure, m.outcome])).toEqual([['exception', 'timeout'], ['exception', 'timeout']]);
    // two steps, one marker each: one restart per marker, none from the replayed markers
    for (const ci of [2000, 10_000]) expect(lastLook.get(`ci-${ci}`)?.numRestarts).toBe(2);
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

  it('an injection that fails mid-replay ends the step at once with a clear error, stored as failed; nothing runs on and nothing is unhandled', async () => {
    const s = setup(plan());
    const tried: number[] = [];
    const failing = { ...s.deps, injectorFor: (r: string) => (r === 'ci-2000' ? failingInjector(s.clock, tried) : s.deps.injectorFor(r)) };
    await expect(runProfile(failing, 'p1', trace)).rejects.toThrow(/^injecting a kill into replica ci-2000 failed: could not SIGKILL pid 4242$/);
    expect(tried).toHaveLength(1);
    // within about a second of the failed signal, not at the end of the step
    await expectFailedAtOnce(s, /could not SIGKILL/, tried[0]);
  });

  it('a freeze that cannot be sent mid-step ends the step at once, naming the replica and the freeze', async () => {
    const s = setup(plan({ failure: 'freeze', freezeMs: 3000 }));
    const tried: number[] = [];
    const failing = { ...s.deps, injectorFor: (r: string) => (r === 'ci-10000' ? failingInjector(s.clock, tried) : s.deps.injectorFor(r)) };
    const error = await runProfile(failing, 'p1', trace).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'platform', message: 'injecting a freeze into replica ci-10000 failed: could not SIGSTOP pid 4242', hint: expect.stringMatching(/stored as failed.*resume/) });
    await expectFailedAtOnce(s, /could not SIGSTOP/, tried[0]);
  });

  it('a supervisor that cannot restart a TaskManager mid-step ends the step at once with its error, stored as failed', async () => {
    const s = setup(plan());
    let failedAt: number | undefined;
    s.platform.restartDeadTaskManagers = async (name) => {
      if (s.platform.inspect(name).taskManagers.every((tm) => tm.alive)) return [];
      failedAt ??= s.clock.now();
      throw new KhaosError('environment', 'could not start a TaskManager: java: not found');
    };
    await expect(runProfile(s.deps, 'p1', trace)).rejects.toMatchObject({ kind: 'environment', message: 'could not start a TaskManager: java: not found' });
    await expectFailedAtOnce(s, /java: not found/, failedAt);
  });

  it('Ctrl-C mid-step stops the replay and the watch within a second and stores nothing of the step', async () => {
    const { deps, store, clock, calls } = setup(plan());
    let stop = false;
    const progress: ProfileProgress[] = [];
    const onProgress = (p: ProfileProgress) => {
      progress.push(p);
      stop ||= p.second >= 25;
    };
    const outcome = await runProfile(deps, 'p1', trace, { shouldStop: () => stop, onProgress });
    expect(outcome).toBe('interrupted');
    expect(store.steps('p1')).toEqual([]);
    expect(store.getProfile('p1')?.status).toBe('interrupted');
    expect(progress.at(-1)!.second).toBeLessThanOrEqual(26);
    const after = calls();
    await clock.sleep(60_000);
    expect(calls()).toBe(after);
  });

  it('profiles a freeze longer than detection: a restart, measured like a kill', async () => {
    const { deps, store } = setup(plan({ failure: 'freeze', freezeMs: 3000 }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const ms = store.measurements('p1');
    expect(ms).toHaveLength(4);
    expect(ms.every((m) => m.outcome === 'recovered')).toBe(true);
  });

  it('a freeze is on record from its SIGSTOP, not its thaw: measured from the signal, on plan, and each step waits for the thaw', async () => {
    const { deps, store, platform } = setup(plan({ failure: 'freeze', freezeMs: 8000 }));
    const phasesDuringFreeze: string[] = [];
    const injected = () => ['ci-2000', 'ci-10000'].flatMap((r) => platform.injectorFor(r).injected);
    const onProgress = (p: ProfileProgress) => {
      const thawed = platform.injectorFor('ci-2000').injected.length > 0;
      if (!thawed && p.phases['ci-2000'] !== 'baseline' && p.phases['ci-2000'] !== 'waiting') phasesDuringFreeze.push(p.phases['ci-2000']!);
    };
    expect(await runProfile(deps, 'p1', trace, { onProgress })).toBe('done');
    // seen injected, restarting or catching up while still frozen (the injector records a freeze at its thaw)
    expect(phasesDuringFreeze.length).toBeGreaterThan(0);
    const ms = store.measurements('p1');
    const freezes = injected();
    expect(freezes).toHaveLength(4);
    for (const m of ms) {
      const f = freezes.find((x) => x.injectedAtMs === m.injectedAtMs)!;
      expect(f).toBeDefined();
      expect(f.resumedAtMs! - f.injectedAtMs).toBe(8000);
      expect(Math.abs(m.actualLeadMs! - m.plannedLeadMs!)).toBeLessThanOrEqual(100);
      expect(m.failure).toBe('freeze');
      expect(m.outcome).toBe('recovered');
      const step = store.steps('p1').find((s) => s.pointIndex === m.pointIndex)!;
      expect(step.endedAtMs).toBeGreaterThanOrEqual(f.resumedAtMs!);
    }
  });
});

/** The failures of each step, in the order they were injected. */
const byStep = (ms: FailureMeasurement[]) => [...new Set(ms.map((m) => m.pointIndex))].map((p) => ms.filter((m) => m.pointIndex === p).sort((a, b) => a.injectedAtMs - b.injectedAtMs));

describe('phase 2 options: injection modes, capacity probe, paced timing, median-of-k, failures per hour', { timeout: 60_000 }, () => {
  it('staggered: within a step each replica is broken once the previous one recovered, each timed against its own checkpoints', async () => {
    const { deps, store, lastLook } = setup(plan({ injection: 'staggered' }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const ms = store.measurements('p1');
    expect(ms).toHaveLength(4);
    for (const step of byStep(ms)) {
      const [first, second] = step as [FailureMeasurement, FailureMeasurement];
      expect(first.outcome).toBe('recovered');
      // no overlap: the second injection comes after the first recovery ended
      expect(second.injectedAtMs).toBeGreaterThanOrEqual(first.injectedAtMs + first.recoverySec! * 1000);
      for (const m of step) {
        expect(m.injection).toBe('staggered');
        expect(m.timingSource).toBe('flink-schedule');
        expect(Math.abs(m.actualLeadMs! - m.plannedLeadMs!)).toBeLessThanOrEqual(100);
        // the checkpoint it was timed against is on its own replica's schedule: a whole number of its intervals after its last one
        const last = lastLook.get(`ci-${m.ciMs}`)!.snapshot.checkpoints.filter((c) => c.triggerTimestampMs < m.injectedAtMs).at(-1)!;
        expect((m.injectedAtMs + m.actualLeadMs! - last.triggerTimestampMs) % m.ciMs).toBe(0);
      }
    }
    // the order rotates from step to step, so no interval is always broken last
    expect(byStep(ms).map((s) => s[0]!.ciMs)).toEqual([2000, 10_000]);
  });

  it('one-at-a-time: each replica alone on the platform for its turn, with its own replay', async () => {
    const { deps, store, platform } = setup(plan({ injection: 'one-at-a-time' }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const ms = store.measurements('p1');
    expect(ms.map((m) => [m.pointIndex, m.ciMs, m.outcome])).toEqual([[0, 2000, 'recovered'], [0, 10_000, 'recovered'], [1, 10_000, 'recovered'], [1, 2000, 'recovered']]);
    const lifecycle = platform.calls.filter((c) => c.method === 'startReplica' || c.method === 'stopReplica').map((c) => c.method);
    expect(lifecycle).toEqual(Array(4).fill(['startReplica', 'stopReplica']).flat());
    const inputs = platform.calls.filter((c) => c.method === 'startReplica').map((c) => (c.args[0] as { inputTopic: string }).inputTopic);
    expect(new Set(inputs).size).toBe(4);
  });

  it('paced: Khaos triggers each replica’s checkpoints, and the kill lands within the lead before one of them', async () => {
    const { deps, store, platform, lastLook } = setup(plan({ actuator: 'paced', fallbackIntervalMs: 120_000 }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    const ms = store.measurements('p1');
    expect(ms).toHaveLength(4);
    for (const m of ms) {
      expect(m.timingSource).toBe('khaos-trigger');
      expect(m.outcome).toBe('recovered');
      const triggers = platform.flinkAt(lastLook.get(`ci-${m.ciMs}`)!.restUrl).calls.filter((c) => c.method === 'triggerCheckpoint').map((c) => c.atMs);
      const next = triggers.find((t) => t > m.injectedAtMs)!;
      expect(next - m.injectedAtMs).toBeGreaterThan(0);
      expect(next - m.injectedAtMs).toBeLessThanOrEqual(500);
      expect(m.actualLeadMs).toBe(next - m.injectedAtMs);
    }
    // Flink's own interval is the long fallback: every checkpoint before the first injection was Khaos's
    expect(platform.calls.filter((c) => c.method === 'startReplica').map((c) => (c.args[0] as { checkpointIntervalMs: number }).checkpointIntervalMs)).toEqual([120_000, 120_000]);
    expect(() => plan({ actuator: 'paced', fallbackIntervalMs: 5000 })).toThrow(/fallbackIntervalMs 5000 must be longer than every paced interval \(not 10000 ms\)/);
  });

  it('probe: finds the replicas’ sustainable throughput side by side within 10 % and places the levels from 30 % to 90 % of it', async () => {
    const { deps, clock, platform } = setup(plan());
    const lines: string[] = [];
    const probe = (await probeCapacity({ ...deps, log: (l) => lines.push(l) }, { job: builtInJob('iot'), parallelism: 1, intervalsMs: [5000, 10_000], topicPrefix: 'khaos-prof-p1-in-probe', startEps: 500, maxHoldSec: 30, seed: 1 }))!;
    expect(probe.replicas).toBe(2);
    // both replicas read the one probe input, each with its own group
    const starts = platform.calls.filter((c) => c.method === 'startReplica').map((c) => c.args[0] as { inputTopic: string; groupId: string; checkpointIntervalMs: number });
    expect(starts.map((x) => [x.inputTopic, x.groupId, x.checkpointIntervalMs])).toEqual([['khaos-prof-p1-in-probe-in', 'khaos-prof-p1-in-probe-0', 5000], ['khaos-prof-p1-in-probe-in', 'khaos-prof-p1-in-probe-1', 10_000]]);
    expect(Math.abs(probe.sustainableEps - 10_000) / 10_000).toBeLessThanOrEqual(0.1);
    expect(probe.steps.some((s) => !s.sustained && s.rateEps > 10_000)).toBe(true);
    expect(lines.at(-1)).toMatch(/sustainable \d+ ev\/s/);
    for (const name of ['probe-0', 'probe-1']) expect(() => platform.inspect(name)).toThrow(/no replica/); // stopped
    expect(clock.now()).toBeGreaterThan(0);
    const placed = placeLevels(plan().points, probe.sustainableEps, [0.3, 0.9]);
    expect(placed.map((p) => p.rateEps! / probe.sustainableEps)).toEqual([0.3, 0.9]);
    // the steps replay the trace scaled so that each point runs at its placed rate
    const s = setup(plan({ points: placed }));
    const progress: ProfileProgress[] = [];
    expect(await runProfile(s.deps, 'p1', trace, { onProgress: (p) => progress.push(p) })).toBe('done');
    for (const m of s.store.measurements('p1')) expect(Math.abs(m.throughputEps! / placed[m.pointIndex]!.rateEps! - 1)).toBeLessThan(0.05);
    // flat steps hold the point's rate: the offered baseline is exactly it
    const f = setup(plan({ points: placed, stepLoad: 'flat' }));
    expect(await runProfile(f.deps, 'p1', trace)).toBe('done');
    for (const m of f.store.measurements('p1')) expect(m.throughputEps).toBe(placed[m.pointIndex]!.rateEps);
    expect(progressLine(progress[0]!)).toMatch(new RegExp(`level ${placed[0]!.rateEps} ev/s`));
  });

  it('bad plans are refused before a replica starts: levels above a measured capacity, intervals as long as the window', () => {
    const store = new MemoryProfileStore();
    const probed = plan({ capacity: { sustainableEps: 6000, replicas: 2, steps: [], loadRange: [0.3, 0.9] }, points: placeLevels(plan().points, 6000, [0.3, 0.9]) });
    expect(withinMeasuredCapacity(store, plan(), 100)).toEqual(plan()); // nothing measured yet
    store.createProfile({ id: 'probed', createdAtMs: 1, status: 'done', plan: probed, provenance: { config: {}, flinkVersion: 'fake', jobJarSha256: 'fake', clock: 'manual', timeScaling: { compression: 60 } } });
    // trace max 100, peak 9000: the heavy point (level 87) runs at 7830 ev/s, above the 6000 measured for 2 replicas
    expect(() => withinMeasuredCapacity(store, plan(), 100)).toThrow(/highest load level is 7830 ev\/s, above the 6000 ev\/s that profile probed's capacity probe measured for 2 iot replica\(s\)/);
    expect(withinMeasuredCapacity(store, plan({ replay: { ...plan().replay, peakRateEps: 6000 } }), 100).points).toHaveLength(2);
    // measured for another number of replicas at once: not comparable, not used
    expect(withinMeasuredCapacity(store, plan({ intervalsMs: [2000, 5000, 10_000] }), 100).points).toHaveLength(2);
    expect(() => plan({ intervalsMs: [2000, 140_000] })).toThrow(/intervals 140000 ms are not shorter than the replay window around a point \(before 20 s \+ after 120 s\)/);
  });

  it('median-of-k: k repetitions at one point and interval give one sample, their median recovery', async () => {
    const { deps, store } = setup(plan({ repetitions: 3, aggregate: 'median', points: [plan().points[0]!] }));
    expect(await runProfile(deps, 'p1', trace)).toBe('done');
    // the fake's latency gauge does not move within a baseline, so it is read as stale (null): give the failures one
    const ms = store.measurements('p1').map((m) => ({ ...m, latencyMs: 100 }));
    expect(ms).toHaveLength(6);
    const samples = recoveredSamples(ms, 'median');
    expect(samples).toHaveLength(2);
    for (const ci of [2000, 10_000]) {
      const rec = ms.filter((m) => m.ciMs === ci).map((m) => m.recoverySec!).sort((a, b) => a - b);
      expect(samples.find((x) => x.ciMs === ci)!.recoverySec).toBe(rec[1]);
    }
    // a timeout counts as longer than any recovery: two of three give no sample, one of three the larger recovery
    const [a, b] = ms.filter((m) => m.ciMs === 2000);
    const timeout = (m: FailureMeasurement): FailureMeasurement => ({ ...m, outcome: 'timeout', recoverySec: null });
    expect(recoveredSamples([timeout(a!), b!, { ...b!, recoverySec: b!.recoverySec! + 1 }], 'median')[0]!.recoverySec).toBe(b!.recoverySec! + 1);
    expect(recoveredSamples([timeout(a!), timeout(b!), b!], 'median')).toEqual([]);
    // a failure without a latency (its window saw no committed output) is a sample without one
    const noLatency = recoveredSamples([{ ...a!, latencyMs: null }]);
    expect(noLatency).toHaveLength(1);
    expect(noLatency[0]!.recoverySec).toBe(a!.recoverySec);
    expect('latencyMs' in noLatency[0]!).toBe(false);
  });

  it('failures per hour of wall time, in the summary and the report, with the injection mode', async () => {
    const p = plan({ injection: 'staggered' });
    const { deps, store } = setup(p);
    await runProfile(deps, 'p1', trace);
    const steps = store.steps('p1');
    const summary = profileSummary(p, steps, store.measurements('p1'));
    const wallSec = steps.reduce((a, x) => a + (x.endedAtMs - x.startedAtMs) / 1000, 0);
    expect(summary).toMatchObject({ injection: 'staggered', failures: 4, timeouts: 0, wallSec });
    expect(summary.failuresPerHour).toBeCloseTo((4 * 3600) / wallSec, 6);
    const md = buildProfileReport(store.getProfile('p1')!, store.measurements('p1'), { seed: 1, steps }).markdown;
    expect(md).toContain(`${summary.failuresPerHour!.toFixed(0)} failures per hour`);
    expect(md).toMatch(/Injection: staggered/);
  });

  it('staggers by default when the machine has fewer than 2 cores per replica', () => {
    expect(defaultInjection(2, 3)).toBe('staggered');
    expect(defaultInjection(5, 3)).toBe('staggered');
    expect(defaultInjection(6, 3)).toBe('side-by-side');
  });
});
