import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import { fullMeasurement, sampleProfile, sampleStep } from '../contract/profile-store.contract.js';
import { khaosIn } from '../support/khaos-cli.js';

const fixture = path.resolve(__dirname, '..', 'fixtures', 'samples-measured-p20261124220731.csv');
const fixtures = path.dirname(fixture);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-sim-'));
const previousHome = process.env.KHAOS_HOME;

/** A profile of job iot in the temp home: SIMULATED failures injected before a checkpoint (φ = 1). */
beforeAll(() => {
  process.env.KHAOS_HOME = home;
  const store = new SqliteProfileStore(path.join(home, 'khaos.db'));
  try {
    store.createProfile(sampleProfile('p1', 1000, { status: 'done' }));
    const step = sampleStep('p1', 0, 0);
    const samples = simulateSamples({ ...DEFAULT_SIMULATION, phi: 1, relativeNoise: 0.01 }, 30, seededRandom(5));
    store.saveStep(step, samples.map((s) => fullMeasurement(step, s.ciMs, { ...s, stateBytes: undefined, checkpointMs: undefined })));
  } finally {
    store.close();
  }
});
afterAll(() => {
  if (previousHome === undefined) delete process.env.KHAOS_HOME;
  else process.env.KHAOS_HOME = previousHome;
  fs.rmSync(home, { recursive: true, force: true });
});

const khaos = khaosIn(home);

