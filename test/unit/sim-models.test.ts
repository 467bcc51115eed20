import { describe, expect, it } from 'vitest';
import { buildModel, PREDICTION_CEILING } from '../../src/core/models/regression.js';
import { downtimeSec, fluidParams } from '../../src/core/sim/fluid-params.js';
import { checkpointCycle, fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { simulate } from '../../src/core/sim/simulate.js';

// The example's job (examples/evaluate-iot.yaml): capacity 20 000 ev/s, 1 GB of state, so 10.5 s
// checkpoints costing 10 % of capacity while in flight, and a 28 s downtime after a kill.
const params = fluidParams({ capacityEps: 20_000, state: { baseBytes: 1e9 }, latency: { baseMs: 700, perCiMs: -0.004, queueMsEps: 1e6 } });
const models = fluidControlModels(params);
const plain = fluidControlModels(params, { inFlightCheckpoints: false });
const constant = (eps: number, seconds: number) => new Array<number>(seconds).fill(eps);

/** Mean p99 of the second hour at a constant load and a static paced interval. */
function simulatedLatencyMs(eps: number, ciMs: number): number {
  const r = simulate({ ratesEps: constant(eps, 7200), actuator: 'paced', initialIntervalMs: ciMs, params });
  let sum = 0;
  for (let s = 3600; s < 7200; s++) sum += r.series.latencyMs[s]!;
  return sum / 3600;
}

/** Recoveries of kills at 12 phases of the checkpoint cycle. */
function simulatedRecoveriesS(eps: number, ciMs: number): number[] {
  const period = checkpointCycle(params, eps, ciMs).periodSec;
  return Array.from({ length: 12 }, (_, j) => {
    const r = simulate({ ratesEps: constant(eps, 14_400), failures: [{ atSec: 3000 + Math.round((j / 12) * period), type: 'kill' }], actuator: 'paced', initialIntervalMs: ciMs, params });
    return r.failures[0]!.recoverySec!;
  });
}

describe('fluidControlModels: the simulated job\'s own equations, in-flight checkpoints included', () => {
  it('the checkpoint cycle: never two in flight, so the period is at least the duration', () => {
    expect(checkpointCycle(params, 17_000, 60_000)).toEqual({ durationSec: 10.5, periodSec: 60, inFlightShare: 10.5 / 60, effectiveCapacityEps: 20_000 * (1 - 0.1 * (10.5 / 60)) });
    expect(checkpointCycle(params, 17_000, 10_000)).toMatchObject({ periodSec: 10.5, inFlightShare: 1, effectiveCapacityEps: 18_000 });
  });

  it('predicts the latency the controller sees (the window mean of p99) within 1 %', () => {
    for (const eps of [8_000, 17_000]) {
      for (const ci of [10_000, 30_000, 60_000]) {
        const sim = simulatedLatencyMs(eps, ci);
        expect(Math.abs(models.latency.predict(eps, ci) / sim - 1)).toBeLessThan(0.01);
      }
    }
    // The plain physical model leaves the checkpoint bump out: 50 ms short at 10 s, where every second has a checkpoint.
    expect(simulatedLatencyMs(17_000, 10_000) - plain.latency.predict(17_000, 10_000)).toBeCloseTo(50, 0);
  });

  it('predicts the worst recovery (φ = 1) within 5 % and the average one (φ = 0.5) within 5 %', () => {
    const half = fluidControlModels(params, { phi: 0.5 });
    for (const [eps, ci] of [[8_000, 60_000], [16_000, 20_000], [17_000, 10_000], [17_000, 30_000]] as const) {
      const rec = simulatedRecoveriesS(eps, ci);
      expect(Math.abs(models.recovery.predict(eps, ci) / Math.max(...rec) - 1)).toBeLessThan(0.05);
      expect(Math.abs(half.recovery.predict(eps, ci) / (rec.reduce((a, b) => a + b, 0) / rec.length) - 1)).toBeLessThan(0.05);
    }
  });

  it('near the peak a 10 s interval recovers slowest of the short ones (catch-up loses 10 % of capacity), which the plain model reverses', () => {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(simulatedRecoveriesS(17_000, 10_000))).toBeGreaterThan(1.4 * mean(simulatedRecoveriesS(17_000, 20_000)));
    expect(models.recovery.predict(17_000, 10_000)).toBeGreaterThan(models.recovery.predict(17_000, 20_000));
    expect(plain.recovery.predict(17_000, 10_000)).toBeLessThan(plain.recovery.predict(17_000, 20_000));
  });

  it('saturates where the backlog never drains: at or above the capacity left by the checkpoints', () => {
    // At 10 s the job runs at 18 000 ev/s: 18 300 ev/s never drains; at 60 s (19 650 ev/s on average) it does.
    expect(models.latency.predict(18_300, 10_000)).toBe(PREDICTION_CEILING.latency);
    expect(models.recovery.predict(18_300, 10_000)).toBe(PREDICTION_CEILING.recovery);
    expect(models.latency.predict(18_300, 60_000)).toBeLessThan(PREDICTION_CEILING.latency);
    expect(models.recovery.predict(18_300, 60_000)).toBeLessThan(PREDICTION_CEILING.recovery);
  });

  it('without in-flight checkpoints: the plain physical models, as before', () => {
    const d = downtimeSec(params, 'kill', params.state.baseBytes);
    const r = buildModel('physical', 'recovery', { capacityEps: 20_000, downtimeSec: d, phi: 1 });
    const l = buildModel('physical', 'latency', { capacityEps: 20_000, baseMs: 700, perCiMs: -0.004, queueMsEps: 1e6 });
    for (const [eps, ci] of [[5_000, 10_000], [17_000, 90_000]] as const) {
      expect(plain.recovery.predict(eps, ci)).toBe(r.predict(eps, ci));
      expect(plain.latency.predict(eps, ci)).toBe(l.predict(eps, ci));
    }
    expect(plain.version).toContain('no in-flight checkpoint terms');
    expect(models.recovery.coefficients).toEqual({ capacityEps: 20_000, downtimeSec: d, phi: 1 });
  });
});
