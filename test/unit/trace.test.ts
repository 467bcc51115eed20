import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceCsv, rateAt, replaySchedule, traceScale } from '../../src/core/load/trace.js';
import { resolveConfig } from '../../src/config/schema.js';
import { simulationRates } from '../../src/core/sim/sim-evaluation.js';

const workloads = path.resolve(__dirname, '..', '..', '..', 'shared', 'workloads');

describe('parseTraceCsv', () => {
  it('reads both header styles of the real traces', () => {
    const taxi = parseTraceCsv(fs.readFileSync(path.join(workloads, 'nyc_taxi.csv'), 'utf8'), 'nyc_taxi.csv');
    expect(taxi.values).toHaveLength(10_320);
    expect(taxi.stepSec).toBe(1800);
    expect(Math.max(...taxi.values)).toBe(39_197);
    const wiki = parseTraceCsv(fs.readFileSync(path.join(workloads, 'wiki_en_5min.csv'), 'utf8'), 'wiki');
    expect(wiki.values).toHaveLength(6048);
    expect(wiki.stepSec).toBe(300);
  });

  it('reports every bad row with its line number, at once', () => {
    const text = 'timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:30:00,abc\n2014-07-01 01:00:00,-3\nnot-a-date,5\n';
    expect(() => parseTraceCsv(text, 't')).toThrow(/line 3: value "abc".*\n.*line 4: value "-3".*\n.*line 5: time "not-a-date"/s);
  });

  it('rejects a file without a time column or too short', () => {
    expect(() => parseTraceCsv('a,b\n1,2\n3,4\n', 't')).toThrow(/expected a header and rows/);
    expect(() => parseTraceCsv('timestamp,value\n2014-07-01 00:00:00,1\n', 't')).toThrow(/at least 2 rows/);
  });

  it('rejects times that do not increase', () => {
    expect(() => parseTraceCsv('t,v\n2014-07-01 00:30:00,1\n2014-07-01 00:00:00,2\n', 't')).toThrow(/line 3: time does not increase/);
  });
});

describe('rateAt and replaySchedule', () => {
  const trace = parseTraceCsv('t,v\n2020-01-01 00:00:00,0\n2020-01-01 00:10:00,100\n2020-01-01 00:20:00,50\n', 't');

  it('interpolates linearly between samples and holds the ends', () => {
    expect(rateAt(trace, trace.timesSec[0]! + 300)).toBeCloseTo(50);
    expect(rateAt(trace, trace.timesSec[0]! - 10)).toBe(0);
    expect(rateAt(trace, trace.timesSec[2]! + 10)).toBe(50);
  });

  it('scales the trace maximum to the peak rate and compresses time, with exact totals', () => {
    const s = replaySchedule(trace, { peakRateEps: 1000, compression: 60, startOffsetSec: 0, durationSec: 20 });
    expect(s).toHaveLength(20);
    expect(s[0]).toBeLessThan(100); // near the start the trace is near 0
    expect(Math.max(...s)).toBeLessThanOrEqual(1000);
    expect(s[9]! + s[10]!).toBeGreaterThan(1800); // the peak is at 600 s trace time = wall second 10
    const flat = parseTraceCsv('t,v\n2020-01-01 00:00:00,10\n2020-01-01 01:00:00,10\n', 'flat');
    const fractional = replaySchedule(flat, { peakRateEps: 0.5, compression: 1, startOffsetSec: 0, durationSec: 10 });
    expect(fractional.reduce((a, b) => a + b, 0)).toBe(5); // carried fractions keep the total
  });

  it('plays a per-second trace of a million rows (no spread of the values onto the stack)', () => {
    const n = 1_000_000;
    const long = { name: 'long', timesSec: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, (_, i) => (i === 500_000 ? 400 : 200)), stepSec: 1 };
    const s = replaySchedule(long, { peakRateEps: 1000, compression: 1, startOffsetSec: 499_990, durationSec: 20 });
    expect(s[0]).toBe(500); // 200 scaled by 1000 / 400
  });

  it('refuses a plan it cannot play, naming every problem', () => {
    expect(() => replaySchedule(trace, { peakRateEps: 0, compression: -1, startOffsetSec: 99999, durationSec: 0.5 })).toThrow(/peak rate.*compression.*duration.*start offset/);
  });
});

describe('replay.peakPercentile: the usual peaks at peakRateEps, not the rarest burst', () => {
  // 99 samples at 100 and one burst at 400: the maximum is 4× the 99th percentile's neighbourhood.
  const values = [...new Array<number>(99).fill(100), 400];
  const spiky = { name: 'spiky', timesSec: values.map((_, i) => i * 60), values, stepSec: 60 };

  it('at 100 (the default) the maximum plays at the peak rate; at 99 the 99th percentile (interpolated between ranks) does', () => {
    expect(traceScale(spiky, { peakRateEps: 1000 })).toBeCloseTo(2.5);
    expect(traceScale(spiky, { peakRateEps: 1000, peakPercentile: 100 })).toBeCloseTo(2.5);
    // rank 0.99 × 99 = 98.01 lies between 100 (rank 98) and 400 (rank 99): 100 + 0.01 × 300 = 103
    expect(traceScale(spiky, { peakRateEps: 1030, peakPercentile: 99 })).toBeCloseTo(10);
    expect(traceScale(spiky, { peakRateEps: 1000, peakPercentile: 50 })).toBeCloseTo(10);
  });

  it('real replays and simulations scale alike, and the burst goes above the peak rate', () => {
    const real = replaySchedule(spiky, { peakRateEps: 1000, peakPercentile: 50, compression: 60, startOffsetSec: 0, durationSec: 100 });
    const sim = simulationRates(spiky, { peakRateEps: 1000, peakPercentile: 50, compression: 60 });
    expect(Math.max(...real)).toBeGreaterThan(3000);
    expect(real[10]).toBe(1000);
    expect(sim[10]).toBeCloseTo(1000);
  });

  it('a percentile outside (0, 100] is refused by the config, naming the option', () => {
    for (const bad of [0, -5, 100.5]) expect(() => resolveConfig({ replay: { peakPercentile: bad } })).toThrow(/replay\.peakPercentile/);
    expect(resolveConfig({}).replay.peakPercentile).toBe(100);
    expect(() => traceScale(spiky, { peakRateEps: 1000, peakPercentile: 0 })).toThrow(/peak percentile must be in \(0, 100\]/);
  });
});
