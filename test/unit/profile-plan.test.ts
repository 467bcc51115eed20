import { describe, expect, it } from 'vitest';
import { evenIntervals, injectionOrder, injectionTarget, measureFailure, stepReplaySec, stepSchedule } from '../../src/core/profiling/profile-plan.js';
import { seededRandom } from '../../src/core/random.js';
import type { JobSample } from '../../src/core/profiling/recovery.js';
import { mean } from '../../src/core/stats.js';

describe('injectionTarget', () => {
  const base = { nowMs: 10_000, lastTriggerMs: 9000, intervalMs: 5000, leadMs: 500, rnd: seededRandom(1) };

  it('lands leadMs before the next due checkpoint (fixed-rate triggers)', () => {
    expect(injectionTarget('before-checkpoint', base)).toEqual({ atMs: 13_500, nextDueMs: 14_000 });
  });

  it('skips to the following checkpoint when the next one is too close to act on', () => {
    expect(injectionTarget('before-checkpoint', { ...base, nowMs: 13_400 })).toEqual({ atMs: 18_500, nextDueMs: 19_000 });
  });

  it('lands leadMs after the next checkpoint for after-checkpoint, and inside one interval for random', () => {
    expect(injectionTarget('after-checkpoint', base)).toEqual({ atMs: 14_500, nextDueMs: 14_000 });
    const r = injectionTarget('random', base);
    expect(r.atMs).toBeGreaterThanOrEqual(10_000);
    expect(r.atMs).toBeLessThan(15_000);
  });

  it('falls back to random timing when no checkpoint has completed yet', () => {
    expect(injectionTarget('before-checkpoint', { ...base, lastTriggerMs: undefined }).nextDueMs).toBeUndefined();
  });
});

describe('measureFailure', () => {
  const samples = (latency: (i: number) => number): JobSample[] =>
    Array.from({ length: 40 }, (_, i) => (i >= 20 && i < 24 ? { tMs: i * 1000, state: 'RESTARTING' } : { tMs: i * 1000, state: 'RUNNING', lag: 10, inputEps: 100, latencyP99Ms: latency(i) }));
  const opts = { baselineMs: 15_000, sustainMs: 3000, sampleEveryMs: 1000, slackSeconds: 0.5 };

  it('takes the means of the baseline window and the phases of the recovery', () => {
    const m = measureFailure(samples((i) => 500 + (i % 2) * 100), 19_500, opts);
    expect(m).toMatchObject({ throughputEps: 100, detectionSec: 0.5, restartSec: 4, catchupSec: 0, recoverySec: 4.5, outcome: 'recovered' });
    expect(m.latencyMs).toBeCloseTo((8 * 600 + 7 * 500) / 15); // samples 5..19: eight odd, seven even
  });

  it('leaves a fresh replica\'s cold start out of the latency baseline: its first 20 s (one-at-a-time: the baseline is its whole run)', () => {
    // 40 s of a replica's run before the kill: p99 from 3 s falling to ~100 ms over its first 10 s.
    const run: JobSample[] = Array.from({ length: 41 }, (_, i) => ({ tMs: 1000 + i * 1000, state: 'RUNNING', lag: 10, inputEps: 100, latencyP99Ms: i < 10 ? 3000 - i * 290 : 100 + (i % 2) * 10 }));
    const fresh = measureFailure(run, 40_500, { ...opts, baselineMs: 40_000 });
    expect(fresh.latencyMs).toBeCloseTo(mean(run.filter((s) => s.tMs >= 21_000 && s.tMs < 40_500).map((s) => s.latencyP99Ms!)));
    expect(fresh.latencyMs).toBeLessThan(110);
    // A series long before the baseline (the controller's history): the whole baseline counts.
    const long: JobSample[] = [{ tMs: -60_000, state: 'RUNNING', lag: 10, inputEps: 100, latencyP99Ms: 100 }, ...run];
    expect(measureFailure(long, 40_500, { ...opts, baselineMs: 40_000 }).latencyMs).toBeCloseTo(mean(run.filter((s) => s.tMs >= 500 && s.tMs < 40_500).map((s) => s.latencyP99Ms!)));
  });

  it('reports no latency when the gauge never moved over the baseline (a stale metric)', () => {
    expect(measureFailure(samples(() => 1021), 19_500, opts).latencyMs).toBeNull();
  });

  it('a job RUNNING again whose metrics stay the dead attempt’s is unmeasured; one whose new attempt lags on is a timeout', () => {
    // the source counter grows 100 a second until the kill; REST then serves its last value for ever (as seen on p20261130122330)
    const withCounter = (after: (i: number) => Partial<JobSample>) =>
      samples(() => 500).map((x, i) => (x.state !== 'RUNNING' ? x : i < 20 ? { ...x, processed: 1000 + i * 100 } : { ...x, ...after(i) }));
    const frozen = measureFailure(withCounter(() => ({ lag: 0, inputEps: 0, processed: 2900 })), 19_500, opts);
    expect(frozen).toMatchObject({ outcome: 'unmeasured', recoverySec: null, detectionSec: 0.5, restartSec: 4 });
    // the restarted attempt counts from 0 and its lag never drains: the job really did not catch up
    const behind = measureFailure(withCounter((i) => ({ lag: 5000, inputEps: 50, processed: (i - 24) * 50 })), 19_500, opts);
    expect(behind).toMatchObject({ outcome: 'timeout', recoverySec: null });
  });
});

describe('evenIntervals', () => {
  it('spaces intervals evenly, rounded to 100 ms', () => {
    expect(evenIntervals(10_000, 120_000, 5)).toEqual([10_000, 37_500, 65_000, 92_500, 120_000]);
    expect(evenIntervals(2000, 8000, 1)).toEqual([2000]);
  });
});

describe('step length and schedule', () => {
  const p = { replay: { trace: 't', peakRateEps: 1, compression: 1, beforeSec: 20, afterSec: 40 } };

  it('gives each replica its wait for a checkpoint and the timeout: once side by side, one after another staggered', () => {
    expect(stepReplaySec(p, 'side-by-side', [2000, 10_000])).toBe(20 + 10 + 40);
    expect(stepReplaySec(p, 'staggered', [2000, 10_000])).toBe(20 + (2 + 40) + (10 + 40));
    expect(stepReplaySec(p, 'one-at-a-time', [2500])).toBe(20 + 3 + 40);
  });

  it('plays the window around the point back and forth beyond its length, so the load stays the point’s', () => {
    expect(stepSchedule([1, 2, 3], 8)).toEqual([1, 2, 3, 3, 2, 1, 1, 2]);
    expect(stepSchedule([1, 2, 3], 2)).toEqual([1, 2]);
  });

  it('rotates the order from step to step', () => {
    expect([0, 1, 2, 3].map((i) => injectionOrder(['a', 'b', 'c'], i).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });
});
