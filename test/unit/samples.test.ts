import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { medianOfRepeats, parseSamplesCsv, samplesToCsv, type FailureSample } from '../../src/core/profiling/samples.js';
import { simulatedFixtureCsv } from '../fixtures/make-simulated-samples.js';

const rows = ['10000,1000,200,30', '10000,2000,250,40', '30000,1000,210,45', '30000,2000,260,70'];

describe('parseSamplesCsv', () => {
  it('reads the required columns, optional ones in any order, empty optional cells, comments and blank lines', () => {
    const text = '# profile p1\nrestart_s,recovery_s,ci_ms,latency_ms,throughput_eps,detection_s\n\n5,30,10000,200,1000,2\n,40,10000,250,2000,\n6,45,30000,210,1000,3\n7,70,30000,260,2000,4\n';
    const s = parseSamplesCsv(text, 't');
    expect(s).toHaveLength(4);
    expect(s[0]).toEqual({ ciMs: 10000, throughputEps: 1000, latencyMs: 200, recoverySec: 30, detectionSec: 2, restartSec: 5 });
    expect(s[1]).toEqual({ ciMs: 10000, throughputEps: 2000, latencyMs: 250, recoverySec: 40 });
  });

  it('reads an empty latency cell as a failure without a latency (no output committed before it)', () => {
    const s = parseSamplesCsv('ci_ms,throughput_eps,latency_ms,recovery_s\n10000,1000,,30\n10000,2000,250,40\n30000,1000,210,45\n30000,2000,260,70\n', 't');
    expect(s[0]).toEqual({ ciMs: 10000, throughputEps: 1000, recoverySec: 30 });
    expect(samplesToCsv(s).split('\n')[1]).toBe('10000,1000,,30');
  });

  it('names unknown columns and missing required ones', () => {
    expect(() => parseSamplesCsv(`ci_ms,throughput_eps,latency_ms,recovery_s,foo,Bar\n${rows.join('\n')}`, 't')).toThrow(/unknown column\(s\) "foo", "bar"/);
    expect(() => parseSamplesCsv('ci_ms,latency_ms\n1,2\n', 't')).toThrow(/missing required column\(s\) throughput_eps, recovery_s/);
  });

  it('reports every bad cell at once, with line and column', () => {
    const text = 'ci_ms,throughput_eps,latency_ms,recovery_s\n10000,abc,200,30\n10000,2000,-5,\n0,1000,210,45\n30000,2000,260\n';
    let message = '';
    try {
      parseSamplesCsv(text, 'bad.csv');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('bad.csv has 5 bad cell(s)');
    expect(message).toContain('line 2, column throughput_eps: "abc" is not a number');
    expect(message).toContain('line 3, column latency_ms: -5 is negative');
    expect(message).toContain('line 3, column recovery_s: "" is not a number');
    expect(message).toContain('line 4, column ci_ms: a checkpoint interval must be above 0');
    expect(message).toContain('line 5: 3 cells, the header has 4');
  });

  it('refuses fewer than 4 failures and an empty file', () => {
    expect(() => parseSamplesCsv(`ci_ms,throughput_eps,latency_ms,recovery_s\n${rows.slice(0, 3).join('\n')}`, 't')).toThrow(/holds 3 failure\(s\); fitting needs at least 4/);
    expect(() => parseSamplesCsv('\n# nothing\n', 't')).toThrow(/is empty/);
  });

  it('round-trips through samplesToCsv, keeping only the optional columns in use', () => {
    const samples: FailureSample[] = [
      { ciMs: 10000, throughputEps: 1234.5, latencyMs: 0.1 + 0.2, recoverySec: 30, catchupSec: 12.25 },
      { ciMs: 20000, throughputEps: 1e-7, latencyMs: 250, recoverySec: 1397, stateBytes: 123456789 },
      { ciMs: 30000, throughputEps: 3000, latencyMs: 260, recoverySec: 45 },
      { ciMs: 40000, throughputEps: 4000, latencyMs: 270, recoverySec: 50, catchupSec: 0 },
    ];
    const csv = samplesToCsv(samples, ['made in a test']);
    expect(csv.split('\n')[1]).toBe('ci_ms,throughput_eps,latency_ms,recovery_s,catchup_s,state_bytes');
    expect(parseSamplesCsv(csv, 'rt')).toEqual(samples);
  });
});

describe('the simulated fixture', () => {
  const file = path.resolve(__dirname, '..', 'fixtures', 'samples-simulated.csv');

  it('is exactly what its generator script writes, says it is simulated, and stays small', () => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(simulatedFixtureCsv());
    expect(text.split('\n')[0]).toMatch(/^# SIMULATED DATA/);
    expect(text.length).toBeLessThan(50_000);
    expect(parseSamplesCsv(text, file)).toHaveLength(60);
  });
});

describe('medianOfRepeats', () => {
  it('gives one sample per interval and throughput: the median of each field its repeats have', () => {
    const s: FailureSample[] = [
      { ciMs: 2000, throughputEps: 1000, recoverySec: 10, latencyMs: 300, detectionSec: 1 },
      { ciMs: 8000, throughputEps: 1000, recoverySec: 20 },
      { ciMs: 2000, throughputEps: 1000, recoverySec: 14, detectionSec: 3 },
      { ciMs: 2000, throughputEps: 1000, recoverySec: 30, latencyMs: 500, detectionSec: 2 },
    ];
    expect(medianOfRepeats(s)).toEqual([
      { ciMs: 2000, throughputEps: 1000, recoverySec: 14, latencyMs: 400, detectionSec: 2 },
      { ciMs: 8000, throughputEps: 1000, recoverySec: 20 },
    ]);
  });
});
