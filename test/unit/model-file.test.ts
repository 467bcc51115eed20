import { describe, expect, it } from 'vitest';
import { fromModelFile, toModelFile } from '../../src/core/models/model-file.js';
import { fitModel, predictInterval } from '../../src/core/models/regression.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';
import { simulatedFixtureCsv } from '../fixtures/make-simulated-samples.js';

const samples = parseSamplesCsv(simulatedFixtureCsv(), 'fixture');
const training = { source: 'test/fixtures/samples-simulated.csv', sha256: 'ab'.repeat(32), samples };
const createdAt = '2026-01-02T03:04:05.678Z';

describe('model files', () => {
  it('round-trip through JSON with the same predictions and intervals', () => {
    for (const kind of ['recovery', 'latency'] as const)
      for (const name of ['linear', 'physical'] as const) {
        const fitted = fitModel(samples, kind, name, 42);
        const file = toModelFile(fitted, training, createdAt);
        expect(file).toMatchObject({ format: 'khaos-model', version: 1, kind, name, createdAt, training: { source: training.source, sampleCount: 60, sha256: training.sha256 } });
        expect(file.fit).toMatchObject({ n: 60, r2: fitted.fit.r2, cvMape: fitted.cv.cvMape, cvMethod: '10-fold' });
        const back = fromModelFile(JSON.parse(JSON.stringify(file)), 'm.json');
        expect(back.file).toEqual(file);
        for (const [t, ci] of [[3000, 10_000], [9000, 90_000], [11_500, 120_000]] as const) {
          expect(back.model.predict(t, ci)).toBe(fitted.predict(t, ci));
          expect(predictInterval(back.model, t, ci)).toEqual(predictInterval(fitted, t, ci));
        }
      }
  });

  it('writes a cross-validation that was impossible as null', () => {
    const fitted = fitModel(samples, 'recovery', 'linear', 42);
    const file = toModelFile({ ...fitted, cv: { ...fitted.cv, cvMape: Infinity, cvRmse: Infinity } }, training, createdAt);
    expect(file.fit.cvMape).toBeNull();
    expect(fromModelFile(JSON.parse(JSON.stringify(file)), 'm.json').file.fit.cvMape).toBeNull();
  });

  it('refuses another format or version with a clear message', () => {
    const file = toModelFile(fitModel(samples, 'recovery', 'physical', 42), training, createdAt);
    expect(() => fromModelFile({ ...file, format: 'other' }, 'x.json')).toThrow(/x.json is not a Khaos model file \(format "other", expected "khaos-model"\)/);
    expect(() => fromModelFile([1, 2], 'x.json')).toThrow(/not a Khaos model file \(format missing/);
    expect(() => fromModelFile({ ...file, version: 2 }, 'x.json')).toThrow(/x.json is model file version 2; this Khaos reads version 1/);
  });

  it('lists every invalid field at once, and missing coefficients', () => {
    const file = toModelFile(fitModel(samples, 'recovery', 'physical', 42), training, createdAt);
    const broken = { ...file, name: 'cubic', createdAt: 'yesterday', training: { ...file.training, sha256: 'xyz' } };
    expect(() => fromModelFile(broken, 'b.json')).toThrow(/name:.*\n.*training\.sha256: must be 64 lowercase hex digits\n.*createdAt/s);
    const coefficients = { ...file.coefficients };
    delete coefficients.phi;
    expect(() => fromModelFile({ ...file, coefficients }, 'c.json')).toThrow(/physical recovery model lacks finite coefficient\(s\) phi/);
  });
});
