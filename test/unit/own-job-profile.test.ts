import { describe, expect, it } from 'vitest';
import { planFromConfig, runProfile, type ProfileDeps } from '../../src/app/profile.js';
import { resolveConfig } from '../../src/config/schema.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { checkPlan } from '../../src/core/profiling/profile-plan.js';
import type { ProfilePlan } from '../../src/core/profiling/profile-records.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import type { MessageBus, OutgoingRecord } from '../../src/ports/message-bus.js';
import { MemoryProfileStore } from '../fakes/memory-profile-store.js';

const trace = parseTraceCsv('t,v\n2020-01-01 00:00:00,0\n2020-01-02 00:00:00,100\n', 'ramp');
const OWN = {
  jar: 'examples/payments.jar', entryClass: 'com.example.PaymentsJob',
  args: ['--brokers', '{bootstrap}', '--in', '{inputTopic}', '--out', '{outputTopic}', '--group', '{groupId}', '--txn', '{txnPrefix}'],
};

/** A job that writes each input record to every replica's output topic at once, stamped with the time (a 1:1 job's output, committed as it goes). */
function echoingOutput(bus: MessageBus, clock: ManualClock): MessageBus {
  return Object.assign(Object.create(bus) as MessageBus, {
    produce: async (topic: string, records: OutgoingRecord[]) => {
      await bus.produce(topic, records);
      if (!topic.endsWith('-in')) return;
      for (const out of [...(bus as MemoryMessageBus).topics.keys()].filter((t) => t.endsWith('-out'))) await bus.produce(out, records.map((r) => ({ ...r, timestampMs: clock.now() - 200 })));
    },
  });
}

/** A profile of one point and two intervals of the config's job on the fake platform, its input kept in `bus` (`echo`: the job writes its output). */
function setup(job: Record<string, unknown>, chaos: Record<string, unknown> = {}, echo = false) {
  const c = resolveConfig({ job: { ...OWN, ...job }, chaos, replay: { compression: 60 }, profile: { points: 1 } });
  const planned = planFromConfig(c, trace, 4, () => {});
  const plan: ProfilePlan = checkPlan({
    ...planned, intervalsMs: [2000, 10_000], points: [{ index: 0, traceOffsetSec: 30_000, level: 35, rate: 35 }], repetitions: 1, parallelism: 1, injection: 'side-by-side',
    replay: { trace: 'ramp', peakRateEps: 3000, compression: 60, beforeSec: 20, afterSec: 120 }, sustainSec: 3, recoveryTimeoutMs: 120_000,
  });
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 1000, restartDelayMs: 1000 });
  const store = new MemoryProfileStore();
  store.createProfile({ id: 'p1', createdAtMs: clock.now(), status: 'running', plan, provenance: { config: {}, flinkVersion: 'fake', jobJarSha256: 'fake', clock: 'manual', timeScaling: { compression: 60 } } });
  const memory = new MemoryMessageBus(() => clock.now());
  const bus = echo ? echoingOutput(memory, clock) : memory;
  const lines: string[] = [];
  const deps: ProfileDeps = { orchestrator: platform, bus: platform.feedingBus(bus, (t) => t.startsWith('khaos-prof-p1-in')), flinkAt: (u) => platform.flinkAt(u), injectorFor: (r) => platform.injectorFor(r), clock, store, log: (l) => lines.push(l) };
  const starts = () => platform.calls.filter((x) => x.method === 'startReplica').map((x) => x.args[0] as { job: unknown });
  const input = () => memory.topics.get('khaos-prof-p1-in')?.flat() ?? [];
  return { c, plan, deps, store, bus, starts, input, lines };
}

