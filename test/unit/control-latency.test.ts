import { describe, expect, it } from 'vitest';
import { controlLatency, followLatency } from '../../src/app/control/latency-source.js';
import { runControlSession } from '../../src/app/control/session.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { resolveConfig } from '../../src/config/schema.js';
import { builtInJob } from '../../src/core/jobs.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import type { ControlLatency, OutputFollower } from '../../src/app/control/latency-source.js';
import { controlSettingsFor, fakeControlTarget } from '../fakes/controlled-run.js';

const own = (latency?: string) =>
  resolveConfig({ job: { jar: 'job.jar', entryClass: 'a.B', args: ['{groupId}', '{txnPrefix}'], ...(latency ? { latency } : {}) } }).job.descriptor;

/** A Kafka whose committed output the test writes: each record handed to the session's follower as a read_committed consumer would. */
function outputTopic() {
  const followers: ((value: string, seenAtMs: number, timestampMs: number) => void)[] = [];
  const bus: OutputFollower = {
    tailCommitted: async (_topic, onRecord) => {
      followers.push(onRecord);
      return { close: async () => void followers.splice(followers.indexOf(onRecord), 1) };
    },
  };
  return { bus, followers, commit: (seenAtMs: number, timestampsMs: number[]) => followers.forEach((f) => timestampsMs.forEach((ts) => f('{}', seenAtMs, ts))) };
}

/** A khaos+ session with models on the fake iot replica (its gauge reports the fake's own latency), observing `way`, for `seconds`; `onTick` at each tick. */
async function session(way: ControlLatency, bus: OutputFollower | undefined, seconds: number, onTick: (nowMs: number) => void = () => undefined) {
  const { clock, flink } = await fakeControlTarget();
  const store = new MemoryControlStore();
  const logs: string[] = [];
  const t0 = clock.now();
  const run = runControlSession(
    { flink, clock, store, log: (l) => logs.push(l), newRunId: () => 'r1', ownerPid: process.pid },
    controlSettingsFor('khaos+'),
    { startIntervalMs: 5000, samples: { samples: simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3)), source: 'simulated' }, config: {}, latency: { way, bus } },
    () => clock.now() - t0 > seconds * 1000,
    () => onTick(clock.now()),
  );
  return { run, store, logs };
}

