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
    // a flat lag with half the rate processed: the input never arrived (a saturated replayer), not sustained
    expect(judgeHold(4000, hold(1912, 1912), false)).toMatchObject({ sustained: false, throughputEps: 1912 });
  });

  it('throughput comes from the source counter over the window, not from per-second rates that alias', () => {
    // the counter advances 1000 a second, but every other sample sees no change and the next twice as much
    const aliased = hold(1000, 1000).map((s, i) => ({ ...s, processed: 1000 * (i - (i % 2)), inputEps: i % 2 ? 0 : 2000 }));
    const { throughputEps } = judgeHold(1000, aliased, true)!;
    expect(Math.abs(throughputEps! / 1000 - 1)).toBeLessThanOrEqual(0.12);
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
