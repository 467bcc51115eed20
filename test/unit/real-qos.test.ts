import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_OPTIONS } from '../../src/core/control/policy.js';
import { checkpointInFlightShare, latencySeries, measureKills, realQos, runSamples } from '../../src/core/evaluation/real-qos.js';
import { gapRow, predictRun } from '../../src/core/sim/real-gap.js';
import { trailingMeanOverShare } from '../../src/core/stats.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { LAG_SLACK_SECONDS, type JobSample } from '../../src/core/profiling/recovery.js';
import { policyUnderTest } from '../../src/core/sim/sim-evaluation.js';
import { DEFAULT_FLUID_PARAMS, fluidParams } from '../../src/core/sim/fluid-params.js';
import { jobSampleAt, simulate } from '../../src/core/sim/simulate.js';

const T0 = 1_700_000_000_000;
const targets = { latencyTargetMs: 1000, recoveryTargetS: 20, latencyWindowSec: 1 };
const recovery = { baselineMs: 30_000, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: LAG_SLACK_SECONDS, requireRestart: true };

function record(samples: JobSample[], over: Partial<RealRunRecord> = {}): RealRunRecord {
  return {
    policy: 'static:5s', job: 'iot', replica: 'eval-1', mode: 'sequential', replayStartMs: T0, replayEndMs: T0 + samples.length * 1000,
    scheduleEps: samples.map(() => 1000), samples, intervals: [{ atMs: T0, intervalMs: 5000 }], failures: [], checkpoints: [], checkpointsCompleted: 0,
    changes: [], lost: 0, duplicated: 0, ...over,
  };
}
const running = (i: number, latencyP99Ms?: number, lag = 10): JobSample => ({ tMs: T0 + i * 1000, state: 'RUNNING', lag, inputEps: 1000, latencyP99Ms });

describe('QoS of a real run', () => {
  it('latency: readings count, a missing reading counts as over the target while down or recovering, and is left out otherwise', () => {
    const samples = [running(0, 500), running(1, undefined), { tMs: T0 + 2000, state: 'RESTARTING' } as JobSample, running(3, undefined), running(4, 800), running(5, 2000)];
    const r = record(samples, { failures: [{ injectedAtMs: T0 + 1500, type: 'kill', taskManagerId: 'tm', recoverySec: 2, detectionSec: 0.5, restartSec: 1, catchupSec: 0.5 }] });
    // 1 s: no reading before the kill → not judged; 2 s: down; 3 s: no reading within the recovery → down.
    expect(latencySeries(r)).toEqual([500, NaN, Infinity, Infinity, 800, 2000]);
    expect(realQos(r, targets).latencyViolationShare).toBeCloseTo(3 / 5);
    // Samples before the replay are not judged.
    expect(latencySeries(record(samples, { replayStartMs: T0 + 4000 }))).toEqual([800, 2000]);
  });

  it('a trailing mean over the latency window: a high spike violates for the window it stays in, a lower one never', () => {
    expect(trailingMeanOverShare([100, 100, 3500, 100, 100], 1000, 1)).toBeCloseTo(1 / 5);
    expect(trailingMeanOverShare([100, 100, 3500, 100, 100], 1000, 3)).toBeCloseTo(3 / 5); // 3700/3 > 1000 in the three windows holding it
    expect(trailingMeanOverShare([100, 100, 2500, 100, 100], 1000, 3)).toBe(0);
    expect(trailingMeanOverShare([], 1000, 1)).toBe(0);
    // A second with no reading while down violates by itself, and enters no mean.
    expect(trailingMeanOverShare([100, Infinity, 100, 100, 100], 1000, 2)).toBeCloseTo(1 / 5);
    // A second not judged is in neither the share nor any mean: 2500 alone, then (2500 + 100) / 2, over; 2 of 3 judged.
    expect(trailingMeanOverShare([100, NaN, 2500, 100], 1000, 2)).toBeCloseTo(2 / 3);
  });

  it('checkpoint overhead is the share of time with a checkpoint in flight, counting those the sampling missed', () => {
    const samples = Array.from({ length: 101 }, (_, i) => running(i, 100));
    const cps = [10, 30, 50].map((s, id) => ({ id, jobId: 'j', triggeredAtMs: T0 + s * 1000, durationMs: 2000, stateBytes: 1, savepoint: false }));
    expect(checkpointInFlightShare(record(samples, { checkpoints: cps, checkpointsCompleted: 3 }))).toBeCloseTo(6 / 100);
    expect(checkpointInFlightShare(record(samples, { checkpoints: cps, checkpointsCompleted: 10 }))).toBeCloseTo(20 / 100);
    expect(checkpointInFlightShare(record(samples))).toBe(0);
  });

  it('the row: recovery violations (late or never), changes and their outage, lost and duplicated, in the JSON order', () => {
    const samples = Array.from({ length: 10 }, (_, i) => running(i, 100));
    const f = (recoverySec: number | null) => ({ injectedAtMs: T0, type: 'kill' as const, taskManagerId: 'tm', recoverySec, detectionSec: null, restartSec: null, catchupSec: null });
    const row = realQos(record(samples, { failures: [f(5), f(25), f(null)], changes: [{ atMs: T0, fromMs: 5000, toMs: 3000, outageMs: 8000 }], lost: 2, duplicated: 1 }), targets);
    expect(Object.keys(row)).toEqual(['name', 'latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS', 'violationSeconds', 'lost', 'duplicated']);
    expect(row).toMatchObject({ recoveryViolations: 2, failures: 3, meanRecoveryS: 15, maxRecoveryS: 25, reconfigurations: 1, reconfigurationDowntimeS: 8, lost: 2, duplicated: 1 });
  });
});

