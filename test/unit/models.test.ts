import { describe, expect, it } from 'vitest';
import { boxLeastSquares, leastSquares, minimiseScalar, solveLeastSquares } from '../../src/core/models/linalg.js';
import { compareModels, fitModels, MODEL_VARIANTS } from '../../src/core/models/variants.js';
import {
  buildModel,
  chooseModel,
  crossValidate,
  fitModel,
  fitOne,
  mape,
  physicalLatencyMs,
  physicalRecoverySec,
  PREDICTION_CEILING,
  predictInterval,
} from '../../src/core/models/regression.js';
import { seededRandom } from '../../src/core/random.js';
import { parseSamplesCsv, type FailureSample } from '../../src/core/profiling/samples.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { simulatedFixtureCsv } from '../fixtures/make-simulated-samples.js';

const truthR = { capacityEps: 10_000, downtimeSec: 20, phi: 0.9 };
const truthL = { capacityEps: 10_000, baseMs: 80, perCiMs: 0.003, queueMsEps: 400_000 };

/** Noiseless samples from a function of (throughput, CI), on a grid of 8 throughputs × 4 intervals. */
function grid(recovery: (t: number, ci: number) => number, latency: (t: number, ci: number) => number, extra: Partial<FailureSample> = {}): FailureSample[] {
  const out: FailureSample[] = [];
  for (const ciMs of [10_000, 30_000, 60_000, 120_000])
    for (let k = 1; k <= 8; k++) {
      const t = 1000 * k + 137 * (ciMs / 10_000); // not a perfect lattice
      out.push({ ciMs, throughputEps: t, latencyMs: latency(t, ciMs), recoverySec: recovery(t, ciMs), ...extra });
    }
  return out;
}
const physicalData = (extra: Partial<FailureSample> = {}) => grid((t, ci) => physicalRecoverySec(truthR, t, ci), (t, ci) => physicalLatencyMs(truthL, t, ci), extra);
const linearData = () => grid((t, ci) => 15 + 0.002 * t + 0.0004 * ci, (t, ci) => 100 + 0.05 * t - 0.001 * ci);

describe('linalg', () => {
  it('solves least squares exactly and names a dependent column', () => {
    const X = [[1, 2, 3], [1, 5, 1], [1, 7, 8], [1, 1, 1], [1, 9, 4]];
    const y = X.map((r) => 3 - 2 * r[1]! + 0.5 * r[2]!);
    const { coef, sse } = leastSquares(X, y);
    expect(coef[0]).toBeCloseTo(3, 10);
    expect(coef[1]).toBeCloseTo(-2, 10);
    expect(coef[2]).toBeCloseTo(0.5, 10);
    expect(sse).toBeLessThan(1e-20);
    expect(() => leastSquares(X.map((r) => [1, r[1]!, 2 * r[1]!]), y, ['a', 'b', 'c'])).toThrow(/rank deficient: c is/);
    expect(() => leastSquares([[1, 2, 3]], [1])).toThrow(/1 sample\(s\) cannot determine 3/);
  });

  it('keeps coefficients inside their bounds, at the best feasible point', () => {
    const X = [[1, 0], [1, 1], [1, 2], [1, 3]];
    const y = [0, 2, 4, 6]; // y = 2x: slope bounded to ≤ 1
    const r = boxLeastSquares(X, y, [-Infinity, 0], [Infinity, 1]);
    expect(r.ok && r.coef[1]).toBe(1);
    expect(r.ok && r.coef[0]).toBeCloseTo(1.5, 10); // the best intercept for slope 1: mean of y − x
  });

  it('finds the global minimum of a function with two dips', () => {
    const f = (x: number) => Math.min((x - 1) ** 2 + 0.5, (x - 7) ** 2);
    expect(minimiseScalar(f, 0, 10).x).toBeCloseTo(7, 6);
  });
});

