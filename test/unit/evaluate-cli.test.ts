import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { main } from '../../src/cli/main.js';
import { expectWellFormedSvg } from '../support/svg-well-formed.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-evaluate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Two days of a daily cycle at 5-minute steps, in the `date,messages` header style. */
const trace = path.join(dir, 'two-days.csv');
fs.writeFileSync(
  trace,
  ['date,messages', ...Array.from({ length: 2 * 288 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ')},${(100 + 80 * Math.sin((2 * Math.PI * i) / 288)).toFixed(1)}`)].join('\n'),
);
/** Compressed 20×: 8 625 simulated seconds, with the controller at a short time scale. */
const config = path.join(dir, 'evaluate.yaml');
fs.writeFileSync(
  config,
  `replay: { trace: ${JSON.stringify(trace)}, peakRateEps: 10000, compression: 20 }
job: { checkpointInterval: 30s }
control: { window: 60s, minUptime: 60s, evaluateEvery: 60s, afterChange: 60s, recoveryTarget: 60s, forecastHorizon: 120s, forecastHistory: 600s }
evaluate:
  policies: [khaos+, khaos+@restart, khaos, young-daly, flink-backlog]
  staticIntervals: [10s, 60s]
  schedules: 3
  failuresPerSchedule: 2
  minSpacing: 30min
  out: ${JSON.stringify(path.join(dir, 'default-out'))}
`,
);

async function khaos(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), workloadsDir: dir });
  return { code, out, err };
}

