/**
 * The one home of the small statistics used across Khaos: means, medians and quantiles.
 * Quantiles are type 7 (linear interpolation between order statistics, numpy's default).
 */

/** Arithmetic mean; NaN for no values. */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Type-7 quantile of values already sorted ascending; NaN for no values. */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Type-7 quantile of values in any order (the input is not changed); NaN for no values. */
export const quantile = (xs: readonly number[], p: number): number => quantileSorted([...xs].sort((a, b) => a - b), p);

/**
 * Nearest-rank quantile: the value at rank ⌊p·n⌋ of the sorted values (never interpolated, so it
 * is always an observed value; 0 for no values). Recovery detection uses it for its baselines.
 */
export const quantileNearestRank = (xs: readonly number[], p: number): number =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** Median (the mean of the two middle values for an even count); NaN for no values. */
export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/**
 * The k-th smallest of `a` (0-based), reordering `a` in place (Hoare's selection, O(n) on average).
 */
function select(a: Float64Array, k: number, from = 0): number {
  let lo = from;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Quantile with linear interpolation between order statistics (numpy's default). Reorders `a`. */
export function quantileInPlace(a: Float64Array, q: number): number {
  const h = (a.length - 1) * q;
  const lo = Math.floor(h);
  const x = select(a, lo);
  if (h === lo) return x;
  // After select, everything right of lo is ≥ x: the next order statistic is their minimum.
  let next = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < a.length; i++) if (a[i]! < next) next = a[i]!;
  return x + (h - lo) * (next - x);
}

/**
 * Share of values whose trailing mean over `window` values (fewer at the start) is above `target`;
 * 0 for none. A +Infinity value (a second with no reading while the job is down) is above any
 * target for every window that holds it. One pass: a running sum of the finite values.
 */
export function trailingMeanOverShare(values: ArrayLike<number>, target: number, window: number): number {
  if (values.length === 0) return 0;
  let sum = 0;
  let infinite = 0;
  let over = 0;
  const add = (v: number, sign: 1 | -1) => {
    if (v === Number.POSITIVE_INFINITY) infinite += sign;
    else sum += sign * v;
  };
  for (let i = 0; i < values.length; i++) {
    add(values[i]!, 1);
    if (i >= window) add(values[i - window]!, -1);
    if (infinite > 0 || sum / Math.min(i + 1, window) > target) over++;
  }
  return over / values.length;
}
