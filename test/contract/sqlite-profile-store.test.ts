import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROFILE_SCHEMA_VERSION, SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { fullMeasurement, profileStoreContract, sampleCalibration, sampleProfile, sampleStep } from './profile-store.contract.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('../fixtures/profile-store-crash-child.ts', import.meta.url));
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-profile-store-'));

profileStoreContract('SqliteProfileStore', () => {
  const dir = tempDir();
  // A directory that does not exist yet: the store creates it.
  const file = path.join(dir, 'state', 'profiles.db');
  const store = new SqliteProfileStore(file);
  return {
    store,
    // The second measurement holds a NaN, which JSON cannot give back: the step and the first
    // measurement are already written inside the transaction when it is refused.
    failingSave: (step, measurements) => store.saveStep(step, measurements.map((m, i) => (i === 1 ? { ...m, throughputEps: Number.NaN } : m))),
    reopen: () => new SqliteProfileStore(file),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteProfileStore', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'profiles.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Raw access to the file, for what the port does not offer: pragmas, sabotage. */
  const raw = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };

  it('creates a WAL database at the current schema version', () => {
    new SqliteProfileStore(file).close();
    expect(PROFILE_SCHEMA_VERSION).toBe(2);
    expect(raw((db) => db.pragma('user_version', { simple: true }))).toBe(PROFILE_SCHEMA_VERSION);
    expect(raw((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    // Opening again does not migrate twice.
    new SqliteProfileStore(file).close();
    expect(raw((db) => db.pragma('user_version', { simple: true }))).toBe(PROFILE_SCHEMA_VERSION);
  });

  it('brings a database of the previous version (no calibrations table) up to date, keeping its profiles', () => {
    const store = new SqliteProfileStore(file);
    store.createProfile(sampleProfile('p', 1000));
    store.close();
    raw((db) => {
      db.exec('DROP TABLE calibrations');
      db.pragma('user_version = 1');
    });
    const again = new SqliteProfileStore(file);
    try {
      expect(again.getProfile('p')).toStrictEqual(sampleProfile('p', 1000));
      expect(again.saveCalibration(sampleCalibration('iot', 2000)).id).toBe('iot-v1');
      expect(again.listCalibrations('iot')).toHaveLength(1);
    } finally {
      again.close();
    }
    expect(raw((db) => db.pragma('user_version', { simple: true }))).toBe(PROFILE_SCHEMA_VERSION);
  });

  it('refuses a database written by a newer Khaos and leaves it untouched', () => {
    const store = new SqliteProfileStore(file);
    store.createProfile(sampleProfile('p', 1000));
    store.close();
    raw((db) => db.pragma(`user_version = ${PROFILE_SCHEMA_VERSION + 1}`));
    expect(() => new SqliteProfileStore(file)).toThrow(
      expect.objectContaining({
        name: 'KhaosError',
        kind: 'environment',
        message: `profile database ${file} has schema version ${PROFILE_SCHEMA_VERSION + 1}; this Khaos understands up to version ${PROFILE_SCHEMA_VERSION}`,
        hint: expect.stringContaining('upgrade Khaos'),
      }),
    );
    expect(raw((db) => db.pragma('user_version', { simple: true }))).toBe(PROFILE_SCHEMA_VERSION + 1);
  });

  it('gives an environment error naming the path for a file that is not SQLite, or a directory', () => {
    fs.writeFileSync(file, 'ci_ms,throughput_eps,latency_ms,recovery_s\n'.repeat(200));
    const envError = (p: string) =>
      expect.objectContaining({ name: 'KhaosError', kind: 'environment', message: expect.stringContaining(p), hint: expect.stringContaining(p) });
    expect(() => new SqliteProfileStore(file)).toThrow(envError(file));
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^ci_ms,/);
    expect(() => new SqliteProfileStore(dir)).toThrow(envError(dir));
    const underAFile = path.join(file, 'profiles.db');
    expect(() => new SqliteProfileStore(underAFile)).toThrow(envError(underAFile));
  });

  it('refuses a SQLite file that belongs to something else', () => {
    raw((db) => db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)'));
    expect(() => new SqliteProfileStore(file)).toThrow(
      expect.objectContaining({ kind: 'environment', message: expect.stringMatching(/not a Khaos profile database .*orders/) }),
    );
  });

  it('rolls back a step whose transaction the database aborts half-way', () => {
    const store = new SqliteProfileStore(file);
    try {
      store.createProfile(sampleProfile('p', 1000));
      const step = sampleStep('p', 0, 0);
      const kept = [fullMeasurement(step, 1000)];
      store.saveStep(step, kept);
      // The database itself refuses the second measurement, after the step and the first were written.
      raw((db) => db.exec("CREATE TRIGGER sabotage BEFORE INSERT ON measurements WHEN NEW.seq = 1 BEGIN SELECT RAISE(ABORT, 'sabotage'); END"));
      const redo = sampleStep('p', 0, 0, { status: 'failed', error: 'redo' });
      expect(() => store.saveStep(redo, [fullMeasurement(redo, 5000), fullMeasurement(redo, 30_000)])).toThrow(
        expect.objectContaining({ name: 'KhaosError', kind: 'bug', message: expect.stringContaining('sabotage') }),
      );
      expect(store.steps('p')).toStrictEqual([step]);
      expect(store.measurements('p')).toStrictEqual(kept);
    } finally {
      store.close();
    }
  });

  it('says it is a bug to use the store after close', () => {
    const store = new SqliteProfileStore(file);
    store.close();
    expect(() => store.listProfiles()).toThrow(expect.objectContaining({ kind: 'bug', message: expect.stringContaining('after close') }));
  });

  it('a kill -9 while saving in a loop loses at most the step under way', { timeout: 60_000 }, async () => {
    const perStep = 25;
    const store = new SqliteProfileStore(file);
    store.createProfile(sampleProfile('crash', 1000));
    store.close();

    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_CHILD, file, 'crash', String(perStep)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Kill it in full flight, well into the loop.
      if (out.split('\n').length > 40 && child.signalCode === null && !child.killed) child.kill('SIGKILL');
    });
    // 'close' waits for the pipes to drain, so every line the child wrote is in `out`.
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    expect({ code, signal, err }).toMatchObject({ signal: 'SIGKILL' });
    const reported = out.split('\n').filter((l) => l !== '').map(Number);
    expect(reported.length).toBeGreaterThanOrEqual(40);
    expect(reported).toEqual(reported.map((_, i) => i));

    const reopened = new SqliteProfileStore(file);
    try {
      const saved = reopened.steps('crash').map((s) => s.pointIndex);
      // Every reported step is there; at most one more (committed, killed before it was reported).
      expect(saved.slice(0, reported.length)).toEqual(reported);
      expect(saved.length - reported.length).toBeLessThanOrEqual(1);
      // No step is there in part.
      const perSaved = new Map<number, number>();
      for (const m of reopened.measurements('crash')) perSaved.set(m.pointIndex, (perSaved.get(m.pointIndex) ?? 0) + 1);
      expect([...perSaved.keys()]).toEqual(saved);
      expect([...perSaved.values()].every((n) => n === perStep)).toBe(true);
      // And it goes on.
      const next = sampleStep('crash', saved.length, 0);
      reopened.saveStep(next, [fullMeasurement(next, 1000)]);
      expect(reopened.steps('crash')).toHaveLength(saved.length + 1);
    } finally {
      reopened.close();
    }
    expect(raw((db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
  });
});
