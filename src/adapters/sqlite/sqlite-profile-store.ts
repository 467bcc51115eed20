import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KhaosError } from '../../core/errors.js';
import type { JobName } from '../../core/jobs.js';
import type { FailureMeasurement, ProfileRecord, ProfileStatus, StepRecord } from '../../core/profiling/profile-records.js';
import { calibrationId, type CalibrationRecord, type NewCalibration } from '../../core/sim/calibrate.js';
import type { ProfileStore } from '../../ports/profile-store.js';

/**
 * Schema migrations; entry i takes a database from version i to i + 1, so the schema version this
 * code writes (`PRAGMA user_version`) is the number of entries. Never edit a released entry: add one.
 *
 * Measurements keep their key and `ci_ms` (what they are grouped by) in columns and every other
 * field in `data_json`: FailureMeasurement grows optional fields with the models, and JSON returns
 * exactly what was saved (absent stays absent, null stays null) without a migration per field.
 * `seq` is a measurement's position in its saveStep call, so they come back in the order given.
 */
const MIGRATIONS: ReadonlyArray<(db: Database.Database) => void> = [
  (db) =>
    db.exec(`
      CREATE TABLE profiles (
        id TEXT NOT NULL PRIMARY KEY,
        created_at_ms INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'done', 'discarded')),
        owner_pid INTEGER,
        plan_json TEXT NOT NULL,
        provenance_json TEXT NOT NULL
      );
      CREATE TABLE steps (
        profile_id TEXT NOT NULL REFERENCES profiles (id),
        point_index INTEGER NOT NULL,
        repetition INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        started_at_ms INTEGER NOT NULL,
        ended_at_ms INTEGER NOT NULL,
        error TEXT,
        PRIMARY KEY (profile_id, point_index, repetition)
      );
      CREATE TABLE measurements (
        profile_id TEXT NOT NULL,
        point_index INTEGER NOT NULL,
        repetition INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ci_ms REAL NOT NULL,
        data_json TEXT NOT NULL,
        PRIMARY KEY (profile_id, point_index, repetition, seq),
        FOREIGN KEY (profile_id, point_index, repetition) REFERENCES steps (profile_id, point_index, repetition)
      );
    `),
  // Version 2: simulator calibrations (`khaos sim calibrate`), the whole record in `record_json`.
  (db) =>
    db.exec(`
      CREATE TABLE calibrations (
        id TEXT NOT NULL PRIMARY KEY,
        job TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        record_json TEXT NOT NULL,
        UNIQUE (job, version)
      );
    `),
];

/** The schema version this code reads and writes. */
export const PROFILE_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to {@link PROFILE_SCHEMA_VERSION} in one immediate transaction (so two
 * processes opening a new file at once do not both create it). Refuses a newer database (a newer
 * Khaos wrote it) and a SQLite file that holds something other than Khaos profiles.
 */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > PROFILE_SCHEMA_VERSION) {
      throw new KhaosError(
        'environment',
        `profile database ${file} has schema version ${version}; this Khaos understands up to version ${PROFILE_SCHEMA_VERSION}`,
        'a newer Khaos wrote it: upgrade Khaos to use it, or point Khaos at another profile database',
      );
    }
    if (version === 0) {
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      if (tables.length > 0) {
        throw new KhaosError(
          'environment',
          `${file} is a SQLite database but not a Khaos profile database (it holds tables ${tables.map((t) => t.name).join(', ')})`,
          'point Khaos at another file for its profile database',
        );
      }
    }
    for (let v = version; v < PROFILE_SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
    if (version !== PROFILE_SCHEMA_VERSION) db.pragma(`user_version = ${PROFILE_SCHEMA_VERSION}`);
  }).immediate();
}

interface ProfileRow {
  id: string;
  created_at_ms: number;
  status: ProfileStatus;
  owner_pid: number | null;
  plan_json: string;
  provenance_json: string;
}

interface StepRow {
  profile_id: string;
  point_index: number;
  repetition: number;
  status: StepRecord['status'];
  started_at_ms: number;
  ended_at_ms: number;
  error: string | null;
}

