import { badInput } from '../errors.js';

/**
 * Short-term forecast of the input rate, for `khaos+` to judge recovery at the coming peak rather
 * than at the present load. Holt's linear smoothing with a damped trend (Gardner and McKenzie): a
 * level and a trend, each an exponentially weighted average, so it follows a ramp without a model
 * of the day's shape and needs no more than a few minutes of history. Units: time ms, rates events/s.
 *
 * Three choices keep it from inventing peaks out of noise (issue 19: on a flat 15 000 ev/s input
 * with ±5 % noise, Holt on per-second steps carried each wobble of its trend 600 steps ahead, and
 * the higher of the 1-step and the 600-step value was taken, so khaos+ judged phantom loads of
 * 17 000–20 000 ev/s and changed the interval 16 times):
 *   - it runs on `stepS`-second means, not seconds: the trend is then a change per step that
 *     several steps of noise cannot fake, and a 10-minute horizon is 10 steps, not 600;
 *   - the trend is extrapolated only when it is significant: larger than `significance` times its
 *     standard error under "no trend, white noise of the size of the residuals". Otherwise the
 *     forecast is the level: the load stays as it is;
 *   - the trend is damped by `phi` per step, so a trend that is significant now is not carried
 *     undiminished to the end of a long horizon.
 * A limit that remains: a sudden step of the load looks like a ramp for a few steps, so the one
 * evaluation just after it may judge at a load above the new one (test/unit/sim-run.test.ts's step
 * from 3 000 to 9 600 ev/s: 13 500 ev/s 5 minutes on, 10 300 ev/s 10 minutes on), and change the
 * interval one evaluation later than with the present load.
 */

/** One observed input rate. */
export interface RatePoint {
  tMs: number;
  eps: number;
}

export interface ForecastOptions {
  /** Length of the steps Holt's method runs on, s: the rates are averaged over each. Default 60. */
  stepS?: number;
  /**
   * Weight of the newest step in the level, (0, 1]; higher follows noise more closely. Default
   * 0.7, with `beta` 0.5: on minute means the significance test, not slow smoothing, keeps noise
   * out, and a step of the load stops being extrapolated within about 5 minutes of flat input
   * (bench/forecast-bias.ts measures the choice: flat noise, a step, a ramp).
   */
  alpha?: number;
  /** Weight of the newest level change in the trend, (0, 1]; the trend forgets at (1 − β)·φ per step. Default 0.5. */
  beta?: number;
  /**
   * Damping of the trend per step, (0, 1]; 1 is Holt's undamped straight line. Default 0.98: a
   * trend adds at most 49 steps' worth however long the horizon, while over 10 steps (the default
   * 10-minute horizon) it still adds 8.9 of them, so a real ramp is still seen coming.
   */
  phi?: number;
  /** The trend is extrapolated only when |trend| exceeds this many standard errors, ≥ 0 (0: always). Default 2. */
  significance?: number;
  /** Fewest seconds of history (first to last step, inclusive) before forecasting, s. Default 300. */
  minHistoryS?: number;
}

export const DEFAULT_FORECAST = { stepS: 60, alpha: 0.3, beta: 0.1, phi: 0.98, significance: 2, minHistoryS: 300 } as const;

/**
 * Mean rates of consecutive `stepS`-second steps from points at any spacing, oldest first: the
 * mean of the points within each step. A step without points holds the previous step's rate,
 * because Holt's method needs evenly spaced steps and a missed scrape is not a drop to zero.
 * Non-finite or negative rates are ignored.
 */
