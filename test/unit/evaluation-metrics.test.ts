import { describe, expect, it } from 'vitest';
import { latencySeries, realQos } from '../../src/core/evaluation/real-qos.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { judgeScenario, type VerdictRow } from '../../src/core/evaluation/verdict.js';
import { DOWN_SECOND, judgeLatency, recoveryViolatingSeconds, violationSeconds } from '../../src/core/evaluation/violations.js';
import type { JobSample } from '../../src/core/profiling/recovery.js';
import { fluidParams } from '../../src/core/sim/fluid-params.js';
import { judgedLatency, simulate } from '../../src/core/sim/simulate.js';
import { trailingMeanOverShare } from '../../src/core/stats.js';
import { verdictLines } from '../../src/report/evaluate-report.js';

const T0 = 1_700_000_000_000;
const record = (samples: JobSample[], over: Partial<RealRunRecord> = {}): RealRunRecord => ({
  policy: 'static:5s', job: 'iot', replica: 'eval-1', mode: 'sequential', replayStartMs: T0, replayEndMs: T0 + samples.length * 1000,
  scheduleEps: samples.map(() => 1000), samples, intervals: [{ atMs: T0, intervalMs: 5000 }], failures: [], checkpoints: [], checkpointsCompleted: 0,
  changes: [], lost: 0, duplicated: 0, ...over,
});
const at = (ms: number, latencyP99Ms?: number, state: JobSample['state'] = 'RUNNING'): JobSample => ({ tMs: T0 + ms, state, lag: 10, inputEps: 1000, latencyP99Ms });
const kill = (s: number, recoverySec: number | null) => ({ injectedAtMs: T0 + s * 1000, type: 'kill' as const, taskManagerId: 'tm', recoverySec, detectionSec: null, restartSec: null, catchupSec: null });

describe('the latency metric, in seconds', () => {
  it('one down second in 1 000 weighs one second at a 300 s window, not 300', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 500 ? DOWN_SECOND : 200));
    // Before: a down second made every window holding it infinite, a share of 0.3.
    expect(trailingMeanOverShare(values, 1000, 300)).toBeCloseTo(0.001, 12);
    expect(judgeLatency(values, 1000, 300)).toMatchObject({ judgedSeconds: 1000, perSecondShare: 0.001, windowShare: 0.001 });
  });

  it('a real run is judged per second, not per sample: two samples in a second count once, a missing one holds the last', () => {
    // Seconds 0–9 within the target, one sample each; seconds 10–14 over it, two samples each; seconds 15–19 with one sample every other second.
    const samples = [
      ...Array.from({ length: 10 }, (_, s) => at(s * 1000 + 100, 200)),
      ...Array.from({ length: 5 }, (_, k) => [at((10 + k) * 1000 + 100, 3000), at((10 + k) * 1000 + 600, 3000)]).flat(),
      ...[15, 17, 19].map((s) => at(s * 1000 + 100, 200)),
    ];
    const series = latencySeries(record(samples));
    expect(series).toHaveLength(20);
    expect(series.slice(15)).toEqual([200, 200, 200, 200, 200]);
    const row = realQos(record(samples), { latencyTargetMs: 1000, recoveryTargetS: 20, latencyWindowSec: 1 });
    // Per sample it was 10 of 23.
    expect(row.latencyViolationShare).toBeCloseTo(5 / 20, 12);
    expect(row.violationSeconds).toEqual({ latency: 5, recovery: 0, total: 5 });
  });

  it('a real run reports the windowed share beside the per-second one, a down sample weighing one second in both', () => {
    const samples = Array.from({ length: 1000 }, (_, s) => (s === 500 ? at(s * 1000, undefined, 'RESTARTING') : at(s * 1000, 200)));
    const row = realQos(record(samples, { failures: [kill(499.5, 2)] }), { latencyTargetMs: 1000, recoveryTargetS: 20, latencyWindowSec: 300 });
    expect(row.latencyViolationShare).toBeCloseTo(0.001, 12);
    expect(row.latencyWindowViolationShare).toBeCloseTo(0.001, 12);
  });

  it('a simulated run is judged by the same rule: a second not RUNNING is down, whatever head-of-backlog wait the model gives it', () => {
    const params = fluidParams({ capacityEps: 4000 });
    const sim = simulate({ ratesEps: new Array(1200).fill(2000), failures: [{ atSec: 600.5, type: 'kill' }], actuator: 'paced', initialIntervalMs: 10_000, params, qos: { latencyTargetMs: 100_000, recoveryTargetS: 1000, latencyWindowSec: 300 } });
    const judged = judgedLatency(sim.series);
    const down = judged.filter((v) => v === DOWN_SECOND).length;
    expect(down).toBeGreaterThan(0);
    // The target is above any reading: only the down seconds violate, and each once.
    expect(sim.qos.violationSeconds.latency).toBe(down);
    expect(sim.qos.latencyViolationShare).toBeCloseTo(down / 1200, 12);
    expect(sim.qos.latencyWindowViolationShare).toBeCloseTo(down / 1200, 12);
  });
});