describe('how control observes a job’s latency (job.latency)', { timeout: 30_000 }, () => {
  it('each job’s declared way: an own job’s output-timestamp from its output topic, metric:<name> from that gauge, none not at all; the sample jobs from their gauge', () => {
    expect(controlLatency(own(), 'e2eLatencyP99Ms', 'scores', 'fix')).toEqual({ kind: 'output', topic: 'scores' });
    expect(controlLatency(own('metric:p99Latency'), 'e2eLatencyP99Ms', undefined, 'fix')).toEqual({ kind: 'gauge', metric: 'p99Latency', declared: true });
    expect(controlLatency(own('none'), 'e2eLatencyP99Ms', undefined, 'fix')).toEqual({ kind: 'none' });
    expect(controlLatency(builtInJob('iot'), 'e2eLatencyP99Ms', 'out', 'fix')).toEqual({ kind: 'gauge', metric: 'e2eLatencyP99Ms', declared: false });
    // A sample job whose config sets job.latency is observed as it says.
    const iotFromOutput = resolveConfig({ job: { kind: 'iot', latency: 'output-timestamp' } }).job.descriptor;
    expect(controlLatency(iotFromOutput, 'e2eLatencyP99Ms', 'out', 'fix')).toEqual({ kind: 'output', topic: 'out' });
  });

  it('an output-timestamp job whose output topic is not known is refused, with the fix', () => {
    let e: unknown;
    try {
      controlLatency(own(), 'e2eLatencyP99Ms', undefined, 'give --output-topic TOPIC');
    } catch (err) {
      e = err;
    }
    expect((e as { kind: string }).kind).toBe('bad-input');
    expect((e as Error).message).toMatch(/job.latency is output-timestamp: .* does not know the topic/);
    expect((e as { hint: string }).hint).toBe('give --output-topic TOPIC');
  });

  it('followLatency: p99 of the records seen over the last span, each against its Kafka timestamp; nothing seen → no latency', async () => {
    const out = outputTopic();
    let now = 100_000;
    const f = await followLatency({ kind: 'output', topic: 'scores' }, out.bus, () => 4000, 6000);
    expect(f.latencyAt!(now)).toBeUndefined();
    // 10 records seen at 100 s, 5 s after their timestamp; 100 records committed at 101.5 s, seen 300..399 ms after theirs.
    out.commit(100_000, Array<number>(10).fill(95_000));
    out.commit(101_500, Array.from({ length: 100 }, (_, i) => 101_500 - 300 - i));
    now = 102_000;
    expect(f.latencyAt!(now)).toBe(5000); // both commits within the last 4 s: the 5 s ones are its top 9 %
    now = 105_000;
    expect(f.latencyAt!(now)).toBeCloseTo(398, 0); // p99 of 300..399 (interpolated); the 100 s records are out of the span
    expect(f.seen()).toBe(110);
    now = 106_000;
    expect(f.latencyAt!(now)).toBeUndefined(); // the span (4 s) holds no commit
    // Kept only as long as the longest span (6 s): records of long ago are dropped, still counted as seen.
    out.commit(130_000, [129_000]);
    now = 130_000;
    expect(f.latencyAt!(now)).toBe(1000);
    expect(f.seen()).toBe(111);
    await f.close();
    expect(out.followers).toHaveLength(0);
  });

  it('khaos+ on an output-timestamp job decides on the p99 of its committed output, not on a gauge the job happens to report', async () => {
    const out = outputTopic();
    // Output commits every 2 s, 1,000 ms after the records' timestamps (p99 ~1,000 ms, over the 1 s target).
    let lastCommitMs = 0;
    const s = await session({ kind: 'output', topic: 'scores' }, out.bus, 90, (now) => {
      if (now - lastCommitMs < 2000) return;
      lastCommitMs = now;
      out.commit(now, Array.from({ length: 50 }, (_, i) => now - 950 - i));
    });
    await s.run;
    expect(s.logs.join('\n')).toMatch(/latency from the committed output of topic scores \(job.latency output-timestamp\)/);
    const decisions = s.store.decisions('r1');
    const evaluated = decisions.filter((d) => Number.isFinite(d.observation.latencyMs));
    expect(evaluated.length).toBeGreaterThan(0);
    for (const d of evaluated) expect(d.observation.latencyMs).toBeGreaterThan(980);
    for (const d of evaluated) expect(d.observation.latencyMs).toBeLessThan(1000);
    // Steady output is taken as it is (no gauge to go stale): every decision after the first commit has a latency.
    expect(decisions.filter((d) => /unusable/.test(d.reason))).toEqual([]);
    expect(out.followers).toHaveLength(0); // the follower is closed with the session
  });

  it('no committed output for a minute: said once, as a warning', async () => {
    const out = outputTopic();
    const s = await session({ kind: 'output', topic: 'scores' }, out.bus, 70);
    await s.run;
    expect(s.logs.filter((l) => /no committed record on topic scores in 6\d s/.test(l))).toHaveLength(1);
    expect(s.store.events('r1').filter((e) => e.kind === 'warning')).toHaveLength(1);
  });

  it('job.latency none: said at start, the gauge the job reports is not read, and the latency target is not checked', async () => {
    const s = await session({ kind: 'none' }, undefined, 30);
    await s.run;
    expect(s.logs.join('\n')).toMatch(/job.latency is none: no latency is observed, so the latency target is not checked/);
    for (const d of s.store.decisions('r1')) expect(Number.isFinite(d.observation.latencyMs)).toBe(false);
  });

  it('job.latency metric:<name> that the job does not report: the session is refused at start, naming the metrics it has', async () => {
    const s = await session({ kind: 'gauge', metric: 'noSuchP99', declared: true }, undefined, 120);
    const e = await s.run.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as { kind: string }).kind).toBe('bad-input');
    expect((e as Error).message).toMatch(/job.latency metric:noSuchP99: 20 s after the job's metrics appeared, no metric ending in "noSuchP99" on any vertex of the job; it has .*e2eLatencyP99Ms/);
    expect((e as { hint: string }).hint).toMatch(/set job.latency to metric:<one of those names>/);
  });

  it('the gauge it names is read when the job reports it', async () => {
    const s = await session({ kind: 'gauge', metric: 'e2eLatencyP99Ms', declared: true }, undefined, 40);
    await s.run;
    expect(s.logs.join('\n')).toMatch(/latency from the gauge ending in "e2eLatencyP99Ms" \(job.latency\)/);
  });
});
