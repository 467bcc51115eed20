import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelsCommand } from '../../src/cli/models.js';
import { fitModel } from '../../src/core/models/regression.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';

const fixture = path.resolve(__dirname, '..', 'fixtures', 'samples-simulated.csv');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-models-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await modelsCommand(args, { out: (s) => (out += s) });
  return { code, out };
}

describe('khaos models', () => {
  it('compare --json prints the comparison', async () => {
    const { code, out } = await run('compare', '--samples', fixture, '--json');
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.models.map((m: { name: string }) => m.name)).toEqual(['linear', 'physical', 'physical-no-phases', 'physical-ckpt-cost']);
    expect(r.chosen.latency).toBe('physical');
  });

  it('compare chooses the best cross-validated variant on a measured IoT profile, the accuracy bench\'s phase-free one included', async () => {
    const iot = path.resolve(__dirname, '..', 'fixtures', 'samples-measured-p20261130122330.csv');
    const r = JSON.parse((await run('compare', '--samples', iot, '--json')).out) as { models: { name: string; recovery?: { cvMape: number | null } }[]; chosen: { recovery: string } };
    // What bench/model-accuracy.ts reported beside the plain physical model: the physical recovery
    // model fitted as on a CSV without detection_s and restart_s (same seed, same folds).
    const withoutPhases = parseSamplesCsv(fs.readFileSync(iot, 'utf8'), iot).map(({ detectionSec: _d, restartSec: _r, ...s }) => s);
    const benchVariant = fitModel(withoutPhases, 'recovery', 'physical', 42).cv.cvMape;
    const chosen = r.models.find((m) => m.name === r.chosen.recovery)!.recovery!.cvMape!;
    expect(chosen).toBeLessThanOrEqual(benchVariant + 1e-12);
    for (const m of r.models) if (m.recovery?.cvMape != null) expect(chosen).toBeLessThanOrEqual(m.recovery.cvMape);
  });

  it('fit writes both chosen models, and show reads them back with a prediction grid', async () => {
    const fit = await run('fit', '--samples', fixture, '--out', tmp, '--seed', '3');
    expect(fit.out).toMatch(/10-fold, seed 3/);
    expect(fit.out).toMatch(/wrote .*recovery-model\.json: physical(-no-phases)? recovery model/);
    const file = JSON.parse(fs.readFileSync(path.join(tmp, 'recovery-model.json'), 'utf8'));
    expect(file.training.sha256).toMatch(/^[0-9a-f]{64}$/);
    const show = await run('show', path.join(tmp, 'recovery-model.json'));
    expect(show.out).toMatch(/physical recovery model \(khaos-model v1\)/);
    expect(show.out).toMatch(/saturated/); // the row at capacity
  });

  it('says what to do on bad flags and files', async () => {
    await expect(run('fit')).rejects.toThrow(/needs --samples FILE\.csv/);
    await expect(run('compare', '--samples', path.join(tmp, 'none.csv'))).rejects.toThrow(/not found/);
    await expect(run('compare', '--sample', fixture)).rejects.toThrow(/models: Unknown option '--sample'/);
    await expect(run('fit', '--samples', fixture, '--seed', 'x')).rejects.toThrow(/--seed needs a non-negative integer/);
    await expect(run('show', fixture)).rejects.toThrow(/is not JSON/);
    await expect(run('predict')).rejects.toThrow(/unknown models command "predict"/);
    expect((await run('--help')).out).toMatch(/khaos models fit/);
  });
});
