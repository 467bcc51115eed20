import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { demoKillsSec, plainDemoReason, recoveryLine } from '../../src/app/control/demo-run.js';
import { modelsFromSamples } from '../../src/app/control/control-models.js';
import { DEMO_CONFIG } from '../../src/cli/demo.js';
import { readConfigFile } from '../../src/cli/common.js';
import { resolveConfig } from '../../src/config/schema.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';
import { khaosIn } from '../support/khaos-cli.js';
import { runControlledDemo } from '../../src/app/control/demo-run.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import { AuditingBus } from '../fakes/auditing-bus.js';
import { withLiveGauge } from '../fakes/controlled-run.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';

// A refused demo starts nothing: these calls of compose.ts must not happen in a test here.
const started = vi.hoisted(() => [] as string[]);
vi.mock('../../src/compose.js', async (importOriginal) =>
  (await import('../support/refusing.js')).refusing(await importOriginal<typeof import('../../src/compose.js')>(), ['startLocalStack', 'controlStore', 'loadTrace', 'checkJobJar'], started, 'a demo test that should start nothing'),
);

const samples = { samples: [], source: 's.csv' };

describe('which demo a config gets', () => {
  it('the controlled one with models and a kill; the kill-and-recovery one without models, or with another failure type, saying why', () => {
    const c = resolveConfig({});
    expect(plainDemoReason(c, { samples })).toBeUndefined();
    expect(plainDemoReason(c, { models: {} as never })).toBeUndefined();
    expect(plainDemoReason(c, {})).toMatch(/^the config gives no models \(control\.samples, or control\.latencyModel and control\.recoveryModel\)$/);
    expect(plainDemoReason(resolveConfig({ chaos: { failure: 'freeze' } }), { samples })).toBe('chaos.failure is freeze, and a controlled run breaks its job by killing a TaskManager');
  });

  it('kills at control.kills, else once at chaos.at', () => {
    expect(demoKillsSec(resolveConfig({ control: { kills: ['30s', '80s'] }, chaos: { at: '10s' } }))).toEqual([30, 80]);
    expect(demoKillsSec(resolveConfig({ chaos: { at: '45s' } }))).toEqual([45]);
  });
});

describe('a recovery against its target', () => {
  const sample = { ciMs: 2000, throughputEps: 16_432.4, latencyMs: 900, recoverySec: 9.84, detectionSec: 1.2, restartSec: 3.06, catchupSec: 5.59 };
  it('within it, with its phases', () => {
    expect(recoveryLine(sample, 15, 60_000)).toBe('recovery: 9.8 s (detection 1.2 s + restart 3.1 s + catch-up 5.6 s) at 16432 ev/s and a 2 s interval: within the 15 s target ✓');
  });
  it('over it, without phases when none were measured', () => {
    expect(recoveryLine({ ciMs: 10_000, throughputEps: 20_000, recoverySec: 17.25 }, 15, 60_000)).toBe('recovery: 17.3 s at 20000 ev/s and a 10 s interval: over the 15 s target ✗');
  });
  it('a time-out', () => {
    expect(recoveryLine({ timedOut: true, startMs: 0 }, 15, 60_000)).toBe('recovery: not back to normal within 60 s (control.recoveryTimeout): over the 15 s target ✗');
  });
});

describe('examples/demo-iot.yaml, what `npm run demo` runs', () => {
  const c = resolveConfig(readConfigFile(DEMO_CONFIG));
  it('is khaos+ with paced checkpoints on the IoT job, killed once within the replay, with time left to recover before it ends', () => {
    expect(c.job.descriptor.name).toBe('iot');
    expect(c.control).toMatchObject({ policy: 'khaos+', actuator: 'paced' });
    expect(plainDemoReason(c, { samples })).toBeUndefined();
    const [kill, ...more] = demoKillsSec(c);
    expect(more).toEqual([]);
    expect(kill).toBeLessThanOrEqual(c.replay.durationSec - c.control.recoveryTimeoutMs / 1000);
    // Flink's own interval is only the fallback: every candidate must be shorter, or paced choices above it could not take effect.
    expect(c.control.fallbackIntervalMs).toBeGreaterThan(c.control.options.candidateMaxMs);
  });

  it('fits its models from the committed real profile, over the intervals it may choose', () => {
    const file = path.resolve(path.dirname(DEMO_CONFIG), '..', c.control.samples!);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^# MEASURED on the local stack/);
    expect(fs.statSync(file).size).toBeLessThan(2 * 1024 * 1024);
    const m = modelsFromSamples(parseSamplesCsv(text, file), 1, 'demo');
    expect(m.trainedCiMs).toEqual({ min: c.control.options.candidateMinMs, max: c.control.options.candidateMaxMs });
  });
});

describe('khaos demo refuses before anything starts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-demo-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const khaos = khaosIn('/nonexistent');
  const ownJob = { jar: path.join(dir, 'orders.jar'), entryClass: 'com.example.OrdersJob', args: ['--bootstrap', '{bootstrap}', '--in', '{inputTopic}', '--out', '{outputTopic}', '--group', '{groupId}', '--txn', '{txnPrefix}'] };
  const write = (name: string, config: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, YAML.stringify(config));
    return file;
  };

  it('an own job without job.input, with or without models (exit 2, naming khaos demo)', async () => {
    for (const config of [{ job: ownJob }, { job: ownJob, control: { samples: 'examples/samples-iot-measured-p20261130122330.csv' } }]) {
      const r = await khaos('demo', '--config', write('own.yaml', config));
      expect(r.code).toBe(2);
      expect(r.err).toContain('`khaos demo`');
    }
    expect(started).toEqual([]);
  });

  it('a kill after the replay ends (exit 2, naming both times and the fix)', async () => {
    const r = await khaos('demo', '--duration', '60s');
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining("the kill at 90 s falls after the replay's 60 s") });
    expect(r.err).toContain('give --fail-at (or control.kills) within the replay, or a longer --duration');
    expect(started).toEqual([]);
  });
});