describe('fitting', () => {
  it('OLS recovers known coefficients exactly on noiseless linear data', () => {
    const data = linearData();
    const r = fitOne(data, 'recovery', 'linear');
    expect(r.coefficients.intercept).toBeCloseTo(15, 8);
    expect(r.coefficients.perThroughputEps).toBeCloseTo(0.002, 12);
    expect(r.coefficients.perCiMs).toBeCloseTo(0.0004, 12);
    const l = fitModel(data, 'latency', 'linear', 1);
    expect(l.coefficients.perCiMs).toBeCloseTo(-0.001, 12);
    expect(l.fit.r2).toBeCloseTo(1, 10);
    expect(l.fit.mape).toBeLessThan(1e-10);
  });

  it('the physical recovery model recovers capacity, downtime and phi from its own noiseless data', () => {
    const m = fitOne(physicalData(), 'recovery', 'physical');
    expect(m.coefficients.capacityEps! / truthR.capacityEps).toBeCloseTo(1, 6);
    expect(m.coefficients.downtimeSec).toBeCloseTo(20, 4);
    expect(m.coefficients.phi).toBeCloseTo(0.9, 6);
    expect(m.predict(5000, 45_000)).toBeCloseTo(physicalRecoverySec(truthR, 5000, 45_000), 4);
  });

  it('uses measured detection and restart directly when the samples carry them', () => {
    const m = fitOne(physicalData({ detectionSec: 8, restartSec: 12 }), 'recovery', 'physical');
    expect(m.coefficients.detectionSec).toBe(8);
    expect(m.coefficients.restartSec).toBe(12);
    expect(m.coefficients.downtimeSec).toBe(20);
    expect(m.coefficients.capacityEps! / truthR.capacityEps).toBeCloseTo(1, 6);
    expect(m.coefficients.phi).toBeCloseTo(0.9, 6);
  });

  it('the physical latency model recovers its own parameters', () => {
    const m = fitOne(physicalData(), 'latency', 'physical');
    expect(m.coefficients.capacityEps! / truthL.capacityEps).toBeCloseTo(1, 5);
    expect(m.coefficients.baseMs).toBeCloseTo(80, 3);
    expect(m.coefficients.perCiMs).toBeCloseTo(0.003, 7);
    expect(m.coefficients.queueMsEps! / truthL.queueMsEps).toBeCloseTo(1, 5);
  });

  it('caps predictions at and beyond capacity at a finite ceiling', () => {
    const m = fitOne(physicalData(), 'recovery', 'physical');
    const cap = m.coefficients.capacityEps!;
    expect(m.predict(cap, 10_000)).toBe(PREDICTION_CEILING.recovery);
    expect(m.predict(cap * 2, 10_000)).toBe(PREDICTION_CEILING.recovery);
    expect(m.predict(cap * 0.999999, 120_000)).toBe(PREDICTION_CEILING.recovery); // the formula exceeds the ceiling
    expect(m.predict(cap * 0.99, 120_000)).toBeLessThan(PREDICTION_CEILING.recovery);
    expect(fitOne(physicalData(), 'latency', 'physical').predict(cap * 3, 1000)).toBe(PREDICTION_CEILING.latency);
  });

  it('fits recovery on every failure and latency only on those whose window had a latency', () => {
    const all = physicalData();
    // Every other failure without a latency: recovery is as exact, latency still recovers its truth from the rest.
    const some = all.map((s, i) => (i % 2 ? (({ latencyMs: _, ...rest }) => rest)(s) : s));
    const r = fitModel(some, 'recovery', 'physical', 1);
    expect(r.fit.n).toBe(all.length);
    expect(r.coefficients.capacityEps! / truthR.capacityEps).toBeCloseTo(1, 6);
    const l = fitModel(some, 'latency', 'physical', 1);
    expect(l.fit.n).toBe(all.length / 2);
    expect(l.coefficients.baseMs).toBeCloseTo(80, 3);
    expect(crossValidate(some, 'latency', 'linear', 1).cvMape).toBeLessThan(Infinity);
    const three = all.map((s, i) => (i < 3 ? s : (({ latencyMs: _, ...rest }) => rest)(s)));
    expect(() => fitOne(three, 'latency', 'linear')).toThrow(/fitting needs at least 4 samples, got 3 with a latency \(of 32\)/);
  });

  it('explains what the samples lack when a model cannot be fitted', () => {
    const oneInterval = linearData().filter((s) => s.ciMs === 10_000);
    expect(() => fitOne(oneInterval, 'recovery', 'linear')).toThrow(/linear recovery model: least squares is rank deficient: ci_ms is \(nearly\) a linear combination/);
    const idle = linearData().map((s) => ({ ...s, throughputEps: 0 }));
    expect(() => fitOne(idle, 'recovery', 'physical')).toThrow(/physical recovery model: needs samples with throughput above 0/);
  });
});