interface MeasurementRow {
  profile_id: string;
  point_index: number;
  repetition: number;
  ci_ms: number;
  data_json: string;
}

type StepKey = [profileId: string, pointIndex: number, repetition: number];

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const unknownProfile = (id: string) =>
  new KhaosError('bad-input', `no profile "${id}"`, 'list the stored profiles with `khaos profile list`');

/**
 * JSON that refuses what it could not give back: NaN and ±Infinity (JSON.stringify would turn them
 * into null) and BigInt (JSON.stringify throws). A stored record must read back exactly as saved.
 */
function strictJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value, (key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new KhaosError('bug', `${what}: ${key === '' ? 'the value' : `"${key}"`} is ${v}, which the profile store cannot keep exactly`);
      return v;
    });
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw new KhaosError('bug', `${what} cannot be stored as JSON: ${message(e)}`, undefined, { cause: e });
  }
}

/**
 * ProfileStore on a SQLite file (better-sqlite3, synchronous). WAL journal with
 * `synchronous = FULL`: every commit is fsync'ed to the WAL before the call returns. NORMAL would
 * already survive a kill -9 of Khaos (a committed transaction is in the OS page cache), but it may
 * lose the last commits on a power cut or kernel crash; a step takes minutes, so one fsync per step
 * costs nothing and "committed before the call returns" holds for every kind of crash.
 *
 * Writes are immediate transactions: the write lock is taken up front, because a deferred one that
 * reads first fails with SQLITE_BUSY when another process commits in between, which no waiting
 * cures. Readers (`khaos profile list`) never block the writer in WAL mode; a writer is waited on
 * for up to 5 s.
 * Library errors become KhaosError here: a constraint violation is a bug, anything else the
 * database or disk refused is `environment`.
 */
export class SqliteProfileStore implements ProfileStore {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof prepare>;

  constructor(readonly file: string) {
    const openHint = `check that ${file} is a Khaos profile database (a SQLite file) on a writable disk, or choose another path`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (e) {
      throw new KhaosError('environment', `cannot create the directory of profile database ${file}: ${message(e)}`, openHint, { cause: e });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
    } catch (e) {
      db?.close();
      if (e instanceof KhaosError) throw e;
      throw new KhaosError('environment', `cannot open profile database ${file}: ${message(e)}`, openHint, { cause: e });
    }
    this.db = db;
    this.stmts = prepare(db);
  }

  createProfile(record: ProfileRecord): void {
    this.guard(`creating profile "${record.id}"`, () =>
      this.db
        .transaction(() => {
          if (this.exists(record.id)) {
            throw new KhaosError('bad-input', `profile "${record.id}" already exists`, 'choose another id; list the stored profiles with `khaos profile list`');
          }
          this.stmts.insertProfile.run(
            record.id,
            record.createdAtMs,
            record.status,
            record.ownerPid ?? null,
            strictJson(record.plan, `plan of profile "${record.id}"`),
            strictJson(record.provenance, `provenance of profile "${record.id}"`),
          );
        })
        .immediate(),
    );
  }

  getProfile(id: string): ProfileRecord | undefined {
    return this.guard(`reading profile "${id}"`, () => {
      const row = this.stmts.getProfile.get(id);
      return row && toProfile(row);
    });
  }

  listProfiles(): ProfileRecord[] {
    return this.guard('listing profiles', () => this.stmts.listProfiles.all().map(toProfile));
  }

  /** Sets the status and its owner together: without `ownerPid` the profile has no owner afterwards. */
  setStatus(id: string, status: ProfileStatus, ownerPid?: number): void {
    this.guard(`setting the status of profile "${id}"`, () => {
      if (this.stmts.setStatus.run(status, ownerPid ?? null, id).changes === 0) throw unknownProfile(id);
    });
  }