export function stepRates(history: readonly RatePoint[], stepS = 1): number[] {
  const stepMs = stepS * 1000;
  const sums = new Map<number, { sum: number; n: number }>();
  for (const p of history) {
    if (!Number.isFinite(p.tMs) || !Number.isFinite(p.eps) || p.eps < 0) continue;
    const s = Math.floor(p.tMs / stepMs);
    const acc = sums.get(s) ?? { sum: 0, n: 0 };
    acc.sum += p.eps;
    acc.n++;
    sums.set(s, acc);
  }
  if (sums.size === 0) return [];
  const steps = [...sums.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  for (let s = steps[0]!, last = 0; s <= steps[steps.length - 1]!; s++) {
    const acc = sums.get(s);
    if (acc) last = acc.sum / acc.n;
    out.push(last);
  }
  return out;
}

/** Seconds from the first usable point's to the last one's, inclusive. */
function historySeconds(history: readonly RatePoint[]): number {
  let first = Infinity;
  let last = -Infinity;
  for (const p of history) {
    if (!Number.isFinite(p.tMs) || !Number.isFinite(p.eps) || p.eps < 0) continue;
    first = Math.min(first, Math.floor(p.tMs / 1000));
    last = Math.max(last, Math.floor(p.tMs / 1000));
  }
  return last >= first ? last - first + 1 : 0;
}

/** Per-second rates: stepRates with 1-second steps. */
export const perSecondRates = (history: readonly RatePoint[]): number[] => stepRates(history, 1);

/**
 * The standard error of the trend per unit of input noise: √(Σ b_k²), b_k the trend's response k
 * steps after a unit impulse of input. Holt's recursion is linear, so for white noise of standard
 * deviation σ around a flat level the trend wanders with standard deviation σ·√(Σ b_k²).
 */
function trendNoiseGain(alpha: number, beta: number, phi: number): number {
  let level = alpha;
  let trend = alpha * beta;
  let sum = trend * trend;
  for (let k = 0; k < 10_000 && Math.abs(trend) + Math.abs(level) > 1e-12; k++) {
    const previous = level;
    level = (1 - alpha) * (level + phi * trend);
    trend = beta * (level - previous) + (1 - beta) * phi * trend;
    sum += trend * trend;
  }
  return Math.sqrt(sum);
}

/**
 * The size of the input noise from the one-step residuals: their root mean square, inflated by
 * √((1 + ρ) / (1 − ρ)) for their lag-1 autocorrelation ρ > 0. Noise that lingers over several
 * steps (a checkpoint's dip and catch-up, a slow wobble of the load) moves the trend far more
 * than white noise of the same size, and would otherwise pass for a trend.
 */
function noiseScale(residuals: readonly number[]): number {
  let squares = 0;
  let lagged = 0;
  for (let i = 0; i < residuals.length; i++) {
    squares += residuals[i]! ** 2;
    if (i > 0) lagged += residuals[i]! * residuals[i - 1]!;
  }
  if (squares === 0) return 0;
  const rho = Math.min(0.9, Math.max(0, lagged / squares));
  return Math.sqrt((squares / residuals.length) * ((1 + rho) / (1 - rho)));
}

/** What forecastRate found: the level, the trend and whether it was extrapolated, and the peak. */
export interface Forecast {
  /** Smoothed rate at the last step, events/s. */
  level: number;
  /** Trend per step, events/s per step, and its standard error. */
  trend: number;
  trendStdError: number;
  /** True when |trend| > significance · trendStdError: only then is it extrapolated. */
  significant: boolean;
  /** The highest forecast over the horizon, never below 0, events/s. */
  peakEps: number;
}

/**
 * Holt's method with a damped trend over `stepRates(history, stepS)`. Level ℓ and trend b start
 * at the first step's rate and the first difference, then for each step's rate y:
 *   ℓ' = α·y + (1 − α)·(ℓ + φ·b),   b' = β·(ℓ' − ℓ) + (1 − β)·φ·b,
 * and h steps ahead the forecast is ℓ + (φ + … + φ^h)·b, monotone in h, so its peak over the
 * horizon is at h = 1 or at the horizon. A trend within `significance` standard errors of zero
 * is not extrapolated: the forecast is then ℓ at every h. The standard error is trendNoiseGain
 * times the root mean square of the one-step-ahead residuals, which are the noise when the model
 * fits and larger when it does not, so a poor fit makes a trend harder to believe, not easier.
 * Undefined when the history spans fewer than `minHistoryS` seconds or three steps. Throws
 * `bad-input` for a horizon that is not positive or an option outside its range.
 */
export function forecastRate(history: readonly RatePoint[], horizonMs: number, opts: ForecastOptions = {}): Forecast | undefined {
  const { stepS, alpha, beta, phi, significance, minHistoryS } = { ...DEFAULT_FORECAST, ...opts };
  if (!(horizonMs > 0) || !Number.isFinite(horizonMs)) throw badInput(`forecast horizon ${horizonMs} ms must be a positive number`, 'set the forecast horizon to e.g. 600000 ms (10 min)');
  for (const [k, v] of [['alpha', alpha], ['beta', beta], ['phi', phi]] as const)
    if (!(v > 0 && v <= 1)) throw badInput(`forecast ${k} ${v} must be in (0, 1]`, `use e.g. ${DEFAULT_FORECAST[k]}`);
  if (!(stepS > 0 && Number.isFinite(stepS))) throw badInput(`forecast step ${stepS} s must be a positive number`, `use e.g. ${DEFAULT_FORECAST.stepS} s`);
  if (!(significance >= 0)) throw badInput(`forecast significance ${significance} must be ≥ 0 standard errors`, `use e.g. ${DEFAULT_FORECAST.significance}`);
  const y = stepRates(history, stepS);
  if (y.length < 3 || historySeconds(history) < minHistoryS) return undefined;
  let level = y[0]!;
  let trend = y[1]! - y[0]!;
  const residuals: number[] = [];
  for (const v of y.slice(1)) {
    const previous = level;
    residuals.push(v - (level + phi * trend));
    level = alpha * v + (1 - alpha) * (level + phi * trend);
    trend = beta * (level - previous) + (1 - beta) * phi * trend;
  }
  const trendStdError = trendNoiseGain(alpha, beta, phi) * noiseScale(residuals);
  const significant = Math.abs(trend) > significance * trendStdError;
  const steps = Math.max(1, Math.ceil(horizonMs / (stepS * 1000)));
  // φ + φ² + … + φ^h: the damped trend's total over the horizon.
  const damped = phi === 1 ? steps : (phi * (1 - phi ** steps)) / (1 - phi);
  const b = significant ? trend : 0;
  return { level, trend, trendStdError, significant, peakEps: Math.max(0, level + Math.max(phi * b, damped * b)) };
}

/** The highest input rate forecast over the next `horizonMs`, events/s (forecastRate's peak); undefined when the history is too short. */
export function forecastPeak(history: readonly RatePoint[], horizonMs: number, opts: ForecastOptions = {}): number | undefined {
  return forecastRate(history, horizonMs, opts)?.peakEps;
}