describe('the simulator replaying a real run', () => {
  // A "real" run made by the simulator itself: its prediction must match it (no gap on its own physics).
  const params = fluidParams({ capacityEps: 4000, detectionSec: { kill: 3 }, restartSec: 4 });
  const rates = Array.from({ length: 240 }, (_, i) => 1500 + 1000 * Math.sin(i / 40));
  const sim = simulate({ ratesEps: rates, failures: [{ atSec: 80.4, type: 'kill' }, { atSec: 170.2, type: 'kill' }], actuator: 'paced', initialIntervalMs: 5000, params, control: { windowMs: 30_000 }, qos: targets });
  const samples = rates.map((_, s) => {
    const j = jobSampleAt(sim.series, s);
    return { ...j, tMs: T0 + j.tMs };
  });
  const kills = [80.4, 170.2].map((s) => ({ injectedAtMs: T0 + s * 1000, taskManagerId: 'tm' }));
  const r = record(samples, { scheduleEps: rates.map(Math.round), replayEndMs: T0 + 240_000, failures: measureKills(samples, kills, recovery) });

  it('measures the kills with the profiling detector as the simulator does', () => {
    // Equal but for the rounding of interpolating at epoch milliseconds (T0) rather than from 0.
    expect(r.failures.map((f) => f.recoverySec)).toEqual(sim.failures.map((f) => expect.closeTo(f.recoverySec!, 6)));
  });

  it('gives the recovered kills as failure samples: interval, baseline rate and latency, recovery and its phases', () => {
    const samples = runSamples([r], recovery);
    expect(samples).toHaveLength(2);
    for (const [k, s] of samples.entries()) {
      expect(s).toMatchObject({ ciMs: 5000, recoverySec: r.failures[k]!.recoverySec, detectionSec: r.failures[k]!.detectionSec });
      expect(s.throughputEps).toBeGreaterThan(400);
      expect(s.latencyMs).toBeGreaterThan(0);
    }
    expect(runSamples([{ ...r, failures: r.failures.map((f) => ({ ...f, injectedAtMs: T0 + 239_500 })) }], recovery)).toEqual([]);
  });

  it('predicts the same recoveries and latency share: a gap of 0', () => {
    const p = predictRun(r, { params, policy: policyUnderTest('static:5000'), policyOptions: { ...DEFAULT_POLICY_OPTIONS, ...targets }, control: { windowMs: 30_000 }, targets });
    const g = gapRow('static:5s', { recoveriesSec: r.failures.map((f) => f.recoverySec), latencyShare: sim.qos.latencyViolationShare }, { recoveriesSec: p.recoveriesSec, latencyShare: p.qos.latencyViolationShare });
    expect(g.recoveryGap).toBeLessThan(0.05);
    expect(g.realMedianRecoveryS).toBeGreaterThan(5);
    expect(p.qos.failures).toBe(2);
  });

  it('a slower simulated job shows as a gap above the tolerance', () => {
    const slow = { ...DEFAULT_FLUID_PARAMS, ...params, restartSec: 20 };
    const p = predictRun(r, { params: slow, policy: policyUnderTest('static:5000'), policyOptions: { ...DEFAULT_POLICY_OPTIONS, ...targets }, control: { windowMs: 30_000 }, targets });
    const g = gapRow('static:5s', { recoveriesSec: r.failures.map((f) => f.recoverySec), latencyShare: 0 }, { recoveriesSec: p.recoveriesSec, latencyShare: 0 });
    expect(g.recoveryGap).toBeGreaterThan(0.15);
    expect(g.latencyShareGap).toBe(0);
  });
});
