import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRealEvaluation, type RealEvaluationInput } from '../../src/app/evaluate-real.js';
import { planId, planRealRuns, type RealPlan } from '../../src/core/evaluation/real-plan.js';
import { resolveConfig } from '../../src/config/schema.js';
import { policyUnderTest } from '../../src/core/sim/evaluate.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';
import type { MessageBus, ReadRecord } from '../../src/ports/message-bus.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../fakes/manual-clock.js';
import { MemoryControlStore } from '../fakes/memory-control-store.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';

/** The input topic of a run: `<prefix>-<position>-input`, its replicas' audit topics `<prefix>-<position>-<replica>-audit`. */
const isInput = (t: string) => /-input$/.test(t);
const inputOf = (audit: string) => audit.replace(/-eval-\d+-audit$/, '-input');
const samplesFile = path.resolve(__dirname, '..', '..', 'examples', 'samples-iot-local-SIMULATED.csv');

/** A plan of the test's setup with `over` on top, and its id. */
function planned(over: Partial<RealPlan>): { plan: RealPlan; planId: string } {
  const plan = planRealRuns({
    job: 'iot', parallelism: 1, trace: 'ramp', peakRateEps: 1000, compression: 600, startOffsetSec: 0, warmupSec: 0, durationSec: 80, seed: 1, mode: 'sequential', drainMs: 15_000,
    initialIntervalMs: 5000, fallbackIntervalMs: 120_000, policies: [], repeats: 1, orderSeed: 42, killsSec: [[30, 60]], ...over,
  });
  return { plan, planId: planId(plan) };
}

/** The fake models processing, not output: each replica's audit output is made up as an exactly-once job would commit it. */
class AuditingBus extends MemoryMessageBus {
  override async readAllCommitted(topic: string): Promise<ReadRecord[]> {
    if (!topic.endsWith('-audit')) return super.readAllCommitted(topic);
    const counts = new Map<string, number>();
    for (const { key } of await super.readAllCommitted(inputOf(topic))) if (key && !key.startsWith('__')) counts.set(key, (counts.get(key) ?? 0) + 1);
    return [...counts].map(([key, count], i) => ({ key, value: JSON.stringify({ key, windowEnd: 1000, count }), partition: 0, offset: String(i) }));
  }
}

describe('runRealEvaluation on a fake platform, replicas side by side', { timeout: 60_000 }, () => {
  it('every policy gets a replica on the one replay, the same kills at the same time, and a record of what it measured; no replica is left', async () => {
    const clock = new ManualClock();
    const platform = new FakeFlinkPlatform(clock, { capacityEps: 5000, detectionDelayMs: 1000, restartDelayMs: 2000 });
    const bus: MessageBus = platform.feedingBus(new AuditingBus(), isInput);
    const store = new MemoryControlStore();
    let runs = 0;
    const lines: string[] = [];
    const deps = { orchestrator: platform, bus, flinkAt: (u: string) => platform.flinkAt(u), injectorFor: (r: string) => platform.injectorFor(r), clock, store, newRunId: () => `run-${++runs}`, log: (l: string) => lines.push(l) };
    const c = resolveConfig({ control: { window: '15s', evaluateEvery: '5s', afterChange: '5s', minUptime: '10s', candidateMin: '1s', candidateMax: '10s', candidateStep: '500ms', minChange: '1s', recoveryTarget: '15s', latencyTarget: '1500ms' } });
    const policies = [policyUnderTest('khaos+'), policyUnderTest('static:2000')];
    const input: RealEvaluationInput = {
      job: 'iot', trace: parseTraceCsv('t,v\n2020-01-01 00:00:00,50\n2020-01-02 00:00:00,100\n', 'ramp'), seed: 1, parallelism: 1, partitions: 2,
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
