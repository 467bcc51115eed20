import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import {
  analyzePerSecond,
  analyzeSteadyState,
  evenLevels,
  rollingMean,
  stableSeconds,
  summarize,
  toleranceAround,
  toPerSecond,
  type PerSecondSeries,
  type SteadyStateResult,
} from '../../src/core/load/steady-state.js';
import { parseTraceCsv, type Trace } from '../../src/core/load/trace.js';

const workloads = path.resolve(__dirname, '..', '..', '..', 'shared', 'workloads');

const series = (rates: number[], compression = 1, startSec = 0): PerSecondSeries => ({ startSec, compression, rates: Float64Array.from(rates) });

/** Plateaus of `seconds` each at the given rates, with ±1 % deterministic noise. */
function plateaus(levels: number[], seconds: number, seed = 99): PerSecondSeries {
  const rng = seededRandom(seed);
  const out: number[] = [];
  for (const l of levels) for (let i = 0; i < seconds; i++) out.push(l * (1 + (rng.next() - 0.5) * 0.02));
  return series(out);
}

/** Checks every promise of an analysis against its own series, independently of the implementation. */
function expectConstraintsHold(s: PerSecondSeries, r: SteadyStateResult): void {
  const o = r.options;
  const mean = rollingMean(s.rates, o.windowSec);
  const n = s.rates.length;
  for (const p of r.points) {
    const m = mean[p.second]!;
    expect(Number.isNaN(m)).toBe(false);
    expect(Math.abs(s.rates[p.second]! - m)).toBeLessThanOrEqual(toleranceAround(o.tolerance, m) + 1e-9); // stable
    expect(Math.abs(m - p.level)).toBeLessThanOrEqual(toleranceAround(o.tolerance, p.level) + 1e-9); // fits its level
    expect(p.rate).toBe(s.rates[p.second]);
    expect(p.second).toBeGreaterThanOrEqual(o.edgeSec);
    expect(n - 1 - p.second).toBeGreaterThanOrEqual(o.edgeSec);
    expect(p.traceOffsetSec).toBe(p.second * s.compression);
  }
  const seconds = r.points.map((p) => p.second);
  expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
  for (let i = 1; i < seconds.length; i++) expect(seconds[i]! - seconds[i - 1]!).toBeGreaterThanOrEqual(o.minSpacingSec);
  // Each level gets exactly one point or one reason.
  const accounted = [...r.points.map((p) => p.level), ...r.unplaced.map((u) => u.level)].sort((a, b) => a - b);
  expect(accounted).toEqual(r.levels);
}

describe('rollingMean and stableSeconds', () => {
  it('is the trailing mean, undefined until the window is full', () => {
    const m = rollingMean([1, 2, 3, 4, 5], 2);
    expect(Number.isNaN(m[0]!)).toBe(true);
    expect([...m.slice(1)]).toEqual([1.5, 2.5, 3.5, 4.5]);
    expect([...rollingMean([4, 8], 1)]).toEqual([4, 8]);
    expect(rollingMean([1, 2, 3, 4, 5], 5)[4]).toBe(3);
  });

  it('keeps its running sum exact over a long series', () => {
    const long = Array.from({ length: 200_000 }, (_, i) => (i % 7) * 1000.1);
    const m = rollingMean(long, 300);
    const i = 199_999;
    const direct = long.slice(i - 299, i + 1).reduce((a, b) => a + b, 0) / 300;
    expect(m[i]).toBeCloseTo(direct, 6);
  });

  it('marks a second stable when its rate is within the tolerance of the rolling mean', () => {
    const rates = [10, 10, 10, 10, 20, 10];
    const m = rollingMean(rates, 3); // NaN NaN 10 10 13.33 13.33
    expect([...stableSeconds(rates, m, { relative: 0.05 })]).toEqual([0, 0, 1, 1, 0, 0]);
    expect([...stableSeconds(rates, m, { absolute: 4 })]).toEqual([0, 0, 1, 1, 0, 1]);
  });
});