describe('statistics and cross-validation', () => {
  it('MAPE leaves out zero targets', () => {
    expect(mape([0, 10, 20], [5, 11, 18])).toBeCloseTo(0.1, 12);
    expect(mape([0, 0], [0, 0])).toBe(0);
    expect(mape([0], [1])).toBe(Infinity);
  });

  it('the physical model beats linear in CV on physical data; linear wins or ties on linear data', () => {
    const phys = physicalData();
    for (const kind of ['recovery', 'latency'] as const) {
      const lin = fitModel(phys, kind, 'linear', 1);
      const ph = fitModel(phys, kind, 'physical', 1);
      expect(ph.cv.cvMape).toBeLessThan(1e-4);
      expect(lin.cv.cvMape).toBeGreaterThan(0.05);
      expect(chooseModel([lin, ph], kind).name).toBe('physical');
    }
    const lin = linearData();
    for (const kind of ['recovery', 'latency'] as const) {
      const l = fitModel(lin, kind, 'linear', 1);
      const p = fitModel(lin, kind, 'physical', 1);
      expect(l.cv.cvMape).toBeLessThanOrEqual(p.cv.cvMape);
      expect(chooseModel([l, p], kind).name).toBe('linear');
    }
  });

  it('is leave-one-out up to 30 samples and a seeded 10-fold above, deterministic per seed', () => {
    const small = simulateSamples(DEFAULT_SIMULATION, 30, seededRandom(3));
    expect(crossValidate(small, 'recovery', 'linear', 1).method).toBe('leave-one-out');
    const big = simulateSamples(DEFAULT_SIMULATION, 60, seededRandom(3));
    const a = crossValidate(big, 'recovery', 'physical', 7);
    const b = crossValidate(big, 'recovery', 'physical', 7);
    const c = crossValidate(big, 'recovery', 'physical', 8);
    expect(a.method).toBe('10-fold');
    expect(a).toEqual(b);
    expect(c.cvMape).not.toBe(a.cvMape);
    expect(a.cvMape).toBeLessThan(0.1);
  });

  it('reports a model that cannot be cross-validated as Infinity, and chooseModel skips it', () => {
    // Two intervals, one of them in a single sample: leaving it out leaves one interval.
    const data = linearData().filter((s) => s.ciMs === 10_000 || (s.ciMs === 30_000 && s.throughputEps < 1500));
    const l = fitModel(data, 'recovery', 'linear', 1);
    expect(l.cv.failedFolds).toBe(1);
    expect(l.cv.cvMape).toBe(Infinity);
    const p = fitModel(data, 'recovery', 'physical', 1);
    expect(chooseModel([l, p], 'recovery').name).toBe('physical');
    expect(() => chooseModel([l], 'recovery')).toThrow(/no recovery model could be cross-validated/);
  });

  it('chooseModel takes the lowest CV MAPE of the kind, the first on a tie', () => {
    const m = (name: 'linear' | 'physical', kind: 'recovery' | 'latency', cvMape: number) => ({ name, kind, cv: { cvMape } });
    expect(chooseModel([m('linear', 'recovery', 0.1), m('physical', 'recovery', 0.05), m('linear', 'latency', 0.01)], 'recovery').name).toBe('physical');
    expect(chooseModel([m('linear', 'latency', 0.1), m('physical', 'latency', 0.1)], 'latency').name).toBe('linear');
  });
});

