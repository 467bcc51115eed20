import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCommand, parseTolerance } from '../../src/cli/analyze.js';

const workloadsDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'workloads');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-analyze-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await analyzeCommand(args, { out: (s) => lines.push(s), workloadsDir });
  return { code, lines };
}

describe('khaos analyze', () => {
  it('--json prints only {summary, levels, points, unplaced} and writes the plot', async () => {
    const plot = path.join(dir, 'taxi.svg');
    const { code, lines } = await run(['nyc_taxi.csv', '--json', '--compression', '60', '--seed', '3', '--plot', plot]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(Object.keys(out)).toEqual(['summary', 'levels', 'points', 'unplaced']);
    expect(out.levels).toHaveLength(12);
    for (const p of out.points) expect(Object.keys(p)).toEqual(['second', 'level', 'rate']);
    expect(out.summary).toMatchObject({ min: 8, max: 39_197 });
    const svg = fs.readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.length).toBeLessThan(100_000);
  });

  it('prints a report that says where the plot went', async () => {
    const plot = path.join(dir, 'report.svg');
    const { lines } = await run([path.join(workloadsDir, 'wiki_en_5min.csv'), '--levels', '4', '--window', '5min', '--tolerance', '2%', '--min-spacing', '2h', '--plot', plot]);
    expect(lines[0]).toBe(`source: CSV trace ${path.join(workloadsDir, 'wiki_en_5min.csv')}`);
    expect(lines.join('\n')).toMatch(/levels \(4\):/);
    expect(lines.join('\n')).toMatch(/tolerance ±2 %/);
    expect(lines.at(-1)).toBe(`plot: ${plot}`);
  });

  it('refuses bad flags with what to do', async () => {
    await expect(run(['nyc_taxi.csv', '--window', '300'])).rejects.toMatchObject({ kind: 'bad-input', message: '--window must be whole seconds, got "300" (a bare number is milliseconds)', hint: 'e.g. --window 300s' });
    await expect(run(['nyc_taxi.csv', '--window=-5s'])).rejects.toMatchObject({ kind: 'bad-input', message: '--window: "-5s" is not a duration' });
    await expect(run(['nyc_taxi.csv', '--levels', 'many'])).rejects.toMatchObject({ kind: 'bad-input', message: '--levels needs a whole number ≥ 1, got "many"' });
    await expect(run(['nyc_taxi.csv', '--kafka', 'localhost:9092', '--topic', 't'])).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/one rate source, got a trace and --kafka/) });
    await expect(run([])).rejects.toMatchObject({ kind: 'bad-input', message: 'analyze needs a rate source' });
    await expect(run(['--prometheus', 'http://localhost:9090', '--query', 'q', '--start', 'yesterday', '--end', '2026-01-02T00:00:00Z'])).rejects.toThrow(/--start "yesterday" is not an ISO time/);
    await expect(run(['nyc_taxi.csv', '--topic', 't'])).rejects.toThrow(/--topic only goes with --kafka/);
    await expect(run(['nyc_taxi.csv', '--bogus'])).rejects.toMatchObject({ kind: 'bad-input' });
    await expect(run(['no-such-trace.csv'])).rejects.toMatchObject({ kind: 'bad-input', hint: expect.stringMatching(/nyc_taxi\.csv/) });
  });

  it('reads a bare number in a duration flag as milliseconds, as the config does', async () => {
    const trace = path.join(workloadsDir, 'wiki_en_5min.csv');
    const withUnits = await run([trace, '--json', '--window', '5min', '--min-spacing', '2h', '--plot', path.join(dir, 'units.svg')]);
    const bare = await run([trace, '--json', '--window', '300000', '--min-spacing', '7200000', '--plot', path.join(dir, 'bare.svg')]);
    expect(bare.lines).toEqual(withUnits.lines);
    expect(JSON.parse(bare.lines[0]!).points.length).toBeGreaterThan(0);
  });

  it('passes the too-short error of the analysis on', async () => {
    const file = path.join(dir, 'short.csv');
    fs.writeFileSync(file, 'timestamp,value\n2020-01-01 00:00:00,10\n2020-01-01 01:00:00,20\n');
    await expect(run([file, '--plot', path.join(dir, 's.svg')])).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/3601 analysis seconds .* need 23401 s/) });
  });

  it('reads tolerances as fractions, percentages or absolute rates', () => {
    expect(parseTolerance('0.05')).toEqual({ relative: 0.05 });
    expect(parseTolerance('5%')).toEqual({ relative: 0.05 });
    expect(parseTolerance('120/s')).toEqual({ absolute: 120 });
    expect(() => parseTolerance('5')).toThrow(/not a tolerance/);
  });
});
