import { describe, expect, it } from 'vitest';
import { parseRunRange, planDifferences, planId, planRealRuns, realPlanProblems, scoredView, type RealPlan } from '../../src/core/evaluation/real-plan.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';

const setup: Omit<RealPlan, 'order'> = {
  job: 'iot', parallelism: 1, trace: 'ramp', peakRateEps: 1000, compression: 10, startOffsetSec: 0, warmupSec: 20, durationSec: 100, seed: 7,
  mode: 'sequential', drainMs: 30_000, initialIntervalMs: 5000, fallbackIntervalMs: 120_000,
  policies: ['khaos+', 'khaos', 'static:5s'], repeats: 3, orderSeed: 42, killsSec: [[30, 60], [30, 60], [30, 60]],
};

describe('the plan of a real evaluation', () => {
  it('runs every (policy, k) once, in an order the seed fixes and another seed changes', () => {
    const plan = planRealRuns(setup);
    expect(plan.order.map((u) => u.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const pairs = plan.order.map((u) => `${u.policies.join('+')}#${u.run}`);
    expect([...pairs].sort()).toEqual(['khaos#1', 'khaos#2', 'khaos#3', 'khaos+#1', 'khaos+#2', 'khaos+#3', 'static:5s#1', 'static:5s#2', 'static:5s#3']);
    expect(planRealRuns(setup).order).toEqual(plan.order);
    const other = planRealRuns({ ...setup, orderSeed: 43 }).order.map((u) => `${u.policies.join('+')}#${u.run}`);
    expect(other).not.toEqual(pairs);
    // Not the listed order: the point of shuffling.
    expect(pairs).not.toEqual(['khaos+#1', 'khaos#1', 'static:5s#1', 'khaos+#2', 'khaos#2', 'static:5s#2', 'khaos+#3', 'khaos#3', 'static:5s#3']);
  });

  it('side by side, a run is every policy at once, and only the repeats are shuffled', () => {
    const plan = planRealRuns({ ...setup, mode: 'side-by-side' });
    expect(plan.order).toHaveLength(3);
    for (const u of plan.order) expect(u.policies).toEqual(setup.policies);
    expect(plan.order.map((u) => u.run).sort()).toEqual([1, 2, 3]);
  });

  it('its id changes with any setting, and the differences are named', () => {
    const a = planRealRuns(setup);
    const b = planRealRuns({ ...setup, repeats: 4, killsSec: [...setup.killsSec, [30, 60]] });
    expect(planId(a)).toBe(planId(planRealRuns(setup)));
    expect(planId(b)).not.toBe(planId(a));
    expect(planId(planRealRuns({ ...setup, warmupSec: 0 }))).not.toBe(planId(a));
    expect(planDifferences(a, b)).toEqual(['repeats: 3 → 4', 'killsSec: [[30,60],[30,60],[30,60]] → [[30,60],[30,60],[30,60],[30,60]]']);
  });

  it('a plan that fits has no problem', () => {
    expect(realPlanProblems(planRealRuns(setup), 10_000, 15)).toEqual([]);
  });

  it('refuses kills outside the scored window, too close to each other or to the end, and a slice past the trace, with the numbers', () => {
    const p = planRealRuns({ ...setup, killsSec: [[0, 30], [30, 40], [30, 120]] });
    const problems = realPlanProblems(p, 1100, 15);
    expect(problems).toEqual([
      'the replayed slice (warm-up 20 s + scored 100 s, ×10) covers 1200 s of trace from +0 s, ending at +1200 s, but ramp lasts 1100 s: lower replay.startOffset to at most 0 s, or shorten replay.duration, evaluate.real.warmup or replay.compression',
      'the kill of run 1 at +0 s is outside the scored window (0, 100) s after the warm-up: kill after the warm-up and before the replay ends',
      expect.stringContaining('the kills of run 2 at +30 s and +40 s are 10 s apart, less than the recovery target of 15 s'),
      'the kill of run 3 at +120 s is outside the scored window (0, 100) s after the warm-up: kill after the warm-up and before the replay ends',
    ]);
    expect(realPlanProblems(planRealRuns({ ...setup, killsSec: [[90]], repeats: 1, drainMs: 0 }), 10_000, 15)).toEqual([
      'the last kill at +90 s leaves 10 s to the end of the run (scored 100 s + drain 0 s), less than the recovery target of 15 s: kill earlier, or lengthen replay.duration or evaluate.real.drain',
    ]);
  });

  it('--runs takes a range of the order, or one position', () => {
    expect(parseRunRange('2-5', 9)).toEqual({ from: 2, to: 5 });
    expect(parseRunRange('7', 9)).toEqual({ from: 7, to: 7 });
    for (const bad of ['0-3', '5-2', '3-10', 'a', '1,2']) expect(() => parseRunRange(bad, 9)).toThrow('not a range of the planned runs 1-9');
  });

  it('the scored view leaves the warm-up out of the replay and the checkpoints, and keeps the samples', () => {
    const r = { replayStartMs: 1_000_000, warmupSec: 3, scheduleEps: [1, 2, 3, 4, 5], samples: [{ tMs: 1_000_500 }], checkpoints: [{ triggeredAtMs: 1_001_000 }, { triggeredAtMs: 1_003_500 }] } as unknown as RealRunRecord;
    const v = scoredView(r);
    expect(v.replayStartMs).toBe(1_003_000);
    expect(v.scheduleEps).toEqual([4, 5]);
    expect(v.checkpoints).toEqual([{ triggeredAtMs: 1_003_500 }]);
    expect(v.samples).toBe(r.samples);
    expect(scoredView({ ...r, warmupSec: undefined })).toEqual({ ...r, warmupSec: undefined });
  });
});
