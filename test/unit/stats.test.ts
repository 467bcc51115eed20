import { describe, expect, it } from 'vitest';
import { mean, median, quantile, quantileInPlace, quantileNearestRank, quantileSorted } from '../../src/core/stats.js';

describe('stats', () => {
  it('median of an even count is the mean of the two middle values (not the larger one)', () => {
    expect(median([10, 1])).toBe(5.5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
  });

  it('type-7 quantiles match numpy: quantile([1..5], 0.9) = 4.6', () => {
    expect(quantile([5, 4, 3, 2, 1], 0.9)).toBeCloseTo(4.6, 12);
    expect(quantileSorted([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4, 5], 1)).toBe(5);
  });

  it('the in-place quantile of a large array agrees with the sorting one', () => {
    const xs = Array.from({ length: 10_001 }, (_, i) => (i * 7919) % 10_007);
    for (const p of [0, 0.05, 0.5, 0.95, 0.999, 1]) expect(quantileInPlace(Float64Array.from(xs), p)).toBeCloseTo(quantile(xs, p), 9);
  });

  it('nearest rank never interpolates', () => {
    expect(quantileNearestRank([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantileNearestRank([1, 2, 3, 4], 0.5)).toBe(3);
    expect(quantileNearestRank([], 0.5)).toBe(0);
  });

  it('no values: NaN, not a number that looks measured', () => {
    expect(mean([])).toBeNaN();
    expect(median([])).toBeNaN();
    expect(mean([1, 2, 6])).toBe(3);
  });
});