describe('khaos profile of an own job (job.kind custom) on a fake platform', { timeout: 30_000 }, () => {
  it('replays template records into its input, starts its replicas from its descriptor and stores a profile', async () => {
    const s = setup({ input: { template: { paymentId: '${uuid}', account: '${zipf:500:1.1}', amount: '${float:1:500}', ts: '${eventTime}' }, key: 'account' }, latency: 'none' });
    expect(s.plan).toMatchObject({ job: 'custom', descriptor: s.c.job.descriptor, latencySource: 'none' });
    expect(await runProfile(s.deps, 'p1', trace)).toBe('done');
    expect(s.starts().map((r) => r.job)).toEqual([s.c.job.descriptor, s.c.job.descriptor]);
    const records = s.input();
    expect(records.length).toBeGreaterThan(1000);
    for (const r of records.slice(0, 50)) {
      const v = JSON.parse(r.value) as { paymentId: string; account: number; amount: number; ts: number };
      expect(v.paymentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.key).toBe(String(v.account));
      expect(v.amount).toBeGreaterThanOrEqual(1);
    }
    const ms = s.store.measurements('p1');
    expect(ms).toHaveLength(2);
    for (const m of ms) expect(m).toMatchObject({ outcome: 'recovered', latencyMs: null, latencySource: 'none' });
  });

  it('replays the records of a recorded topic, in order and looping', async () => {
    const s = setup({ input: { replayTopic: 'payments-recorded' }, latency: 'none' });
    await s.bus.ensureTopic('payments-recorded', 1);
    await s.bus.produce('payments-recorded', [0, 1, 2].map((i) => ({ key: `k${i}`, value: `{"paymentId":"p${i}"}` })));
    expect(await runProfile(s.deps, 'p1', trace)).toBe('done');
    const records = s.input();
    expect(records.length).toBeGreaterThan(1000); // three records, looped
    const byKey = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    for (const r of records) {
      byKey.set(r.key!, (byKey.get(r.key!) ?? new Set()).add(r.value));
      counts.set(r.key!, (counts.get(r.key!) ?? 0) + 1);
    }
    expect(byKey).toEqual(new Map([0, 1, 2].map((i) => [`k${i}`, new Set([`{"paymentId":"p${i}"}`])])));
    // in order: the three go out in turn, so their counts differ by at most one
    expect(Math.max(...counts.values()) - Math.min(...counts.values())).toBeLessThanOrEqual(1);
    expect(s.lines).toContain("job input: 3 records of topic payments-recorded, replayed in order at the trace's rates (looping when it needs more)");
  });

  it('refuses a replay topic that does not exist or is empty before any replica starts', async () => {
    const missing = setup({ input: { replayTopic: 'nowhere' } });
    await expect(runProfile(missing.deps, 'p1', trace)).rejects.toMatchObject({ kind: 'bad-input', message: "job.input.replayTopic: topic nowhere does not exist on the stack's Kafka" });
    expect(missing.starts()).toEqual([]);
    const empty = setup({ input: { replayTopic: 'blank' } });
    await empty.bus.ensureTopic('blank', 2);
    await expect(runProfile(empty.deps, 'p1', trace)).rejects.toMatchObject({ kind: 'bad-input', message: 'job.input.replayTopic: topic blank is empty', hint: expect.stringContaining('record the job') });
    expect(empty.starts()).toEqual([]);
  });

  it('refuses the exception failure for a job without marker support, and takes it with job.failureMarker', () => {
    expect(() => setup({ input: { template: { a: 1 } } }, { failure: 'exception' })).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining('job custom does not declare marker support (job.failureMarker)') }));
    for (const failure of ['kill', 'freeze']) expect(setup({ input: { template: { a: 1 } } }, { failure }).plan.failure).toBe(failure);
    expect(setup({ input: { template: { a: 1 } }, failureMarker: 'paymentId' }, { failure: 'exception' }).plan.descriptor?.failureMarker).toEqual({ field: 'paymentId' });
  });

  it('refuses, at the end of the baseline, a latency metric the job does not have, naming the ones it has', async () => {
    const s = setup({ input: { template: { a: 1 } }, latency: 'metric:fraudLatencyP99' });
    await expect(runProfile(s.deps, 'p1', trace)).rejects.toMatchObject({
      kind: 'bad-input',
      message: expect.stringMatching(/^job\.latency metric:fraudLatencyP99: after the baseline of replica ci-\d+, no metric ending in "fraudLatencyP99" on any vertex of the job; it has .*latency\.e2eLatencyP99Ms/),
      hint: 'set job.latency to metric:<one of those names>, output-timestamp or none',
    });
    const found = setup({ input: { template: { a: 1 } }, latency: 'metric:e2eLatencyP99Ms' });
    expect(await runProfile(found.deps, 'p1', trace)).toBe('done');
    for (const m of found.store.measurements('p1')) expect(m).toMatchObject({ latencySource: 'gauge', outcome: 'recovered' });
  });

  it('refuses, at the end of the baseline, an output topic the job never writes (job.latency output-timestamp); measures the latency of one it writes', async () => {
    const silent = setup({ input: { template: { a: 1 } } });
    await expect(runProfile(silent.deps, 'p1', trace)).rejects.toMatchObject({
      kind: 'bad-input',
      message: expect.stringMatching(/^job\.latency output-timestamp: after the baseline of replica ci-\d+, its output topic holds no committed record although \d+ checkpoints completed: the job writes nothing there$/),
      hint: expect.stringContaining('{outputTopic} in job.args'),
    });
    expect(silent.store.measurements('p1')).toEqual([]);
    const writes = setup({ input: { template: { a: 1 } } }, {}, true);
    expect(await runProfile(writes.deps, 'p1', trace)).toBe('done');
    const ms = writes.store.measurements('p1');
    expect(ms).toHaveLength(2);
    for (const m of ms) expect(m).toMatchObject({ latencySource: 'output', outcome: 'recovered', latencyMs: 200 }); // each record seen 200 ms after its timestamp
  });

  it('reads latency from a Flink metric with job.latency metric:<name>', () => {
    expect(setup({ input: { template: { a: 1 } }, latency: 'metric:fraudLatencyP99' }).plan).toMatchObject({ latencySource: 'gauge', latencyMetric: 'fraudLatencyP99' });
    expect(setup({ input: { template: { a: 1 } } }).plan).toMatchObject({ latencySource: 'output' });
  });
});