/** An exactly-once job that lost one record of its first key: its audit counts it once less. */
class LossyBus extends AuditingBus {
  override async readAllCommitted(topic: string) {
    const records = await super.readAllCommitted(topic);
    if (!topic.endsWith('-audit') || records.length === 0) return records;
    const [first, ...rest] = records;
    const v = JSON.parse(first!.value) as { count: number };
    return [{ ...first!, value: JSON.stringify({ ...v, count: v.count - 1 }) }, ...rest];
  }
}

/** The controlled demo on the fake platform: the simulated job's models, a flat 3000 ev/s for 90 s, a kill at +40 s. */
async function fakeControlledDemo(Bus: typeof AuditingBus) {
  const input = 'khaos-demo-iot-input';
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 2000, restartDelayMs: 1000, checkpointDurationMs: 200 });
  const memory = new Bus(input, 'khaos-demo-iot-iot-demo-audit');
  const lines: string[] = [];
  const store = new MemoryControlStore();
  const deps = {
    orchestrator: platform, bus: platform.feedingBus(memory, input), flinkAt: (u: string) => withLiveGauge(platform.flinkAt(u)), clock, log: (l: string) => lines.push(l),
    injectorFor: (r: string) => platform.injectorFor(r), store, newRunId: () => 'demo1',
  };
  // Targets 1 s p99 and 40 s recovery; the job starts at 5 s, outside the models' 10–30 s (so khaos+ leaves it at its first evaluation).
  const c = resolveConfig({
    job: { kind: 'iot', checkpointInterval: '5s', parallelism: 1 },
    replay: { peakRateEps: 3000, compression: 60, duration: '90s' },
    control: {
      policy: 'khaos+', actuator: 'paced', fallbackInterval: '600s', latencyTarget: '1s', recoveryTarget: '40s', window: '20s', evaluateEvery: '10s', afterChange: '20s', minUptime: '10s',
      candidateMin: '1s', candidateMax: '30s', minChange: '1s', forecast: false, hysteresis: 0.05, maxChanges: 10, rateWindow: '600s', recoveryTimeout: '120s', statusEvery: '60s', kills: ['40s'],
    },
  });
  const flat = parseTraceCsv('t,v\n2020-01-01 00:00:00,1\n2020-01-02 00:00:00,1\n', 'flat');
  const r = await runControlledDemo(deps, c, flat, { samples: { samples: simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3)), source: 'simulated' } }, () => false);
  await memory.close();
  return { r, lines, store, memory };
}

describe('the controlled demo on the fake platform with a manual clock', { timeout: 30_000 }, () => {
  it('prints the interval change with its reason, the kill, the recovery against its target and the summary; ok when reconciled and recovered', async () => {
    const { r, lines, store, memory } = await fakeControlledDemo(AuditingBus);
    const applied = store.decisions('demo1').filter((d) => d.outcome === 'applied');
    expect(applied.length).toBeGreaterThanOrEqual(1);
    expect(r).toMatchObject({ runId: 'demo1', ok: true, changes: applied.length, kills: [expect.objectContaining({ taskManagerId: expect.any(String) })] });
    expect(r.changesBeforeKill).toBe(applied.filter((d) => d.atMs < r.kills[0]!.injectedAtMs).length);
    expect(r.changesBeforeKill).toBeGreaterThanOrEqual(1);
    expect(r.recoveriesS).toEqual([expect.any(Number)]);
    expect(r.reconciliation).toMatchObject({ ok: true, duplicateWindows: 0 });
    const text = lines.join('\n');
    expect(text).toMatch(/control: 5000 → \d+ ms \(applied\): \S/);
    expect(text).toMatch(/chaos: killed TaskManager iot-demo-tm0-g0 of iot-demo/);
    expect(text).toMatch(/recovery: \d+\.\d s \(detection \d+\.\d s \+ restart \d+\.\d s \+ catch-up \d+\.\d s\) at \d+ ev\/s and a \d+(\.\d+)? s interval: (within|over) the 40 s target [✓✗]/);
    expect(lines.at(-2)).toMatch(new RegExp(`^demo: ${applied.length} interval change\\(s\\), ${r.changesBeforeKill} before the kill \\(5 → \\d+ s.*\\); 1 kill\\(s\\); recoveries \\d+\\.\\d s vs the 40 s target; exactly-once: OK`));
    expect(lines.at(-1)).toBe('demo: every decision with its reason: `khaos control decisions --run demo1`; the run stays on the dashboard (`khaos dashboard`, Runs)');
    expect(memory.producedAfterClose).toBe(0);
  });

  it('not ok when the output does not reconcile, and the summary says so', async () => {
    const { r, lines } = await fakeControlledDemo(LossyBus);
    expect(r.ok).toBe(false);
    expect(r.reconciliation.ok).toBe(false);
    expect(lines.at(-2)).toMatch(/exactly-once: FAILED: 1 keys short/);
  });
});
