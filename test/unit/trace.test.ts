import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTraceCsv, rateAt, replaySchedule } from '../../src/core/load/trace.js';

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
