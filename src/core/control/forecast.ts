import { badInput } from '../errors.js';

/**
 * Short-term forecast of the input rate, for `khaos+` to judge recovery at the coming peak rather
 * than at the present load. Holt's linear (double exponential) smoothing: a level and a trend,
 * each an exponentially weighted average, so it follows a ramp without a model of the day's shape
 * and needs no more than a few minutes of history. Units: time ms, rates events/s.
 */

/** One observed input rate. */
export interface RatePoint {
  tMs: number;
  eps: number;
}

export interface ForecastOptions {
  /** Weight of the newest second in the level, (0, 1]; higher follows noise more closely. Default 0.2. */
  alpha?: number;
  /** Weight of the newest level change in the trend, (0, 1]; low values keep one noisy second from tilting the forecast. Default 0.05. */
  beta?: number;
  /** Fewest seconds of history (first to last, inclusive) before forecasting, s. Default 30. */
  minHistoryS?: number;
}

export const DEFAULT_FORECAST = { alpha: 0.2, beta: 0.05, minHistoryS: 30 } as const;

/**
 * Per-second rates from points at any spacing: the mean of the points within each whole second,
 * oldest first. A second without points holds the previous second's rate, because Holt's method
 * needs evenly spaced steps and a missed scrape is not a drop to zero. Non-finite or negative
 * rates are ignored.
 */
export function perSecondRates(history: readonly RatePoint[]): number[] {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const p of history) {
    if (!Number.isFinite(p.tMs) || !Number.isFinite(p.eps) || p.eps < 0) continue;
    const s = Math.floor(p.tMs / 1000);
    const acc = sums.get(s) ?? { sum: 0, n: 0 };
    acc.sum += p.eps;
    acc.n++;
    sums.set(s, acc);
  }
  if (sums.size === 0) return [];
  const seconds = [...sums.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  for (let s = seconds[0]!, last = 0; s <= seconds[seconds.length - 1]!; s++) {
    const acc = sums.get(s);
    if (acc) last = acc.sum / acc.n;
    out.push(last);
  }
  return out;
}

/**
 * The highest input rate Holt's method predicts over the next `horizonMs` (whole seconds, at
 * least one), never below 0; undefined when the history spans fewer than `minHistoryS` seconds.
 * Level ℓ and trend b start at the first rate and the first difference, then for each second y:
 *   ℓ' = α·y + (1 − α)·(ℓ + b),   b' = β·(ℓ' − ℓ) + (1 − β)·b,
 * and h seconds ahead the forecast is ℓ + h·b: a straight line, so its peak is at h = 1 or at the
 * horizon. Throws `bad-input` for a horizon that is not positive or α, β outside (0, 1].
 */
export function forecastPeak(history: readonly RatePoint[], horizonMs: number, opts: ForecastOptions = {}): number | undefined {
  const { alpha, beta, minHistoryS } = { ...DEFAULT_FORECAST, ...opts };
  if (!(horizonMs > 0) || !Number.isFinite(horizonMs)) throw badInput(`forecast horizon ${horizonMs} ms must be a positive number`, 'set the forecast horizon to e.g. 600000 ms (10 min)');
  for (const [k, v] of [['alpha', alpha], ['beta', beta]] as const)
    if (!(v > 0 && v <= 1)) throw badInput(`forecast ${k} ${v} must be in (0, 1]`, `use e.g. ${DEFAULT_FORECAST[k]}`);
  const y = perSecondRates(history);
  if (y.length < Math.max(2, minHistoryS)) return undefined;
  let level = y[0]!;
  let trend = y[1]! - y[0]!;
  for (const v of y.slice(1)) {
    const previous = level;
    level = alpha * v + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  const steps = Math.max(1, Math.ceil(horizonMs / 1000));
  return Math.max(0, level + trend, level + steps * trend);
}