describe('violation seconds', () => {
  it('a recovery violates for the seconds beyond its target; one that never ended, to the end of the run', () => {
    expect([...recoveryViolatingSeconds(10, [{ atSec: 1.5, recoverySec: 4 }], 2)]).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0]); // (3.5, 5.5)
    expect([...recoveryViolatingSeconds(10, [{ atSec: 1.5, recoverySec: 1 }], 2)]).toEqual(new Array(10).fill(0));
    expect([...recoveryViolatingSeconds(6, [{ atSec: 1, recoverySec: null }], 2)]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('the total counts each second once: a late recovery’s seconds are mostly latency seconds already', () => {
    const latency = Uint8Array.from([0, 1, 1, 1, 1, 0, 0, 1, 0, 2]);
    const v = violationSeconds(latency, [{ atSec: 1, recoverySec: 5 }], 2); // recovery seconds 3, 4, 5
    expect(v).toEqual({ latency: 5, recovery: 3, total: 6 });
    // Two recoveries overlapping: their common seconds once.
    expect(violationSeconds(new Uint8Array(10), [{ atSec: 0, recoverySec: 6 }, { atSec: 2, recoverySec: 6 }], 2)).toEqual({ latency: 0, recovery: 6, total: 6 });
  });
});

describe('the deciding rule', () => {
  const row = (name: string, latencyViolationShare: number, recoveryViolations: number, total: number): VerdictRow => ({ name, latencyViolationShare, recoveryViolations, violationSeconds: { latency: total, recovery: 0, total } });

  it('decides when the best static still violates and the statics trade one target against the other', () => {
    const v = judgeScenario([row('khaos+', 0.01, 1, 400), row('static:10s', 0.02, 0, 900), row('static:60s', 0.005, 3, 1000), row('static:120s', 0.004, 5, 1500), row('oracle', 0.005, 0, 200)]);
    expect(v.deciding).toBe(true);
    expect(v.reason).toMatch(/^deciding: the best static interval in hindsight, static:10s, still has 900 s .* static:10s has the fewest recovery violations \(0\), static:120s the least latency/);
    expect(v.bestStatic).toBe('static:10s');
    expect(v.staticFrontier).toEqual(['static:10s', 'static:60s', 'static:120s']);
    expect(v.policies).toEqual([{ name: 'khaos+', dominatedBy: [], totalRatioToBestStatic: 400 / 900, oracleGapClosed: 500 / 700 }]);
  });

  it('is not deciding when the best static has no violation: the targets bind nothing', () => {
    const v = judgeScenario([row('khaos+', 0, 0, 0), row('static:10s', 0, 0, 0), row('static:60s', 0.001, 0, 3)]);
    expect(v.deciding).toBe(false);
    expect(v.reason).toBe('not deciding: the best static interval in hindsight, static:10s, has no violation at all: the targets bind nothing here');
    expect(v.policies[0]!.totalRatioToBestStatic).toBeNull();
  });

  it('is not deciding when one static is best on both targets (ties included), and names it', () => {
    const v = judgeScenario([row('khaos+', 0.003, 0, 60), row('static:10s', 0.0024, 0, 50), row('static:30s', 0.0024, 1, 80), row('static:60s', 0.004, 0, 90)]);
    expect(v.deciding).toBe(false);
    expect(v.reason).toMatch(/^not deciding: static:10s has both the fewest recovery violations \(0\) and the least latency violation share \(0.24 %\)/);
    expect(v.policies[0]!.dominatedBy).toEqual(['static:10s']);
  });

  it('is not deciding with fewer than two statics', () => {
    expect(judgeScenario([row('khaos+', 0.01, 1, 10), row('static:10s', 0.02, 0, 20)])).toMatchObject({ deciding: false, bestStatic: 'static:10s', reason: expect.stringMatching(/^not deciding: 1 static interval\(s\) evaluated/) });
    expect(judgeScenario([row('khaos+', 0.01, 1, 10)])).toMatchObject({ deciding: false, bestStatic: null });
  });

  it('gives no oracle gap when the oracle does no better than the best static', () => {
    const v = judgeScenario([row('khaos+', 0.01, 1, 400), row('static:10s', 0.02, 0, 300), row('static:60s', 0.005, 3, 1000), row('oracle', 0.01, 0, 300)]);
    expect(v.policies[0]!.oracleGapClosed).toBeNull();
    expect(v.policies[0]!.totalRatioToBestStatic).toBeCloseTo(4 / 3, 12);
  });
});

describe('the verdict in words', () => {
  const row = (name: string, share: number, rec: number, total: number) => ({ name, latencyViolationShare: share, recoveryViolations: rec, violationSeconds: { latency: total, recovery: 0, total } });
  it('a ratio under 0.8 is "met" only on a deciding scenario; where the targets bind nothing it decides nothing', () => {
    // One static best on both targets: not deciding, although khaos+ has half its violation time.
    const notDeciding = [row('static:1s', 0.01, 0, 4), row('static:5s', 0.02, 1, 8), row('khaos+', 0.005, 0, 2)];
    const quiet = verdictLines(judgeScenario(notDeciding), notDeciding).find((l) => l.startsWith('khaos+'))!;
    expect(quiet).toContain('(goal ≤ 0.8: decides nothing here)');
    expect(quiet).not.toMatch(/: met\)/);
    // The statics trade the targets, and the best still has violations: deciding.
    const deciding = [row('static:1s', 0.05, 0, 10), row('static:5s', 0.01, 2, 12), row('khaos+', 0.01, 0, 4)];
    expect(verdictLines(judgeScenario(deciding), deciding).find((l) => l.startsWith('khaos+'))).toContain('(goal ≤ 0.8: met)');
  });
});