  saveStep(step: StepRecord, measurements: FailureMeasurement[]): void {
    const key: StepKey = [step.profileId, step.pointIndex, step.repetition];
    const what = `step (point ${step.pointIndex}, repetition ${step.repetition}) of profile "${step.profileId}"`;
    this.guard(`saving ${what}`, () =>
      this.db
        .transaction(() => {
          if (!this.exists(step.profileId)) throw unknownProfile(step.profileId);
          this.stmts.deleteStepMeasurements.run(...key);
          this.stmts.upsertStep.run(...key, step.status, step.startedAtMs, step.endedAtMs, step.error ?? null);
          // Each measurement is checked as it is written: a bad one aborts the whole transaction.
          measurements.forEach((m, seq) => {
            const { profileId, pointIndex, repetition, ciMs, ...rest } = m;
            if (profileId !== step.profileId || pointIndex !== step.pointIndex || repetition !== step.repetition) {
              throw new KhaosError('bug', `measurement ${seq} of ${what} belongs to (point ${pointIndex}, repetition ${repetition}) of profile "${profileId}"`);
            }
            if (!Number.isFinite(ciMs)) throw new KhaosError('bug', `measurement ${seq} of ${what}: "ciMs" is ${ciMs}`);
            this.stmts.insertMeasurement.run(...key, seq, ciMs, strictJson(rest, `measurement ${seq} of ${what}`));
          });
        })
        .immediate(),
    );
  }

  steps(profileId: string): StepRecord[] {
    return this.guard(`reading the steps of profile "${profileId}"`, () => {
      if (!this.exists(profileId)) throw unknownProfile(profileId);
      return this.stmts.steps.all(profileId).map(
        (r): StepRecord => ({
          profileId: r.profile_id,
          pointIndex: r.point_index,
          repetition: r.repetition,
          status: r.status,
          startedAtMs: r.started_at_ms,
          endedAtMs: r.ended_at_ms,
          ...(r.error === null ? {} : { error: r.error }),
        }),
      );
    });
  }

  measurements(profileId: string): FailureMeasurement[] {
    return this.guard(`reading the measurements of profile "${profileId}"`, () => {
      if (!this.exists(profileId)) throw unknownProfile(profileId);
      return this.stmts.measurements.all(profileId).map(
        (r): FailureMeasurement => ({
          ...(JSON.parse(r.data_json) as Omit<FailureMeasurement, 'profileId' | 'pointIndex' | 'repetition' | 'ciMs'>),
          profileId: r.profile_id,
          pointIndex: r.point_index,
          repetition: r.repetition,
          ciMs: r.ci_ms,
        }),
      );
    });
  }

  deleteProfile(id: string): void {
    this.guard(`deleting profile "${id}"`, () =>
      this.db
        .transaction(() => {
          if (!this.exists(id)) throw unknownProfile(id);
          this.stmts.deleteMeasurements.run(id);
          this.stmts.deleteSteps.run(id);
          this.stmts.deleteProfile.run(id);
        })
        .immediate(),
    );
  }

  saveCalibration(calibration: NewCalibration): CalibrationRecord {
    return this.guard(`saving a calibration of job ${calibration.job}`, () =>
      this.db
        .transaction(() => {
          const version = this.stmts.lastCalibrationVersion.get(calibration.job)!.last + 1;
          const record: CalibrationRecord = { id: calibrationId(calibration.job, version), version, ...calibration };
          this.stmts.insertCalibration.run(record.id, record.job, version, record.createdAtMs, strictJson(record, `calibration ${record.id}`));
          return record;
        })
        .immediate(),
    );
  }

  getCalibration(id: string): CalibrationRecord | undefined {
    return this.guard(`reading calibration "${id}"`, () => {
      const row = this.stmts.getCalibration.get(id);
      return row && (JSON.parse(row.record_json) as CalibrationRecord);
    });
  }

  listCalibrations(job?: JobName): CalibrationRecord[] {
    return this.guard('listing calibrations', () =>
      this.stmts.listCalibrations.all(job ?? null, job ?? null).map((row) => JSON.parse(row.record_json) as CalibrationRecord),
    );
  }

  close(): void {
    this.db.close();
  }

  private exists(id: string): boolean {
    return this.stmts.profileExists.get(id) !== undefined;
  }

