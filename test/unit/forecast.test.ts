import { describe, expect, it } from 'vitest';
import { forecastPeak, perSecondRates, type RatePoint } from '../../src/core/control/forecast.js';
import { KhaosError } from '../../src/core/errors.js';

/** One point per second, t = 0…n−1 s, at rate f(t). */
const series = (n: number, f: (t: number) => number): RatePoint[] => Array.from({ length: n }, (_, t) => ({ tMs: t * 1000, eps: f(t) }));

describe('perSecondRates', () => {
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
});

describe('forecastPeak', () => {
  it('returns undefined with too little history', () => {
    expect(forecastPeak(series(29, () => 1000), 60_000)).toBeUndefined();
    expect(forecastPeak(series(30, () => 1000), 60_000)).toBe(1000);
    expect(forecastPeak(series(5, () => 1000), 60_000, { minHistoryS: 5 })).toBe(1000);
  });

  it('follows a steady ramp exactly and peaks at the end of the horizon', () => {
    // Level and trend start on the ramp, so Holt's method tracks y = 100 + 10·t without error:
    // last second t = 59 → 690, 60 s ahead → 690 + 600.
    expect(forecastPeak(series(60, (t) => 100 + 10 * t), 60_000)).toBeCloseTo(1290, 9);
    // A partial second of horizon counts as a whole one.
    expect(forecastPeak(series(60, (t) => 100 + 10 * t), 500)).toBeCloseTo(700, 9);
  });

  it('on a falling rate peaks one second ahead, and never goes below 0', () => {
    expect(forecastPeak(series(30, (t) => 5000 - 100 * t), 600_000)).toBeCloseTo(5000 - 100 * 30, 9);
    expect(forecastPeak(series(10, (t) => 950 - 100 * t), 60_000, { minHistoryS: 10 })).toBe(0);
  });

  it('smooths a step by alpha and beta', () => {
    // 30 s at 1000 then one second at 2000: ℓ = 0.5·2000 + 0.5·1000 = 1500, b = 0.5·500 = 250; 10 s ahead 1500 + 2500.
    const history = [...series(30, () => 1000), { tMs: 30_000, eps: 2000 }];
    expect(forecastPeak(history, 10_000, { alpha: 0.5, beta: 0.5 })).toBeCloseTo(4000, 9);
    // The defaults (α 0.2, β 0.05) react far less: ℓ = 1200, b = 10 → 1300.
    expect(forecastPeak(history, 10_000)).toBeCloseTo(1300, 9);
  });

  it('rejects a horizon that is not positive and smoothing weights outside (0, 1]', () => {
    const h = series(40, () => 1000);
    for (const [horizon, opts] of [
      [0, {}],
      [NaN, {}],
      [60_000, { alpha: 0 }],
      [60_000, { beta: 1.5 }],
    ] as const) {
      expect(() => forecastPeak(h, horizon, opts)).toThrow(KhaosError);
    }
  });
});
