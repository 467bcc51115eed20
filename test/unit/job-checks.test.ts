import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jarEntries } from '../../src/adapters/files/jar-entries.js';
import { checkModelsJob } from '../../src/app/control/control-models.js';
import { checkJobJar } from '../../src/compose.js';
import { resolveConfig } from '../../src/config/schema.js';
import { identityComment, identityDifferences, identityFromCsv, identityText, jobIdentity } from '../../src/core/job-identity.js';
import { builtInJob } from '../../src/core/jobs.js';
import { parseSamplesCsv, samplesToCsv } from '../../src/core/profiling/samples.js';

/** A zip of empty stored entries, as a jar tool writes one (local headers, central directory, end record). */
function zip(names: readonly string[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const n = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(n.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(n.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, n);
    central.push(dir, n);
    offset += 30 + n.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, dir, end, Buffer.from(comment)]);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-jar-'));
const write = (name: string, content: Buffer | string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
};
const OWN = { args: ['--group', '{groupId}', '--txn', '{txnPrefix}'], input: { template: { id: '${seq}' } } };
const refusal = (jar: string, entryClass: string) => {
  try {
    checkJobJar(resolveConfig({ job: { ...OWN, jar, entryClass } }));
    return undefined;
  } catch (e) {
    return e as { kind: string; message: string; hint?: string };
  }
};

describe('an own job’s jar, checked before any replica starts', () => {
  const jar = write('payments.jar', zip(['META-INF/MANIFEST.MF', 'com/example/', 'com/example/PaymentsJob.class', 'com/example/Score.class'], 'built by a test'));

  it('lists a jar’s entries from its central directory, past a comment', () => {
    expect(jarEntries(jar)).toEqual(['META-INF/MANIFEST.MF', 'com/example/', 'com/example/PaymentsJob.class', 'com/example/Score.class']);
  });

  it('passes a jar holding its entry class', () => {
    expect(refusal(jar, 'com.example.PaymentsJob')).toBeUndefined();
  });

  it('refuses a missing jar, an entry class not in it (suggesting one of that name) and a file that is not a jar, with the fix', () => {
    expect(refusal(path.join(tmp, 'nowhere.jar'), 'com.example.PaymentsJob')).toMatchObject({ kind: 'bad-input', message: `job.jar ${path.join(tmp, 'nowhere.jar')} does not exist`, hint: expect.stringContaining('build your job first') });
    expect(refusal(jar, 'com.example.Payments')).toMatchObject({ kind: 'bad-input', message: `job.entryClass com.example.Payments is not in ${jar} (no com/example/Payments.class among its 4 entries)` });
    expect(refusal(jar, 'PaymentsJob')).toMatchObject({ hint: 'did you mean com.example.PaymentsJob? set job.entryClass to the main class\'s full name' });
    expect(refusal(write('notes.jar', 'not a zip at all'), 'com.example.PaymentsJob')).toMatchObject({ kind: 'bad-input', message: expect.stringContaining('is not a jar (no zip central directory found)') });
  });
});

describe('models know their job', () => {
  const own = jobIdentity({ name: 'custom', entryClass: 'com.example.PaymentsJob', flinkConf: { 'state.backend.type': 'rocksdb', 'rest.port': '9000', 'execution.checkpointing.interval': '1 min' } }, 2, 'a'.repeat(64));

  it('fingerprints the jar, entry class, parallelism and the Flink options that shape recovery (not Khaos’s own, not others)', () => {
    expect(own.recoveryConf).toEqual({ 'state.backend.type': 'rocksdb' });
    expect(own.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(jobIdentity({ name: 'custom', entryClass: 'com.example.PaymentsJob', flinkConf: { 'state.backend.type': 'rocksdb', 'rest.port': '1' } }, 2, 'a'.repeat(64)).fingerprint).toBe(own.fingerprint);
    const other = jobIdentity({ name: 'custom', entryClass: 'com.example.PaymentsJob', flinkConf: {} }, 1, 'b'.repeat(64));
    expect(identityDifferences(own, other)).toEqual(['jar sha256 aaaaaaaaaaaa…, now jar sha256 bbbbbbbbbbbb…', 'parallelism 2, now 1', 'recovery options {"state.backend.type":"rocksdb"}, now {}']);
    // an own job known only by its URI in an image (Kubernetes): the URI stands for the jar
    const inImage = jobIdentity({ name: 'custom', entryClass: 'com.example.PaymentsJob', flinkConf: {} }, 1, 'jarURI local:///opt/flink/usrlib/payments.jar');
    expect(identityDifferences(inImage, other)).toEqual(['jarURI local:///opt/flink/usrlib/payments.jar, now jar sha256 bbbbbbbbbbbb…']);
    expect(identityText(own)).toBe(`custom com.example.PaymentsJob, jar sha256 aaaaaaaaaaaa…, parallelism 2, state.backend.type=rocksdb (fingerprint ${own.fingerprint})`);
    expect(jobIdentity(builtInJob('iot'), 1, 'c'.repeat(64)).fingerprint).not.toBe(jobIdentity(builtInJob('ysb'), 1, 'c'.repeat(64)).fingerprint);
  });

  it('a samples CSV carries it in a comment and stays readable; CSVs without one still parse', () => {
    const samples = [1, 2, 3, 4].map((i) => ({ ciMs: i * 1000, throughputEps: 100 * i, recoverySec: i }));
    const csv = samplesToCsv(samples, ['khaos profile p1', identityComment(own)]);
    expect(identityFromCsv(csv, 's.csv')).toEqual(own);
    expect(parseSamplesCsv(csv, 's.csv')).toEqual(samples);
    expect(identityFromCsv(samplesToCsv(samples), 's.csv')).toBeUndefined();
    expect(() => identityFromCsv('# job-identity: {oops\nci_ms\n', 'bad.csv')).toThrow(/bad\.csv: its "# job-identity: " comment is not valid JSON/);
  });

  it('control and evaluate warn when the models were fitted for another job, and refuse with --strict', () => {
    const lines: string[] = [];
    const inputs = { samples: { samples: [], source: 's.csv' }, fittedFor: { identity: own, source: 's.csv' } };
    const now = { ...own, parallelism: 4, fingerprint: 'ffff' };
    checkModelsJob(inputs, now, false, (l) => lines.push(l));
    expect(lines).toEqual(['warning: the models (s.csv) were fitted for another job: parallelism 2, now 4; their predictions may not hold for this job (--strict refuses)']);
    expect(() => checkModelsJob(inputs, now, true, () => {})).toThrow(expect.objectContaining({ kind: 'bad-input', message: '--strict: the models (s.csv) were fitted for another job: parallelism 2, now 4' }));
    lines.length = 0;
    checkModelsJob(inputs, own, true, (l) => lines.push(l));
    expect(lines).toEqual([`models: fitted for this job (${identityText(own)})`]);
    expect(() => checkModelsJob({ samples: inputs.samples }, own, true, () => {})).toThrow(/--strict: the models do not say which job they were fitted for/);
  });
});

describe('khaos models fit and show with the job identity', () => {
  it('carries the samples’ job into the model file, shows it, and fits no latency model when the samples have none (job.latency none), saying so', async () => {
    const { modelsCommand } = await import('../../src/cli/models.js');
    const src = fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'samples-iot-local-SIMULATED.csv'), 'utf8');
    const samples = parseSamplesCsv(src, 'simulated').map(({ latencyMs: _, ...s }) => s);
    const own = jobIdentity({ name: 'custom', entryClass: 'com.example.PaymentsJob', flinkConf: {} }, 1, 'd'.repeat(64));
    const csv = write('own-samples.csv', samplesToCsv(samples, ['khaos profile p9', identityComment(own)]));
    const dir = path.join(tmp, 'models');
    let out = '';
    expect(await modelsCommand(['fit', '--samples', csv, '--out', dir], { out: (s) => (out += s) })).toBe(0);
    expect(out).toContain(`job: ${identityText(own)}`);
    expect(out).toContain('no latency model written: not fitted: no sample carries a latency (profiled with job.latency none)');
    expect(fs.existsSync(path.join(dir, 'latency-model.json'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'recovery-model.json'), 'utf8')).job).toEqual(own);
    let shown = '';
    expect(await modelsCommand(['show', path.join(dir, 'recovery-model.json')], { out: (s) => (shown += s) })).toBe(0);
    expect(shown).toContain(`  job: ${identityText(own)}`);
  });
});