describe('toPerSecond', () => {
  const ramp: Trace = { name: 'ramp', timesSec: [1000, 1010], values: [0, 100], stepSec: 10 };

  it('expands a coarse trace by linear interpolation, one value per second', () => {
    const s = toPerSecond(ramp);
    expect(s.startSec).toBe(1000);
    expect(s.compression).toBe(1);
    expect([...s.rates]).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it('compresses time: analysis seconds = trace seconds / compression', () => {
    expect([...toPerSecond(ramp, { compression: 2 }).rates]).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('averages over a second that spans several trace steps instead of skipping samples', () => {
    const zigzag: Trace = { name: 'z', timesSec: [0, 10, 20, 30, 40], values: [0, 100, 0, 100, 0], stepSec: 10 };
    const s = toPerSecond(zigzag, { compression: 20 });
    expect(s.rates.length).toBe(3);
    expect(s.rates[0]).toBe(50); // point sampling would see 0 here
    expect(s.rates[1]).toBe(50);
  });

  it('refuses a compression that is not a positive number', () => {
    expect(() => toPerSecond(ramp, { compression: 0 })).toThrow(/compression must be a number > 0/);
  });
});

describe('summarize', () => {
  it('gives min, median, p95, max and mean', () => {
    const s = summarize(series(Array.from({ length: 100 }, (_, i) => 100 - i))); // 100 … 1, unsorted
    expect(s).toMatchObject({ seconds: 100, min: 1, median: 50.5, max: 100, mean: 50.5, dailyProfile: null });
    expect(s.p95).toBeCloseTo(95.05);
  });

  it('gives the mean rate per hour of day from the trace timestamps, for a trace of at least a day', () => {
    // Two days sampled hourly from 05:00, value = hour of the timestamp; one analysis second per hour.
    const start = Date.UTC(2020, 0, 1, 5) / 1000;
    const timesSec = Array.from({ length: 49 }, (_, i) => start + i * 3600);
    const trace: Trace = { name: 'hours', timesSec, values: timesSec.map((t) => new Date(t * 1000).getUTCHours()), stepSec: 3600 };
    const s = summarize(toPerSecond(trace, { compression: 3600 }));
    expect(s.dailyProfile).toEqual(Array.from({ length: 24 }, (_, h) => h));
  });
});

describe('analyzePerSecond', () => {
  const opts = { levels: 12, windowSec: 300, tolerance: { relative: 0.05 }, minSpacingSec: 1800 };
  const twelve = plateaus([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200], 4000);

  it('spaces the levels evenly between the lowest and highest rolling mean of stable seconds', () => {
    const r = analyzePerSecond(twelve, opts, seededRandom(1));
    expect(r.levels).toHaveLength(12);
    const steps = r.levels.slice(1).map((l, i) => l - r.levels[i]!);
    for (const d of steps) expect(d).toBeCloseTo(steps[0]!, 9);
    expect(r.levels[0]).toBeGreaterThan(98);
    expect(r.levels[0]).toBeLessThan(102);
    expect(r.levels[11]).toBeGreaterThan(1188);
    expect(r.levels[11]).toBeLessThan(1212);
    expect(evenLevels(10, 120, 12)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  });

  it('places one stable, spaced point per level, away from the ends', () => {
    const r = analyzePerSecond(twelve, opts, seededRandom(1));
    expect(r.unplaced).toEqual([]);
    expect(r.points).toHaveLength(12);
    expect(r.options).toEqual({ ...opts, edgeSec: 1800, compression: 1 });
    expectConstraintsHold(twelve, r);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const a = analyzePerSecond(twelve, opts, seededRandom(7));
    const b = analyzePerSecond(twelve, opts, seededRandom(7));
    const c = analyzePerSecond(twelve, opts, seededRandom(8));
    expect(b.points).toEqual(a.points);
    expect(c.points.map((p) => p.second)).not.toEqual(a.points.map((p) => p.second));
    expectConstraintsHold(twelve, c);
  });

  it('throws when the trace is too short for the points and spacing asked for, with the numbers', () => {
    const short = plateaus([100, 200], 5000);
    const err = (() => {
      try {
        analyzePerSecond(short, opts, seededRandom(1));
      } catch (e) {
        return e as { kind: string; message: string; hint: string };
      }
      throw new Error('expected a throw');
    })();
    expect(err.kind).toBe('bad-input');
    // 2 × 1800 edge + 11 × 1800 spacing + 1 = 23401 s needed; 10000 s given.
    expect(err.message).toMatch(/10000 analysis seconds .* need 23401 s/);
    expect(err.hint).toMatch(/--levels.*--min-spacing.*--compression/);
    expect(() => analyzePerSecond(short, { ...opts, levels: 4 }, seededRandom(1))).not.toThrow();
  });

  it('reports a level no stable second fits, with the reason', () => {
    // Two plateaus: the level halfway between them is only crossed by unstable seconds.
    const r = analyzePerSecond(plateaus([100, 1000], 6000), { ...opts, levels: 3 }, seededRandom(1));
    expect(r.points.map((p) => Math.round(p.level / 10) * 10)).toEqual([100, 1000]);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]!.level).toBeCloseTo(r.levels[1]!);
    expect(r.unplaced[0]!.reason).toMatch(/no stable second has a rolling mean within ±\d+/);
  });

  it('reports a level whose seconds all lie near the ends', () => {
    const r = analyzePerSecond(plateaus([200, 100, 100, 100, 100, 100, 100, 100, 100, 100], 1000), { ...opts, levels: 2 }, seededRandom(1));
    expect(r.points).toHaveLength(1);
    expect(r.unplaced[0]!.reason).toMatch(/its \d+ stable seconds within ±[\d.]+ all lie within 1800 s of the trace ends/);
  });

  it('reports a level whose seconds are all too close to another level\'s point', () => {
    // 150 and 200 exist only in one 1400 s stretch: both cannot be 1800 s apart.
    const rates = [...plateaus([100], 4000).rates, ...plateaus([150, 200], 700, 5).rates, ...plateaus([100], 4600, 6).rates];
    const s = series(rates);
    const r = analyzePerSecond(s, { ...opts, levels: 3 }, seededRandom(3));
    expect(r.points).toHaveLength(2);
    expect(r.unplaced).toHaveLength(1);
    expect(r.unplaced[0]!.reason).toMatch(/admissible seconds are all within 1800 s of the points of level\(s\) (150|200)/);
    expectConstraintsHold(s, r);
  });

  it('reports every bad option at once', () => {
    expect(() => analyzePerSecond(twelve, { levels: 0, windowSec: 1.5, tolerance: { relative: -1 } }, seededRandom(1))).toThrow(/window.*levels.*tolerance/);
  });

  it('says so when no second is stable', () => {
    const saw = series(Array.from({ length: 30_000 }, (_, i) => (i % 2) * 1000));
    expect(() => analyzePerSecond(saw, { ...opts, levels: 2 }, seededRandom(1))).toThrow(/no stable second/);
  });
});

describe('analyzeSteadyState on the real NYC taxi trace', () => {
  const taxi = parseTraceCsv(fs.readFileSync(path.join(workloads, 'nyc_taxi.csv'), 'utf8'), 'nyc_taxi.csv');

  it('finds 12 levels and points that respect every constraint (compressed 60×: an hour of trace per minute)', () => {
    const r = analyzeSteadyState(taxi, { compression: 60 }, seededRandom(42));
    const s = toPerSecond(taxi, { compression: 60 });
    expect(r.summary.seconds).toBe(309_571);
    expect(r.summary.min).toBe(8);
    expect(r.summary.max).toBe(39_197);
    expect(r.summary.dailyProfile).toHaveLength(24);
    expect(r.levels).toHaveLength(12);
    expect(r.points.length).toBeGreaterThanOrEqual(10);
    expectConstraintsHold(s, r);
    for (const u of r.unplaced) expect(u.reason).not.toBe('');
    expect(analyzeSteadyState(taxi, { compression: 60 }, seededRandom(42)).points).toEqual(r.points);
  });
});
