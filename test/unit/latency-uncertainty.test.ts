import { describe, expect, it } from 'vitest';
import { latencyOverShare } from '../../src/core/control/khaos-plus.js';
import { latencyCorrection } from '../../src/core/control/policy-kit.js';
import { DEFAULT_POLICY_OPTIONS, initialPolicyState, type ControlModels, type Observation } from '../../src/core/control/policy.js';
import { buildModel, PREDICTION_CEILING, type IntervalModel } from '../../src/core/models/regression.js';

// Latency 1 000 ms + 1 ms per ms of interval below 5 000 ev/s; at or above 5 000 ev/s the model's
// backlog never drains: the prediction is the ceiling.
const latency: IntervalModel = {
  ...buildModel('linear', 'latency', { intercept: 1000, perThroughputEps: 0, perCiMs: 1 }),
  predict: (eps: number, ciMs: number) => (eps >= 5000 ? PREDICTION_CEILING.latency : 1000 + ciMs),
  relativeResiduals: [],
};
const models = { latency, recovery: latency, version: 't', trainedCiMs: { min: 1000, max: 10_000 }, trainedThroughputEps: { min: 100, max: 5000 } } as ControlModels;
const obs = (throughputEps: number, latencyMs: number): Observation => ({ atMs: 0, intervalMs: 2000, throughputEps, latencyMs, uptimeMs: 3_600_000, failuresSeen: 0, observedForMs: 3_600_000, recovering: false });

describe('latency correction and its uncertainty (khaos+)', () => {
  it('takes no observed/predicted ratio while the model predicts a backlog that never drains', () => {
    const state = { ...initialPolicyState(), latencyRatios: [1.1, 0.9] };
    // 60 s observed against the 86 400 s ceiling: a ratio of ~0.0007 would pull the mean to ~0.67.
    const over = latencyCorrection(obs(6000, 60_000), state, models, DEFAULT_POLICY_OPTIONS);
    expect(over.ratios).toEqual([1.1, 0.9]);
    expect(over.correction).toBeCloseTo(1, 9);
    // Below capacity the ratio counts as before.
    const under = latencyCorrection(obs(4000, 3600), state, models, DEFAULT_POLICY_OPTIONS);
    expect(under.ratios).toEqual([1.1, 0.9, 1.2]);
  });

  it('takes no ratio while the consumer lag is over the backlog threshold (the latency is the backlog\'s wait)', () => {
    const state = { ...initialPolicyState(), latencyRatios: [1.1, 0.9] };
    // 4 000 ev/s with 50 s of input behind (threshold 10 s): 60 s observed is not the model's error.
    const behind = latencyCorrection({ ...obs(4000, 60_000), lagRecords: 200_000 }, state, models, DEFAULT_POLICY_OPTIONS);
    expect(behind.ratios).toEqual([1.1, 0.9]);
    const caughtUp = latencyCorrection({ ...obs(4000, 3600), lagRecords: 4000 }, state, models, DEFAULT_POLICY_OPTIONS);
    expect(caughtUp.ratios).toEqual([1.1, 0.9, 1.2]);
  });

  it('judges a candidate by the share of the horizon each recent ratio puts it over the target', () => {
    const share = latencyOverShare([0.9, 1.0, 1.1, 1.2], 4700);
    const part = (v: number) => (v > 4700 ? 1 - (4700 / v) ** 10 : 0);
    // 4 000 ms raw: over 4 700 only at ×1.2 (4 800, 2 % over: a fifth of the horizon), a quarter of the ratios.
    expect(share(4000, 4200)).toBeCloseTo(part(4800) / 4, 12);
    expect(part(4800)).toBeCloseTo(0.19, 2);
    // 4 500 ms raw: ×1.1 and ×1.2 put it over.
    expect(share(4500, 4725)).toBeCloseTo((part(4950) + part(5400)) / 4, 12);
    expect(share(3000, 3150)).toBe(0);
    // Far over at every ratio: nearly all of the horizon; and more over counts more.
    expect(share(12_000, 12_600)).toBeGreaterThan(0.99);
    expect(share(6000, 6300)).toBeGreaterThan(share(5500, 5775));
  });

  it('with fewer than 3 ratios, the corrected prediction alone decides: 0 within the target, rising with the excess', () => {
    const share = latencyOverShare([1.05, 0.95], 4700);
    expect(share(4600, 4600)).toBe(0);
    expect(share(4600, 4700)).toBe(0);
    // 2 % over: over it a fifth of the horizon; 7 %: about half; 25 %: most of it.
    expect(share(4600, 4800)).toBeCloseTo(0.19, 2);
    expect(share(4600, 4700 * 1.07)).toBeCloseTo(0.49, 2);
    expect(share(4600, 4700 * 1.25)).toBeCloseTo(0.89, 2);
  });
});