  /** Translates what the library throws into KhaosError, naming the file and what was being done. */
  private guard<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KhaosError) throw e;
      if (e instanceof Database.SqliteError) {
        if (e.code.startsWith('SQLITE_CONSTRAINT')) {
          throw new KhaosError('bug', `${doing} in ${this.file} violated a database constraint: ${e.message} (a bug in Khaos)`, undefined, { cause: e });
        }
        throw new KhaosError('environment', `${doing} in profile database ${this.file} failed: ${e.message} (${e.code})`, `check that the disk has space and ${this.file} is writable and not damaged`, { cause: e });
      }
      if (!this.db.open) throw new KhaosError('bug', `${doing}: the profile store ${this.file} was used after close()`, undefined, { cause: e });
      throw new KhaosError('bug', `${doing} in ${this.file} failed: ${message(e)}`, undefined, { cause: e });
    }
  }
}

/** Every statement, prepared once per connection. */
function prepare(db: Database.Database) {
  return {
    profileExists: db.prepare<[string], { one: 1 }>('SELECT 1 AS one FROM profiles WHERE id = ?'),
    insertProfile: db.prepare<[string, number, string, number | null, string, string]>(
      'INSERT INTO profiles (id, created_at_ms, status, owner_pid, plan_json, provenance_json) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getProfile: db.prepare<[string], ProfileRow>('SELECT * FROM profiles WHERE id = ?'),
    // Ties on created_at_ms: the later created first (rowid only grows past the existing rows).
    listProfiles: db.prepare<[], ProfileRow>('SELECT * FROM profiles ORDER BY created_at_ms DESC, rowid DESC'),
    setStatus: db.prepare<[string, number | null, string]>('UPDATE profiles SET status = ?, owner_pid = ? WHERE id = ?'),
    upsertStep: db.prepare<[...StepKey, string, number, number, string | null]>(
      `INSERT INTO steps (profile_id, point_index, repetition, status, started_at_ms, ended_at_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (profile_id, point_index, repetition)
       DO UPDATE SET status = excluded.status, started_at_ms = excluded.started_at_ms, ended_at_ms = excluded.ended_at_ms, error = excluded.error`,
    ),
    deleteStepMeasurements: db.prepare<StepKey>('DELETE FROM measurements WHERE profile_id = ? AND point_index = ? AND repetition = ?'),
    insertMeasurement: db.prepare<[...StepKey, number, number, string]>(
      'INSERT INTO measurements (profile_id, point_index, repetition, seq, ci_ms, data_json) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    steps: db.prepare<[string], StepRow>('SELECT * FROM steps WHERE profile_id = ? ORDER BY point_index, repetition'),
    measurements: db.prepare<[string], MeasurementRow>(
      'SELECT profile_id, point_index, repetition, ci_ms, data_json FROM measurements WHERE profile_id = ? ORDER BY point_index, repetition, seq',
    ),
    deleteMeasurements: db.prepare<[string]>('DELETE FROM measurements WHERE profile_id = ?'),
    deleteSteps: db.prepare<[string]>('DELETE FROM steps WHERE profile_id = ?'),
    deleteProfile: db.prepare<[string]>('DELETE FROM profiles WHERE id = ?'),
    lastCalibrationVersion: db.prepare<[string], { last: number }>('SELECT COALESCE(MAX(version), 0) AS last FROM calibrations WHERE job = ?'),
    insertCalibration: db.prepare<[string, string, number, number, string]>('INSERT INTO calibrations (id, job, version, created_at_ms, record_json) VALUES (?, ?, ?, ?, ?)'),
    getCalibration: db.prepare<[string], { record_json: string }>('SELECT record_json FROM calibrations WHERE id = ?'),
    listCalibrations: db.prepare<[string | null, string | null], { record_json: string }>(
      'SELECT record_json FROM calibrations WHERE ? IS NULL OR job = ? ORDER BY created_at_ms DESC, rowid DESC',
    ),
  };
}

function toProfile(r: ProfileRow): ProfileRecord {
  return {
    id: r.id,
    createdAtMs: r.created_at_ms,
    status: r.status,
    ...(r.owner_pid === null ? {} : { ownerPid: r.owner_pid }),
    plan: JSON.parse(r.plan_json) as ProfileRecord['plan'],
    provenance: JSON.parse(r.provenance_json) as ProfileRecord['provenance'],
  };
}
