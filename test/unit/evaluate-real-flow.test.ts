import { builtInJob } from '../../src/core/jobs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { realEvaluationInput, runRealEvaluation, type MeasuredCapacity, type RealEvaluationInput } from '../../src/app/evaluate-real.js';
import { loadTrace, modelInputs } from '../../src/compose.js';
import { openSitting } from '../../src/adapters/files/evaluation-run-files.js';
import { realQos } from '../../src/core/evaluation/real-qos.js';
import { scoredView } from '../../src/core/evaluation/real-plan.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { planId, planRealRuns, type RealPlan } from '../../src/core/evaluation/real-plan.js';
import { resolveConfig } from '../../src/config/schema.js';
import { policyUnderTest } from '../../src/core/sim/sim-evaluation.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';
import type { MessageBus } from '../../src/ports/message-bus.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { AuditingBus, isEvaluationInput } from '../fakes/auditing-bus.js';
import { khaosIn } from '../support/khaos-cli.js';

const samplesFile = path.resolve(__dirname, '..', '..', 'examples', 'samples-iot-local-SIMULATED.csv');

/** A plan of the test's setup with `over` on top, and its id. */
function planned(over: Partial<RealPlan>): { plan: RealPlan; planId: string } {
  const plan = planRealRuns({
    job: 'iot', parallelism: 1, trace: 'ramp', peakRateEps: 1000, compression: 600, startOffsetSec: 0, warmupSec: 0, durationSec: 80, seed: 1, mode: 'sequential', drainMs: 15_000,
    initialIntervalMs: 5000, fallbackIntervalMs: 120_000, policies: [], repeats: 1, orderSeed: 42, killsSec: [[30, 60]], ...over,
  });
  return { plan, planId: planId(plan) };
}

describe('runRealEvaluation on a fake platform, replicas side by side', { timeout: 60_000 }, () => {
  it('every policy gets a replica on the one replay, the same kills at the same time, and a record of what it measured; no replica is left', async () => {
    const clock = new ManualClock();
    const platform = new FakeFlinkPlatform(clock, { capacityEps: 5000, detectionDelayMs: 1000, restartDelayMs: 2000 });
    const bus: MessageBus = platform.feedingBus(new AuditingBus(), isEvaluationInput);
    const store = new MemoryControlStore();
    let runs = 0;
    const lines: string[] = [];
    const deps = { orchestrator: platform, bus, flinkAt: (u: string) => platform.flinkAt(u), injectorFor: (r: string) => platform.injectorFor(r), clock, store, newRunId: () => `run-${++runs}`, log: (l: string) => lines.push(l) };
    const c = resolveConfig({ control: { window: '15s', evaluateEvery: '5s', afterChange: '5s', minUptime: '10s', candidateMin: '1s', candidateMax: '10s', candidateStep: '500ms', minChange: '1s', recoveryTarget: '15s', latencyTarget: '1500ms' } });
    const policies = [policyUnderTest('khaos+'), policyUnderTest('static:2000')];
    const input: RealEvaluationInput = {
      job: builtInJob('iot'), trace: parseTraceCsv('t,v\n2020-01-01 00:00:00,50\n2020-01-02 00:00:00,100\n', 'ramp'), seed: 1, parallelism: 1, partitions: 2,
      peakRateEps: 1000, compression: 600, startOffsetSec: 0, durationSec: 80, warmupSec: 0,
      policies, control: { ...c.control, statusEveryMs: 60_000 }, initialIntervalMs: 5000, fallbackIntervalMs: 120_000,
      ...planned({ mode: 'side-by-side', policies: policies.map((p) => p.name), repeats: 1, killsSec: [[30, 60]], warmupSec: 0 }),
      mode: 'side-by-side', drainMs: 15_000,
      models: { samples: { samples: parseSamplesCsv(fs.readFileSync(samplesFile, 'utf8'), samplesFile), source: samplesFile } },
    };
    const records = await runRealEvaluation(deps, input, {}, () => false, { todo: input.plan.order });

    expect(records.map((r) => r.policy)).toEqual(['khaos+', 'static:2s']);
    expect(records.map((r) => r.mode)).toEqual(['side-by-side', 'side-by-side']);
    // One replay for both, and both killed at the same moments of it.
    expect(records[1]!.replayStartMs).toBe(records[0]!.replayStartMs);
    expect(records[1]!.scheduleEps).toEqual(records[0]!.scheduleEps);
    expect(records[0]!.scheduleEps).toHaveLength(80);
    for (const r of records) {
      expect(r.failures.map((f) => Math.floor((f.injectedAtMs - r.replayStartMs) / 1000))).toEqual([30, 60]);
      expect(new Set(r.failures.map((f) => f.taskManagerId.split('-tm')[0]))).toEqual(new Set([r.replica]));
      for (const f of r.failures) expect(f.recoverySec).toBeGreaterThan(1);
      expect(r).toMatchObject({ lost: 0, duplicated: 0 });
      expect(r.checkpointsCompleted).toBeGreaterThan(5);
      expect(r.samples.length).toBeGreaterThan(80);
    }
    // khaos+ is paced at 5 s at first; the static interval is the job's own, never changed.
    expect(records[0]!.intervals[0]!.intervalMs).toBe(5000);
    expect(records[1]!.intervals).toEqual([{ atMs: expect.any(Number), intervalMs: 2000 }]);
    expect(records[1]!.changes).toEqual([]);
    expect(platform.calls.filter((c) => c.method === 'stopReplica').map((c) => c.args[0])).toEqual(['eval-1', 'eval-2']);
    expect(lines.join('\n')).toMatch(/evaluate: run 1\/1 \(1 of 1 in this sitting\): khaos\+, static:2s, repeat 1/);
  });
});

