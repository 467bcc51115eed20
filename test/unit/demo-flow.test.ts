import { builtInJob } from '../../src/core/jobs.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runDemo, type DemoOptions } from '../../src/app/demo.js';
import type { Platform } from '../../src/app/platform.js';
import { KhaosError } from '../../src/core/errors.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import type { FailureInjector } from '../../src/ports/failure-injector.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { AuditingBus } from '../fakes/auditing-bus.js';

/** A day of load rising linearly from 0 to its peak. */
const trace = parseTraceCsv('t,v\n2020-01-01 00:00:00,0\n2020-01-02 00:00:00,100\n', 'ramp');
const INPUT = 'khaos-iot-input';
const AUDIT = 'khaos-iot-audit';

const options = (over: Partial<DemoOptions> = {}): DemoOptions => ({
  job: builtInJob('iot'), trace, seed: 1, checkpointIntervalMs: 2000, parallelism: 1, partitions: 2,
  peakRateEps: 500, compression: 60, startOffsetSec: 30_000, durationSec: 60,
  failAtSec: 30, failure: 'kill', freezeMs: 0, recoveryTimeoutMs: 60_000,
  ...over,
});

function setup(over: { failKill?: boolean; restartDeadTaskManagers?: (name: string) => Promise<string[]>; restartDelayMs?: number } = {}) {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 1000, restartDelayMs: over.restartDelayMs ?? 1000 });
  const memory = new AuditingBus(INPUT, AUDIT);
  const lines: string[] = [];
  // Rejections nobody handled during the test: the process would end on one without any teardown.
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  onTestFinished(() => void process.off('unhandledRejection', onUnhandled));
  // The platform, but for the supervisor's restarts when a test replaces them.
  if (over.restartDeadTaskManagers) platform.restartDeadTaskManagers = over.restartDeadTaskManagers;
  // With failKill, the kill signal cannot be sent (the times it was tried are kept).
  const killsTried: number[] = [];
  const failingKill = async (): Promise<never> => {
    killsTried.push(clock.now());
    throw new KhaosError('platform', 'could not SIGKILL pid 4242');
  };
  const injectorFor = (r: string): FailureInjector => (over.failKill ? { inject: (spec) => (spec.type === 'kill' ? failingKill() : platform.injectorFor(r).inject(spec)) } : platform.injectorFor(r));
  const deps: Platform = { orchestrator: platform, bus: platform.feedingBus(memory, INPUT), flinkAt: (u) => platform.flinkAt(u), clock, log: (l) => lines.push(l), injectorFor };
  /** What the CLI does around runDemo: the replica's stack and the bus are torn down whatever happens. */
  let tornDownAtMs: number | undefined;
  const rest = () => platform.flinkAt('http://127.0.0.1:8081').calls;
  let callsAtTeardown = { platform: 0, rest: 0 };
  const teardown = async () => {
    tornDownAtMs = clock.now();
    callsAtTeardown = { platform: platform.calls.length, rest: rest().length };
    await platform.stopReplica('iot-1').catch(() => undefined);
    await deps.bus.close();
  };
  const run = async (o: DemoOptions) => {
    try {
      return await runDemo(deps, o);
    } finally {
      await teardown();
    }
  };
  /** Platform calls (orchestrator and Flink REST) made after the teardown: loops still running. */
  const callsAfterTeardown = () => [...platform.calls.slice(callsAtTeardown.platform).filter((c) => c.method !== 'stopReplica'), ...rest().slice(callsAtTeardown.rest)];
  return { clock, platform, memory, deps, lines, run, killsTried, unhandled, tornDownAt: () => tornDownAtMs, callsAfterTeardown };
}