describe('prediction intervals', () => {
  const noisy = (noise: number) => fitModel(simulateSamples({ ...DEFAULT_SIMULATION, relativeNoise: noise }, 60, seededRandom(11)), 'recovery', 'physical', 1);

  it('contain the mid, widen with noise and with the level', () => {
    const quiet = noisy(0.02);
    const loud = noisy(0.2);
    const q = predictInterval(quiet, 8000, 60_000);
    const l = predictInterval(loud, 8000, 60_000);
    for (const p of [q, l]) {
      expect(p.low).toBeLessThanOrEqual(p.mid);
      expect(p.high).toBeGreaterThanOrEqual(p.mid);
    }
    expect((l.high - l.low) / l.mid).toBeGreaterThan((2 * (q.high - q.low)) / q.mid);
    const wide = predictInterval(quiet, 8000, 60_000, 0.95);
    expect(wide.high - wide.low).toBeGreaterThanOrEqual(q.high - q.low);
    expect(() => predictInterval(quiet, 8000, 60_000, 1.5)).toThrow(/between 0 and 1/);
  });

  it('stays at the ceiling when saturated', () => {
    const m = noisy(0.05);
    const p = predictInterval(m, m.coefficients.capacityEps! + 1, 60_000);
    expect(p).toEqual({ low: expect.any(Number), mid: PREDICTION_CEILING.recovery, high: PREDICTION_CEILING.recovery });
  });
});

describe('the checkpoint cost', () => {
  // Full checkpoints of a state that grows with the rate: each costs the processing of 0.4 s of input.
  const truth = { ...truthR, downtimeSec: 8, checkpointCostSec: 0.4 };
  const costly = () => {
    const out: FailureSample[] = [];
    for (const ciMs of [1000, 5000, 15_000, 30_000]) for (const t of [3000, 5700, 7000, 8500]) out.push({ ciMs, throughputEps: t, recoverySec: physicalRecoverySec(truth, t, ciMs) });
    return out;
  };

  it('slows a catch-up at short intervals: recovery is no longer monotone in the interval near capacity', () => {
    const at7000 = [1000, 5000, 30_000].map((ci) => physicalRecoverySec(truth, 7000, ci));
    expect(at7000[0]).toBeLessThan(PREDICTION_CEILING.recovery);
    expect(at7000[0]).toBeGreaterThan(2 * at7000[1]!);
    expect(at7000[2]).toBeGreaterThan(at7000[1]!);
    expect(physicalRecoverySec(truth, 3000, 1000)).toBeLessThan(physicalRecoverySec(truth, 3000, 30_000));
    // 0.4 s × 8,500 ev/s lost every second leaves 6,600 ev/s: below the input, it never drains.
    expect(physicalRecoverySec(truth, 8500, 1000)).toBe(PREDICTION_CEILING.recovery);
    expect(physicalRecoverySec({ ...truth, checkpointCostSec: 0.1 }, 8500, 1000)).toBeLessThan(PREDICTION_CEILING.recovery);
  });

  it('is fitted back by the physical-ckpt-cost variant, and a model file without it predicts as before', () => {
    const samples = costly().filter((s) => s.recoverySec < PREDICTION_CEILING.recovery);
    const fitted = fitModels(samples, 7).recovery;
    const withCost = fitted.find((m) => m.variant === 'physical-ckpt-cost')!;
    expect(withCost.coefficients.checkpointCostSec).toBeCloseTo(0.4, 2);
    expect(withCost.coefficients.capacityEps).toBeCloseTo(10_000, -1);
    expect(withCost.fit.mape).toBeLessThan(1e-3);
    // The plain equation cannot bend back up at 1 s.
    expect(fitted.find((m) => m.variant === 'physical')!.fit.mape).toBeGreaterThan(0.05);
    expect(buildModel('physical', 'recovery', { capacityEps: 10_000, downtimeSec: 20, phi: 0.9 }).predict(5000, 1000)).toBeCloseTo(physicalRecoverySec(truthR, 5000, 1000), 9);
  });

  it('stays at 0 where checkpoints cost nothing', () => {
    const m = fitOne(physicalData(), 'recovery', 'physical', { checkpointCost: true });
    expect(m.coefficients.checkpointCostSec).toBeLessThan(1e-2);
    expect(m.coefficients.capacityEps).toBeCloseTo(truthR.capacityEps, -1);
  });
});