describe('khaos evaluate --sim', () => {
  it('--json prints exactly {policies: [...]} on stdout and writes evaluate.json, report.md and the plots', async () => {
    const out = path.join(dir, 'run');
    const r = await khaos('evaluate', '--sim', '--config', config, '--json', '--out', out);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(['policies', 'verdict']);
    // The load oracle last (evaluate.oracle defaults to true).
    expect(json.policies.map((p: { name: string }) => p.name)).toEqual(['khaos+', 'khaos+@restart', 'khaos', 'young-daly', 'flink-backlog', 'static:10s', 'static:60s', 'oracle']);
    expect(typeof json.verdict.deciding).toBe('boolean');
    expect(r.err).toMatch(/Scenario: (NOT )?DECIDING\. /);
    for (const p of json.policies) {
      expect(Object.keys(p)).toEqual(['name', 'latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS', 'violationSeconds', 'lost', 'duplicated', 'spread']);
      expect(p.failures).toBe(2);
      expect(p.lost).toBeNull();
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, 'evaluate.json'), 'utf8'))).toEqual(json);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('SIMULATED');
    // The interval over time and the recoveries of schedule 0, for the dashboard (as the report's plot draws them).
    const timeline = JSON.parse(fs.readFileSync(path.join(out, 'timeline.json'), 'utf8'));
    expect(timeline).toMatchObject({ kind: 'simulated', recoveryTargetS: expect.any(Number) });
    expect(timeline.runs.map((x: { name: string }) => x.name)).toEqual(json.policies.map((p: { name: string }) => p.name));
    for (const run of timeline.runs) expect(run.failures).toHaveLength(2);
    for (const [, name] of md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expectWellFormedSvg(fs.readFileSync(path.join(out, name!), 'utf8'));
    // Progress and the report's path go to stderr.
    expect(r.err).toMatch(/evaluate \(SIMULATED\): 8 policies × 3 schedule\(s\)/);
    expect(r.err).toContain('khaos+@restart: 3 run(s) done');
    expect(r.err).toContain(`report (SIMULATED): ${path.join(out, 'report.md')}`);
  }, 60_000);

  it('--trace, --policies, --schedules and --seed override the config; without --json a table and the report path', async () => {
    const a = await khaos('evaluate', '--sim', '--config', config, '--trace', 'two-days.csv', '--policies', 'khaos+@restart, static:45s', '--schedules', '1', '--seed', '5', '--no-oracle', '--json', '--out', path.join(dir, 'a'));
    expect(a.code, a.err).toBe(0);
    const rows = JSON.parse(a.out).policies;
    expect(rows.map((p: { name: string }) => p.name)).toEqual(['khaos+@restart', 'static:45s']);
    expect('spread' in rows[0]).toBe(false);
    const b = await khaos('evaluate', '--sim', '--config', config, '--policies', 'khaos+@restart,static:45s', '--schedules', '1', '--seed', '6', '--no-oracle', '--json', '--out', path.join(dir, 'b'));
    expect(JSON.parse(b.out)).not.toEqual(JSON.parse(a.out));
    const c = await khaos('evaluate', '--sim', '--config', config, '--policies', 'static:45s', '--schedules', '2', '--no-oracle');
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^SIMULATED: medians over 2 schedule\(s\)/);
    expect(c.out).toContain('static:45s');
    // One static decides nothing, and the summary says so.
    expect(c.out).toContain('Scenario: NOT DECIDING. 1 static interval(s) evaluated');
    expect(c.out.trimEnd().split('\n').at(-1)).toBe(`report (SIMULATED): ${path.join(dir, 'default-out', 'report.md')}`);
  }, 60_000);

  it.each([
    [[], /khaos\+.* need\(s\) models, and the config gives none/],
    [['--policies', 'static:5s', '--schedules', '3'], /--schedules is for --sim/],
    [['--policies', 'static:5s', '--config', withReplay({ startOffset: '400000s' })], /the real evaluation cannot start: the replayed slice \(warm-up 20 s \+ scored 150 s, ×20\) covers 3400 s of trace from \+400000 s, ending at \+403400 s, but two-days\.csv lasts 172500 s/],
    [['--policies', 'static:5s', '--config', withReplay({ duration: '60s' })], /failure schedules: 4 failure\(s\) at least 30 s apart .* need a trace of 150 s; this one is 60 s/],
  ])('without --sim, bad input %j is refused before any process starts (exit 2)', async (args, message) => {
    const r = await khaos('evaluate', '--config', config, '--out', path.join(dir, 'real'), ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(fs.existsSync(path.join(dir, 'real'))).toBe(false);
  });

  it.each([
    [['--policies', 'khaos+,,nope'], /--policies: entry 2: an empty policy name;.* entry 3: unknown policy "nope"/],
    [['--policies', 'static:30s@restart'], /a static interval never changes/],
    [['--policies', 'khaos+,khaos+@paced'], /khaos\+ is listed more than once/],
    [['--schedules', '0'], /--schedules needs a whole number ≥ 1 and ≤ 1000, got "0"/],
    [['--seed', 'x'], /--seed needs a whole number, got "x"/],
    [['--trace', 'missing.csv'], /trace "missing.csv" not found/],
  ])('bad input %j: a clear error, exit 2, no report', async (args, message) => {
    const out = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await khaos('evaluate', '--sim', '--config', config, '--out', out, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an unreadable trace, a too-short one and a schedule that does not fit: exit 2, no report', async () => {
    const garbage = path.join(dir, 'garbage.csv');
    fs.writeFileSync(garbage, 'when,what\nyesterday,many\nlater,more\n');
    const short = path.join(dir, 'short.csv');
    fs.writeFileSync(short, 'timestamp,value\n2024-01-01 00:00:00,5\n2024-01-01 00:30:00,7\n');
    const cases: [string[], RegExp][] = [
      [['--trace', garbage], /trace garbage\.csv: expected a header and rows/],
      [['--trace', short], /the trace is too short: 90 simulated second\(s\)/],
      [['--trace', path.join(dir, 'two-days.csv'), '--policies', 'khaos+', '--schedules', '1', '--config', writeConfig({ failuresPerSchedule: 9 })], /the failure schedule does not fit the trace \(8625 simulated s\)/],
    ];
    for (const [args, message] of cases) {
      const out = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
      const r = await khaos('evaluate', '--sim', '--config', config, '--out', out, ...args);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
      expect(fs.existsSync(out)).toBe(false);
    }
  });
});

/** The test config with some evaluate options changed, as a new file. */
/** The config with replay.* overridden (the real-stack mode's slice of the trace). */
function withReplay(over: Record<string, unknown>): string {
  const file = path.join(dir, `replay-${Object.keys(over).join('-')}.yaml`);
  const c = YAML.parse(fs.readFileSync(config, 'utf8'));
  fs.writeFileSync(file, YAML.stringify({ ...c, replay: { ...c.replay, ...over } }));
  return file;
}

function writeConfig(over: Record<string, unknown>): string {
  const file = path.join(dir, `config-${Object.keys(over).join('-')}.yaml`);
  const c = YAML.parse(fs.readFileSync(config, 'utf8'));
  fs.writeFileSync(file, YAML.stringify({ ...c, evaluate: { ...c.evaluate, ...over } }));
  return file;
}