describe('runDemo on a fake platform with a manual clock', { timeout: 30_000 }, () => {
  it('a killed TaskManager is detected, replaced and recovered from: the report has the timeline, the restored checkpoint and a reconciliation', async () => {
    const { run, lines, platform, memory, clock, unhandled } = setup();
    const started = clock.now();
    const r = await run(options());
    expect(r.failure).toMatchObject({ type: 'kill', taskManagerId: 'iot-1-tm0-g0' });
    // injected once replay second 30 is over
    expect(r.failure!.injectedAtMs - started).toBeGreaterThanOrEqual(30_000);
    expect(r.failure!.injectedAtMs - started).toBeLessThanOrEqual(31_500);
    const t = r.timeline!;
    expect(t.detectedAtMs! - r.failure!.injectedAtMs).toBeGreaterThanOrEqual(1000); // detection delay 1 s, seen by 1 s samples
    expect(t.detectedAtMs! - r.failure!.injectedAtMs).toBeLessThanOrEqual(2000);
    expect(t.runningAtMs).toBeGreaterThan(t.detectedAtMs!);
    expect(t.recoveredAtMs).toBeGreaterThanOrEqual(t.runningAtMs!);
    expect(r.restoredCheckpointId).toBeGreaterThan(0);
    expect(r.replay.seconds).toHaveLength(60);
    expect(r.reconciliation).toMatchObject({ ok: true, countedTotal: r.replay.producedTotal, duplicateWindows: 0 });
    expect(r.replay.producedTotal).toBeGreaterThan(10_000);
    // the watch brought the killed TaskManager back and said so
    expect(platform.calls.filter((c) => c.method === 'restartDeadTaskManagers').length).toBeGreaterThanOrEqual(60);
    const text = lines.join('\n');
    expect(text).toMatch(/chaos: kill TaskManager iot-1-tm0-g0 \(runs .*kafka-sink.*\)/);
    expect(text).toMatch(/supervisor: started replacement TaskManager/);
    expect(text).toMatch(/flink: job RESTARTING \(\+1\.\d s after the kill\)/);
    expect(text).toMatch(/replay done: \d+\/\d+ events/);
    expect(text).toMatch(/recovery: detected \+\d\.\d s, RUNNING \+\d\.\d s, lag back to normal .* \+\d+\.\d s/);
    expect(text).toMatch(/exactly-once: OK/);
    // log order: the chaos comes after replay second 30, the recovery after the replay
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/replay: second 30\//)).toBeLessThan(at(/chaos: kill TaskManager/));
    expect(at(/replay done/)).toBeLessThan(at(/recovery: detected/));
    expect(memory.producedAfterClose).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('a freeze: the failure is timed from the SIGSTOP, and the demo waits for the thaw and the recovery', async () => {
    const { run, platform } = setup();
    const r = await run(options({ failure: 'freeze', freezeMs: 3000 }));
    const [f] = platform.injectorFor('iot-1').injected;
    expect(r.failure).toEqual(f);
    expect(f!.resumedAtMs! - f!.injectedAtMs).toBe(3000);
    expect(r.timeline?.detectedAtMs).toBeGreaterThan(f!.injectedAtMs); // longer than detection: a restart
    expect(r.timeline?.recoveredAtMs).toBeDefined();
    expect(r.reconciliation.ok).toBe(true);
  });

  it('a task exception: a restart at the marker, no TaskManager touched, recovered and reconciled', async () => {
    // A task exception is detected at once; a restart as long as on the real stack (2-3 s) is seen by 1 s samples.
    const { run, platform, lines } = setup({ restartDelayMs: 3000 });
    const r = await run(options({ failure: 'exception' }));
    const [f] = platform.injectorFor('iot-1').injected;
    expect(r.failure).toEqual(f);
    expect(f).toMatchObject({ type: 'exception', failAtAttempt: 0 });
    expect(platform.calls.some((c) => c.method === 'restartDeadTaskManagers')).toBe(true);
    expect(lines.some((l) => /supervisor: started replacement/.test(l)), 'no TaskManager died').toBe(false);
    expect(r.timeline?.detectedAtMs).toBeGreaterThanOrEqual(f!.injectedAtMs);
    expect(r.timeline?.recoveredAtMs).toBeDefined();
    expect(r.reconciliation.ok).toBe(true);
    expect(lines.join('\n')).toMatch(/chaos: task exception \(marker on .*\)[\s\S]*chaos: exception at .* \(fails attempt 0\)/);
  });

  it('no failure within the replay: nothing is injected and nothing waits for a recovery', async () => {
    const { run, lines } = setup();
    const r = await run(options({ failAtSec: 60 }));
    expect(r.failure).toBeUndefined();
    expect(r.timeline).toBeUndefined();
    expect(lines.some((l) => /chaos:/.test(l))).toBe(false);
  });

  it('an injection that fails mid-replay rejects at once with a clear message (a KhaosError: the CLI exits non-zero); teardown runs and nothing outlives it', async () => {
    const s = setup({ failKill: true });
    const started = s.clock.now();
    const error = await s.run(options({ durationSec: 120, failAtSec: 10 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KhaosError);
    expect(error).toMatchObject({ kind: 'platform', message: 'injecting a kill failed: could not SIGKILL pid 4242', hint: expect.stringMatching(/khaos stack status/) });
    expect(s.killsTried).toHaveLength(1);
    // rejected promptly: within about a second of the failed injection, not at the end of the 120 s replay
    expect(s.tornDownAt()! - s.killsTried[0]!).toBeLessThanOrEqual(1500);
    expect(s.killsTried[0]! - started).toBeLessThan(12_000);
    expect(s.lines.some((l) => /replay: second 20\//.test(l))).toBe(false);
    expect(s.lines.some((l) => /replay done|exactly-once/.test(l))).toBe(false);
    // the teardown ran, and after it no loop is left touching the platform or the bus
    expect(s.platform.calls.some((c) => c.method === 'stopReplica')).toBe(true);
    expect(s.memory.closed).toBe(true);
    await s.clock.sleep(30_000);
    expect(s.callsAfterTeardown()).toEqual([]);
    expect(s.memory.producedAfterClose).toBe(0);
    expect(s.unhandled).toEqual([]);
  });

  it('a supervisor that cannot restart a TaskManager mid-replay ends the run at once with its error, not an unhandled rejection', async () => {
    let failedAt: number | undefined;
    const s = setup({
      restartDeadTaskManagers: async (name) => {
        const dead = s.platform.inspect(name).taskManagers.some((tm) => !tm.alive);
        if (!dead) return [];
        failedAt ??= s.clock.now();
        throw new KhaosError('environment', 'could not start a TaskManager: java: not found');
      },
    });
    const error = await s.run(options({ durationSec: 120, failAtSec: 10 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'environment', message: 'could not start a TaskManager: java: not found' });
    expect(failedAt).toBeDefined();
    expect(s.tornDownAt()! - failedAt!).toBeLessThanOrEqual(1500);
    expect(s.lines.some((l) => /replay: second 20\//.test(l))).toBe(false);
    await s.clock.sleep(30_000);
    expect(s.callsAfterTeardown()).toEqual([]);
    expect(s.memory.producedAfterClose).toBe(0);
    expect(s.unhandled).toEqual([]);
  });
});