describe('compareModels', () => {
  it('compares every variant that applies on the simulated fixture and chooses a physical one', () => {
    const samples = parseSamplesCsv(simulatedFixtureCsv(), 'fixture');
    const r = compareModels(samples, 42);
    // The fixture has phase columns and no repeats: no median variants.
    expect(r.models.map((m) => m.name)).toEqual(['linear', 'physical', 'physical-no-phases', 'physical-ckpt-cost']);
    expect(r.models[2]!.latency).toBeUndefined();
    expect(Object.keys(r.models[0]!.recovery!)).toEqual(['cvMape', 'r2', 'coefficients']);
    expect(r.chosen.latency).toBe('physical');
    const chosen = r.models.find((m) => m.name === r.chosen.recovery)!;
    expect(chosen.model).toBe('physical');
    for (const m of r.models) expect(chosen.recovery!.cvMape).toBeLessThanOrEqual(m.recovery!.cvMape);
    expect(1 - chosen.recovery!.cvMape).toBeGreaterThan(0.93);
    expect(compareModels(samples, 42)).toEqual(r);
  });

  it('fits the median variants on medians of repeats and scores them on every failure', () => {
    const once = simulateSamples(DEFAULT_SIMULATION, 40, seededRandom(5));
    const twice = [...once, ...once.map((s) => ({ ...s, recoverySec: s.recoverySec * 1.1 }))];
    const fitted = fitModels(twice, 1);
    const median = fitted.recovery.find((m) => m.variant === 'physical-median')!;
    expect(median.fit.n).toBe(twice.length);
    // Fitted on 40 medians, the mean of each pair: a physical model of recoveries × 1.05.
    const onMedians = fitOne(once.map((s) => ({ ...s, recoverySec: s.recoverySec * 1.05 })), 'recovery', 'physical');
    expect(median.coefficients.phi).toBeCloseTo(onMedians.coefficients.phi!, 6);
    expect(fitted.recovery.map((m) => m.variant)).toEqual(MODEL_VARIANTS.filter((v) => v.kinds.includes('recovery')).map((v) => v.id));
  });

  it('reports its progress: every fold and fit, up to the total', () => {
    const samples = parseSamplesCsv(simulatedFixtureCsv(), 'fixture');
    const seen: { done: number; total: number }[] = [];
    fitModels(samples, 42, (p) => seen.push(p));
    const total = seen[0]!.total;
    // 63 samples: 10 folds + the fit on all, for 4 recovery and 2 latency variants.
    expect(total).toBe(6 * 11);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
    expect(seen.at(-1)!.done).toBe(total);
  });
});

describe('fitting a million samples', () => {
  it('solves least squares over 1,000,000 rows without overflowing the stack, in one pass', () => {
    const n = 1_000_000;
    const X: number[][] = new Array(n);
    const y: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const t = 1000 + (i % 9973);
      const ci = 10_000 * (1 + (i % 7));
      X[i] = [1, t, ci];
      y[i] = 15 + 0.002 * t + 0.0004 * ci + ((i % 13) - 6) * 1e-3;
    }
    const started = performance.now();
    const r = solveLeastSquares(X, y);
    expect(r.ok && r.coef[1]).toBeCloseTo(0.002, 9);
    expect(r.ok && r.coef[2]).toBeCloseTo(0.0004, 10);
    const boxed = boxLeastSquares(X, y, [0, 0, 0], [Infinity, 0.001, Infinity]);
    expect(boxed.ok && boxed.coef[1]).toBe(0.001);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('fits the linear recovery model on 1,000,000 simulated failures', () => {
    const samples = simulateSamples(DEFAULT_SIMULATION, 1_000_000, seededRandom(2));
    const started = performance.now();
    expect(fitOne(samples, 'recovery', 'linear').coefficients.perCiMs).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(5000);
  }, 30_000);
});

describe('a model never predicts a negative time', () => {
  it('a linear recovery fit extrapolated below its samples gives 0 s, not a negative recovery', () => {
    const m = buildModel('linear', 'recovery', { intercept: -40, perThroughputEps: 0.01, perCiMs: 0.001 });
    expect(m.predict(1050, 2000)).toBe(0);
    expect(m.predict(5000, 2000)).toBeCloseTo(12, 6);
  });
});
