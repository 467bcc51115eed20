import { describe, expect, it } from 'vitest';
import { judgeHold, judgeReplicas, nextProbeRate, sustainableEps } from '../../src/core/profiling/capacity.js';
import type { JobSample } from '../../src/core/profiling/recovery.js';

/** `n` seconds of a replica fed `rate` ev/s that processes `throughput` ev/s (its lag grows by the difference). */
const hold = (rate: number, throughput: number, n = 12): JobSample[] =>
  Array.from({ length: n }, (_, i) => ({ tMs: i * 1000, state: 'RUNNING', lag: 100 + i * Math.max(0, rate - throughput), inputEps: throughput }) as JobSample);

describe('capacity probe judgement', () => {
  it('a hold is sustained when the lag does not grow, and not when it grows by more than 3 % of the rate', () => {
    expect(judgeHold(1000, hold(1000, 1000), false)).toMatchObject({ rateEps: 1000, sustained: true, throughputEps: 1000 });
    expect(judgeHold(1000, hold(1000, 900), false)).toMatchObject({ sustained: false });
    expect(judgeHold(1000, hold(1000, 1000, 5), false)).toBeUndefined(); // too short to judge
  });

  it('replicas side by side: no verdict until each has one; sustained only when all sustained, with the slowest throughput', () => {
    const ok = judgeHold(1000, hold(1000, 1000), false);
    const slow = judgeHold(1000, hold(1000, 800), false);
    expect(judgeReplicas([ok, undefined])).toBeUndefined();
    expect(judgeReplicas([ok, ok])).toMatchObject({ sustained: true, throughputEps: 1000 });
    expect(judgeReplicas([ok, slow])).toMatchObject({ sustained: false, throughputEps: 800, lagSlopeEps: slow!.lagSlopeEps });
  });

  it('the staircase doubles until a rate fails, then bisects to within 5 %', () => {
    const step = (rateEps: number, sustained: boolean) => ({ rateEps, heldSec: 10, throughputEps: rateEps, lagSlopeEps: 0, sustained });
    expect(nextProbeRate([], 500, 80_000)).toBe(500);
    expect(nextProbeRate([step(500, true)], 500, 80_000)).toBe(1000);
    expect(nextProbeRate([step(500, true), step(1000, false)], 500, 80_000)).toBe(750);
    expect(nextProbeRate([step(1000, true), step(1040, false)], 500, 80_000)).toBeUndefined();
    expect(sustainableEps([step(500, true), step(1000, false), step(750, true)])).toBe(750);
  });
});
