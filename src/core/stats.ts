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
 * A per-second series judged against a target by its trailing mean, one pass. Each value stands
 * for one second: a finite value is a reading; +Infinity is a second that violates by itself and
 * has no value to average (the job down or recovering without a reading); NaN is a second not
 * judged and in no mean (no reading for another reason). A judged second is over when it is
 * +Infinity or the mean of the finite values among the last `window` seconds (itself included,
 * fewer at the start) is above `target`. Returns, per second, 1 over, 0 within, 2 not judged.
 * The window is in seconds, not values: the caller gives one value per second.
 */
export function trailingMeanOver(values: ArrayLike<number>, target: number, window: number): Uint8Array {
  const out = new Uint8Array(values.length);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
    if (i >= window) {
      const old = values[i - window]!;
      if (Number.isFinite(old)) {
        sum -= old;
        n--;
      }
    }
    // A finite second is in its own window, so n ≥ 1 whenever the mean is read.
    out[i] = Number.isNaN(v) ? 2 : v === Number.POSITIVE_INFINITY || sum / n > target ? 1 : 0;
  }
  return out;
}

/** Share of the judged seconds that are over (trailingMeanOver); 0 when none is judged. */
export function trailingMeanOverShare(values: ArrayLike<number>, target: number, window: number): number {
  return overShare(trailingMeanOver(values, target, window));
}

/** Share of 1s among the judged seconds (not 2) of a trailingMeanOver mask; 0 when none is judged. */
export function overShare(mask: Uint8Array): number {
  let over = 0;
  let judged = 0;
  for (const m of mask) {
    if (m === 2) continue;
    judged++;
    over += m;
  }
  return judged === 0 ? 0 : over / judged;
}