/** The fakes of one machine: a platform, its clock and stores, and what the runs logged. */
function fakeMachine() {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 5000, detectionDelayMs: 1000, restartDelayMs: 2000 });
  const bus: MessageBus = platform.feedingBus(new AuditingBus(), isEvaluationInput);
  let runs = 0;
  const lines: string[] = [];
  const deps = { orchestrator: platform, bus, flinkAt: (u: string) => platform.flinkAt(u), injectorFor: (r: string) => platform.injectorFor(r), clock, store: new MemoryControlStore(), newRunId: () => `run-${++runs}`, log: (l: string) => lines.push(l) };
  return { deps, lines };
}

describe('the real evaluation protocol on fakes: warm-up, repeats in a seeded order, sittings joined', { timeout: 120_000 }, () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-eval-runs-'));
  const previousHome = process.env.KHAOS_HOME;
  process.env.KHAOS_HOME = home;
  afterAll(() => {
    if (previousHome === undefined) delete process.env.KHAOS_HOME;
    else process.env.KHAOS_HOME = previousHome;
    fs.rmSync(home, { recursive: true, force: true });
  });
  const trace = path.join(home, 'ramp.csv');
  fs.writeFileSync(trace, 't,v\n2020-01-01 00:00:00,50\n2020-01-02 00:00:00,100\n');
  const configFile = path.join(home, 'evaluate.yaml');
  // Both lists empty: --policies names the policies (refused before the flag was read, once).
  const yaml = {
    job: { kind: 'iot', checkpointInterval: '5s' },
    replay: { trace, peakRateEps: 1000, compression: 600, duration: '60s', seed: 1 },
    control: { window: '15s', recoveryTarget: '15s', latencyTarget: '1500ms' },
    evaluate: { policies: [], staticIntervals: [], real: { warmup: '10s', repeats: 2, orderSeed: 3, kills: ['20s'], drain: '15s' } },
  };
  fs.writeFileSync(configFile, YAML.stringify(yaml));
  const policies = [policyUnderTest('static:2000'), policyUnderTest('static:4000')];
  const c = resolveConfig(yaml);
  /** The inputs as `khaos evaluate` reads them, with traces looked up in `home`. */
  const sources = (capacity?: MeasuredCapacity) => ({ loadTrace: (name: string) => loadTrace(name, home), modelInputs, capacity });

  it('makes the planned runs in its order, kills after the warm-up, scores nothing of the warm-up, and the report joins two sittings', async () => {
    const input = realEvaluationInput(c, policies, sources());
    const { plan } = input;
    expect(plan.order).toHaveLength(4);
    const dirs = [path.join(home, 'part1'), path.join(home, 'part2')];
    const recorded: RealRunRecord[] = [];
    // Two sittings, each on a machine of its own: positions 1-2, then 3-4.
    for (const [i, dir] of dirs.entries()) {
      const sitting = openSitting(dir, plan, input.planId, false);
      const { deps } = fakeMachine();
      await runRealEvaluation(deps, input, {}, () => false, { todo: plan.order.slice(2 * i, 2 * i + 2), onRecord: (r) => sitting.record(r) });
      // Each run was in runs.json as soon as it ended; nothing half-written is left.
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'runs.json'), 'utf8'))).toHaveLength(2);
      expect(fs.readdirSync(dir).sort()).toEqual(['plan.json', 'runs.json']);
      recorded.push(...sitting.records);
    }
    expect(recorded.map((r) => [r.position, r.policy, r.run])).toEqual(plan.order.map((u) => [u.position, u.policies[0], u.run]));
    for (const r of recorded) {
      expect(r).toMatchObject({ planId: input.planId, warmupSec: 10, lost: 0, duplicated: 0 });
      expect(r.scheduleEps).toHaveLength(70);
      // The kill at +20 s of the scored window: 30 s after the replay (and its warm-up) started.
      expect(r.failures.map((f) => Math.floor((f.injectedAtMs - r.replayStartMs) / 1000))).toEqual([30]);
      // Only the checkpoints of the scored window are counted: fewer than in the whole run.
      expect(r.checkpointsCompleted).toBeGreaterThan(0);
      expect(r.checkpointsCompleted).toBeLessThan(r.checkpoints.length + 10 / 2);
    }

    // Samples in the warm-up are not scored: cold-JVM latencies there change nothing.
    const targets = { latencyTargetMs: 1500, recoveryTargetS: 15, latencyWindowSec: 1 };
    const r = recorded[0]!;
    const cold = { ...r, samples: r.samples.map((x) => (x.tMs < r.replayStartMs + 10_000 && x.latencyP99Ms !== undefined ? { ...x, latencyP99Ms: 60_000 } : x)) };
    expect(cold.samples.filter((x) => x.latencyP99Ms === 60_000).length).toBeGreaterThan(5);
    expect(realQos(scoredView(cold), targets).latencyViolationShare).toBe(realQos(scoredView(r), targets).latencyViolationShare);
    expect(realQos(scoredView({ ...cold, warmupSec: 0 }), targets).latencyViolationShare).toBeGreaterThan(realQos(scoredView(r), targets).latencyViolationShare);

    const khaos = khaosIn(home);
    // One sitting alone is not the whole plan.
    const part = await khaos('evaluate', '--config', configFile, '--policies', 'static:2s,static:4s', '--from-runs', dirs[0]!, '--out', path.join(home, 'report'));
    expect(part.code).toBe(2);
    expect(part.err).toMatch(/--from-runs: 2 of 4 planned runs are in none of the files: 3\. static:\ds #\d, 4\. static:\ds #\d/);
    // Another plan (another order seed) is refused, naming the difference.
    const otherConfig = path.join(home, 'other.yaml');
    fs.writeFileSync(otherConfig, YAML.stringify({ ...yaml, evaluate: { ...yaml.evaluate, real: { ...yaml.evaluate.real, orderSeed: 4 } } }));
    const other = await khaos('evaluate', '--config', otherConfig, '--policies', 'static:2s,static:4s', '--from-runs', dirs.join(','), '--out', path.join(home, 'report'));
    expect(other.err).toContain('orderSeed: 3 → 4');
    // Both sittings: the report, with medians and spreads over the repeats and the paired differences.
    const joined = await khaos('evaluate', '--config', configFile, '--policies', 'static:2s,static:4s', '--from-runs', dirs[0]!, '--from-runs', dirs[1]!, '--out', path.join(home, 'report'), '--json');
    expect(joined.code, joined.err).toBe(0);
    const json = JSON.parse(joined.out) as { planId: string; policies: Record<string, unknown>[]; paired: { reference: string; other: string; runs: number[] }[]; runs: { run: number; name: string }[] };
    expect(json.planId).toBe(input.planId);
    expect(json.policies.map((p) => [p.name, p.runs])).toEqual([['static:2s', 2], ['static:4s', 2]]);
    expect(json.policies[0]!.spread).toMatchObject({ latencyViolationShare: { min: expect.any(Number), max: expect.any(Number) } });
    expect(json.paired.map((p) => [p.reference, p.other, p.runs])).toEqual([['static:2s', 'static:4s', [1, 2]]]);
    expect(json.runs.map((x) => [x.name, x.run])).toEqual([['static:2s', 1], ['static:2s', 2], ['static:4s', 1], ['static:4s', 2]]);
    const md = fs.readFileSync(path.join(home, 'report', 'report.md'), 'utf8');
    for (const section of ['## Repeats: median and spread', '## Paired differences by run', '## Violations', '## Simulation against measurement']) expect(md).toContain(section);
    expect(md).toContain('a warm-up of 10 s (not scored, no kill');
    const timeline = JSON.parse(fs.readFileSync(path.join(home, 'report', 'timeline.json'), 'utf8'));
    expect(timeline.kind).toBe('measured');
    expect(timeline.runs.map((x: { name: string }) => x.name)).toEqual(['static:2s #1', 'static:2s #2', 'static:4s #1', 'static:4s #2']);
  });

  it('refuses, before anything starts and with the numbers, kills that do not fit, a slice past the trace, and a top rate above the measured capacity', () => {
    const bad = resolveConfig({ ...yaml, replay: { ...yaml.replay, compression: 2000 }, evaluate: { ...yaml.evaluate, real: { ...yaml.evaluate.real, kills: ['5s', '12s'] } } });
    const m = (() => {
      try {
        realEvaluationInput(bad, policies, sources());
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(m).toContain('the real evaluation cannot start');
    expect(m).toContain('covers 140000 s of trace from +0 s, ending at +140000 s, but ramp.csv lasts 86400 s');
    expect(m).toContain('the kills at +5 s and +12 s are 7 s apart, less than the recovery target of 15 s');
    const capacity = (replicas: number) => (replicas === 1 ? { profileId: 'p7', sustainableEps: 600 } : undefined);
    expect(() => realEvaluationInput(c, policies, sources(capacity))).toThrow(/the replay's top rate is \d+ ev\/s \(at \+\d+ s of the replay\), above the 600 ev\/s that profile p7's capacity probe measured for 1 iot replica\(s\) of parallelism 2 running at once: .*lower replay.peakRateEps to at most \d+/);
    expect(() => realEvaluationInput(c, policies, sources(() => ({ profileId: 'p7', sustainableEps: 5000 })))).not.toThrow();
  });

  it('--policies stands in for empty evaluate.policies and staticIntervals; without it the command says so', async () => {
    expect(c.evaluate.evaluated).toEqual([]);
    const khaos = khaosIn(home);
    // The simulator needs more simulated time than the real runs' compression leaves.
    const simConfig = path.join(home, 'sim.yaml');
    fs.writeFileSync(simConfig, YAML.stringify({ ...yaml, replay: { ...yaml.replay, compression: 10 }, evaluate: { ...yaml.evaluate, failuresPerSchedule: 1, minSpacing: '30min' } }));
    const sim = await khaos('evaluate', '--sim', '--config', simConfig, '--policies', 'static:30s', '--no-oracle', '--schedules', '1', '--out', path.join(home, 'sim'), '--json');
    expect(sim.code, sim.err).toBe(0);
    expect((JSON.parse(sim.out) as { policies: { name: string }[] }).policies.map((p) => p.name)).toEqual(['static:30s']);
    const none = await khaos('evaluate', '--config', configFile, '--out', path.join(home, 'none'));
    expect(none.code).toBe(2);
    expect(none.err).toContain('no policy to evaluate: evaluate.policies and evaluate.staticIntervals are empty, and --policies is not given');
    expect(fs.existsSync(path.join(home, 'none'))).toBe(false);
  });
});