describe('khaos sim', () => {
  it('calibrate --profile stores version 1 of the job, naming the profile; --samples the next version, as a table', async () => {
    const a = await khaos('sim', 'calibrate', '--job', 'iot', '--profile', 'p1', '--json');
    expect(a.code, a.err).toBe(0);
    const record = JSON.parse(a.out);
    expect(record).toMatchObject({ id: 'iot-v1', version: 1, job: 'iot', sources: ['profile:p1'] });
    expect(record.fitted.capacityEps).toMatchObject({ source: 'profile:p1', n: 30, note: expect.stringContaining('φ = 1') });
    expect(Math.abs(record.params.capacityEps - 12_000) / 12_000).toBeLessThan(0.05);
    expect(record.fitted['savepoint.baseMs']).toEqual({ value: 500, source: 'default', n: 0 });

    const b = await khaos('sim', 'calibrate', '--job', 'iot', '--samples', fixture, '--phi', '1');
    expect(b.code, b.err).toBe(0);
    expect(b.out).toMatch(/^calibration iot-v2 \(job iot, version 2\)/);
    expect(b.out).toMatch(/^detectionSec\.kill\s+1\.7795\s+samples:\S+samples-measured-p20261124220731\.csv\s+10/m);
    expect(b.out).toMatch(/^relaunchSec\s+4\s+default\s+0/m);
    expect(b.out).toMatch(/^quality: recovery MAPE [\d.]+ % over 10 failure\(s\); latency MAPE [\d.]+ % over 10 measurement\(s\)/m);
    expect(b.out).toContain('--calibration iot-v2');
  });

  it('calibrations lists newest first (by job), calibration shows one', async () => {
    const list = await khaos('sim', 'calibrations', '--job', 'iot');
    expect(list.code).toBe(0);
    expect(list.out.split('\n').slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(['iot-v2', 'iot-v1']);
    expect((await khaos('sim', 'calibrations', '--job', 'ysb')).out).toMatch(/no calibrations of job ysb/);
    const one = await khaos('sim', 'calibration', 'iot-v1', '--json');
    expect(JSON.parse(one.out)).toMatchObject({ id: 'iot-v1', sources: ['profile:p1'] });
    expect(await khaos('sim', 'calibration', 'iot-v9')).toMatchObject({ code: 2, err: expect.stringMatching(/no calibration "iot-v9"\n.*the calibrations are iot-v2, iot-v1/) });
  });

  it('calibrate --samples is repeatable: the files are fitted as one, and the source names both', async () => {
    const files = ['p20261207195027', 'p20261207232059'].map((p) => path.join(fixtures, `samples-measured-${p}.csv`));
    const r = await khaos('sim', 'calibrate', '--job', 'dedup', '--samples', files[0]!, '--samples', files[1]!, '--phi', '1', '--json');
    expect(r.code, r.err).toBe(0);
    const record = JSON.parse(r.out);
    expect(record.sources).toEqual([`samples:${files.join('+')}`]);
    expect(record.fitted['detectionSec.kill'].n).toBe(24);
    expect(record.quality.recoveryMape).toBeGreaterThan(0);
  });

  it.each([
    [['--profile', 'p1'], /needs --job iot\|ysb/],
    [['--job', 'flink'], /--job must be iot, ysb, dedup, custom, got "flink"/],
    [['--job', 'iot'], /needs measurements: --profile ID, --samples FILE\.csv or --runs runs\.json/],
    [['--job', 'iot', '--profile', 'p1', '--samples', fixture], /one of --profile ID and --samples FILE\.csv, not both/],
    [['--job', 'ysb', '--profile', 'p1'], /profile:p1 measured job iot, not ysb/],
    [['--job', 'iot', '--profile', 'nope'], /no profile "nope"/],
    [['--job', 'iot', '--samples', fixture, '--phi', '2'], /--phi needs a number from 0 to 1/],
    [['--job', 'iot', '--samples', fixture, '--runs', path.join(home, 'none.json')], /runs file .*none\.json not found/],
  ])('calibrate %j is bad input (exit 2), nothing stored', async (args, message) => {
    const before = (await khaos('sim', 'calibrations', '--json')).out;
    const r = await khaos('sim', 'calibrate', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect((await khaos('sim', 'calibrations', '--json')).out).toBe(before);
  });

  describe('evaluate --sim with a calibration', () => {
    const trace = path.join(home, 'day.csv');
    const config = (job: string, extra = '') => {
      const file = path.join(home, `evaluate-${job}${extra ? '-x' : ''}.yaml`);
      fs.writeFileSync(
        file,
        `replay: { trace: ${JSON.stringify(trace)}, peakRateEps: 8000, compression: 20 }
job: { kind: ${job}, checkpointInterval: 30s }
control: { window: 60s, minUptime: 60s, evaluateEvery: 60s, afterChange: 60s, recoveryTarget: 60s }
evaluate: { policies: [khaos+], staticIntervals: [], schedules: 1, failuresPerSchedule: 1, minSpacing: 30min${extra} }
`,
      );
      return file;
    };
    beforeAll(() => {
      fs.writeFileSync(trace, ['date,messages', ...Array.from({ length: 288 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ')},${(100 + 80 * Math.sin((2 * Math.PI * i) / 288)).toFixed(1)}`)].join('\n'));
    });

    it('--calibration (or evaluate.sim.calibration) is the simulated job, named in the report with its version', async () => {
      const out = path.join(home, 'eval');
      const r = await khaos('evaluate', '--sim', '--config', config('iot'), '--calibration', 'iot-v2', '--out', out);
      expect(r.code, r.err).toBe(0);
      const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
      expect(md).toMatch(/Simulated job \(calibration iot-v2, version 2, with evaluate\.sim on top\): capacity/);
      const viaConfig = await khaos('evaluate', '--sim', '--config', config('iot', ', sim: { calibration: iot-v1, restartSec: 3 }'), '--out', path.join(home, 'eval2'));
      expect(viaConfig.code, viaConfig.err).toBe(0);
      expect(fs.readFileSync(path.join(home, 'eval2', 'report.md'), 'utf8')).toContain('calibration iot-v1, version 1');
    }, 60_000);

    it('refuses an unknown calibration (naming those of the job) and one of another job (naming both)', async () => {
      const missing = await khaos('evaluate', '--sim', '--config', config('iot'), '--calibration', 'iot-v7', '--out', path.join(home, 'no'));
      expect(missing).toMatchObject({ code: 2, err: expect.stringMatching(/no calibration "iot-v7"\n.*the calibrations of job iot are iot-v2, iot-v1/) });
      const other = await khaos('evaluate', '--sim', '--config', config('ysb'), '--calibration', 'iot-v1', '--out', path.join(home, 'no'));
      expect(other).toMatchObject({ code: 2, err: expect.stringContaining("calibration iot-v1 was made for job iot, but the config's job.kind is ysb") });
      expect(fs.existsSync(path.join(home, 'no'))).toBe(false);
    });
  });
});
