import { describe, expect, it } from 'vitest';
import { forecastPeak, forecastRate, perSecondRates, stepRates, type RatePoint } from '../../src/core/control/forecast.js';
import { KhaosError } from '../../src/core/errors.js';
import { seededRandom } from '../../src/core/random.js';
import { mean } from '../../src/core/stats.js';

/** One point per second, t = 0…n−1 s, at rate f(t). */
const series = (n: number, f: (t: number) => number): RatePoint[] => Array.from({ length: n }, (_, t) => ({ tMs: t * 1000, eps: f(t) }));
/** Holt's plain recursion, as the forecast ran before issue 19: per-second steps, undamped, every trend extrapolated. */
const PLAIN = { stepS: 1, alpha: 0.2, beta: 0.05, phi: 1, significance: 0, minHistoryS: 30 };
/** `level` with ±5 % uniform noise per second, seeded. */
const flatNoise = (level: number, n: number, seed: number) => {
  const r = seededRandom(seed);
  return series(n, () => level * (1 + 0.1 * (r.next() - 0.5)));
};

describe('stepRates', () => {
  it('averages points within a second and holds the last rate over gaps', () => {
    const rates = perSecondRates([
      { tMs: 2_500, eps: 300 },
      { tMs: 100, eps: 100 },
      { tMs: 900, eps: 200 },
      { tMs: 4_000, eps: 50 },
      { tMs: 4_100, eps: NaN },
    ]);
    expect(rates).toEqual([150, 150, 300, 300, 50]);
    expect(perSecondRates([])).toEqual([]);
  });

  it('averages over longer steps', () => {
    expect(stepRates(series(150, (t) => t), 60)).toEqual([29.5, 89.5, 134.5]);
  });
});

describe('forecastRate', () => {
  it('returns undefined with too little history', () => {
    expect(forecastPeak(series(299, () => 1000), 60_000)).toBeUndefined();
    expect(forecastPeak(series(300, () => 1000), 60_000)).toBe(1000);
    expect(forecastPeak(series(29, () => 1000), 60_000, PLAIN)).toBeUndefined();
    expect(forecastPeak(series(5, () => 1000), 60_000, { ...PLAIN, minHistoryS: 5 })).toBe(1000);
  });

  it('undamped and unchecked, follows a steady ramp exactly and peaks at the end of the horizon', () => {
    // Level and trend start on the ramp, so Holt's method tracks y = 100 + 10·t without error:
    // last second t = 59 → 690, 60 s ahead → 690 + 600.
    expect(forecastPeak(series(60, (t) => 100 + 10 * t), 60_000, PLAIN)).toBeCloseTo(1290, 9);
    // A partial step of horizon counts as a whole one.
    expect(forecastPeak(series(60, (t) => 100 + 10 * t), 500, PLAIN)).toBeCloseTo(700, 9);
  });

  it('damps the trend: h steps ahead adds (φ + … + φ^h) steps of it', () => {
    // A noiseless ramp of 600 ev/s per minute, its last point 18 990 ev/s: the trend is significant.
    // Damping keeps the trend below the slope (steady state β·s / (1 − (1 − β)·φ) = 0.85·s).
    const f = forecastRate(series(1800, (t) => 1000 + 10 * t), 600_000)!;
    expect(f.significant).toBe(true);
    expect(f.trend).toBeGreaterThan(0.8 * 600);
    expect(f.trend).toBeLessThan(600);
    const damped = (0.98 * (1 - 0.98 ** 10)) / (1 - 0.98);
    expect(f.peakEps).toBeCloseTo(f.level + damped * f.trend, 6);
    // Ahead of the present, short of an undamped straight line 10 minutes on.
    expect(f.peakEps).toBeGreaterThan(18_990 + 5 * 600);
    expect(f.peakEps).toBeLessThan(18_990 + 10 * 600);
  });

  it('on a falling rate peaks one step ahead, and never goes below 0', () => {
    const f = forecastRate(series(1800, (t) => 20_000 - 10 * t), 600_000)!;
    expect(f.significant).toBe(true);
    expect(f.trend).toBeLessThan(0);
    expect(f.peakEps).toBeCloseTo(f.level + 0.98 * f.trend, 6);
    expect(forecastPeak(series(10, (t) => 950 - 100 * t), 60_000, { ...PLAIN, minHistoryS: 10 })).toBe(0);
  });

  it('smooths a step by alpha and beta', () => {
    // 30 s at 1000 then one second at 2000: ℓ = 0.5·2000 + 0.5·1000 = 1500, b = 0.5·500 = 250; 10 s ahead 1500 + 2500.
    const history = [...series(30, () => 1000), { tMs: 30_000, eps: 2000 }];
    expect(forecastPeak(history, 10_000, { ...PLAIN, alpha: 0.5, beta: 0.5 })).toBeCloseTo(4000, 9);
    // α 0.2, β 0.05 react far less: ℓ = 1200, b = 10 → 1300.
    expect(forecastPeak(history, 10_000, PLAIN)).toBeCloseTo(1300, 9);
  });

  it('does not extrapolate a trend that noise explains: on flat noisy input the forecast is the level, unbiased', () => {
    // 200 seeded half-hours at 15 000 ev/s ± 5 %, a 10-minute horizon (the controller's defaults).
    const errors = { plain: [] as number[], now: [] as number[] };
    let significant = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const h = flatNoise(15_000, 1800, seed);
      errors.plain.push(forecastPeak(h, 600_000, PLAIN)! - 15_000);
      const f = forecastRate(h, 600_000)!;
      errors.now.push(f.peakEps - 15_000);
      if (f.significant) significant++;
      else expect(f.peakEps).toBe(f.level);
    }
    // Holt on seconds, the higher of 1 and 600 steps ahead: hundreds of ev/s too high on average.
    expect(mean(errors.plain)).toBeGreaterThan(300);
    // Now: a significant trend in a few of 200 (a 2-standard-error test), no bias worth a decision.
    expect(significant).toBeLessThan(20);
    expect(Math.abs(mean(errors.now))).toBeLessThan(30);
    expect(Math.max(...errors.now.map(Math.abs))).toBeLessThan(0.03 * 15_000);
  });

  it('rejects a horizon that is not positive and options outside their range', () => {
    const h = series(400, () => 1000);
    for (const [horizon, opts] of [
      [0, {}],
      [NaN, {}],
      [60_000, { alpha: 0 }],
      [60_000, { beta: 1.5 }],
      [60_000, { phi: 0 }],
      [60_000, { stepS: 0 }],
      [60_000, { significance: -1 }],
    ] as const) {
      expect(() => forecastPeak(h, horizon, opts)).toThrow(KhaosError);
    }
  });
});
