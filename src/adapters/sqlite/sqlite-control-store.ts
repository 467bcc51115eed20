import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { badInput, KhaosError } from '../../core/errors.js';
import { FINAL_RECONFIG_STEPS, type CommandRecord, type ControlEvent, type ControlRun, type ControlRunStatus, type DecisionRecord, type OperatorCommand, type ReconfigRecord } from '../../core/control/records.js';
import type { ControlStore } from '../../ports/control-store.js';

/** Migrations, as in the profile store: entry i takes the file from version i to i + 1; never edit a released one. */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE runs (id TEXT PRIMARY KEY, started_at_ms INTEGER NOT NULL, status TEXT NOT NULL, data_json TEXT NOT NULL);
   CREATE TABLE decisions (run_id TEXT NOT NULL REFERENCES runs (id), seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, data_json TEXT NOT NULL);
   CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs (id), seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, data_json TEXT NOT NULL);
   CREATE INDEX decisions_run ON decisions (run_id, seq);
   CREATE INDEX events_run ON events (run_id, kind, seq);`,
  `CREATE TABLE reconfigurations (id TEXT PRIMARY KEY, target TEXT NOT NULL, step TEXT NOT NULL, started_at_ms INTEGER NOT NULL, data_json TEXT NOT NULL);
   CREATE INDEX reconfigurations_target ON reconfigurations (target, started_at_ms);`,
  `CREATE TABLE commands (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at_ms INTEGER NOT NULL, command_json TEXT NOT NULL, taken_at_ms INTEGER, outcome TEXT);
   CREATE INDEX commands_run ON commands (run_id, seq);`,
];
export const CONTROL_SCHEMA_VERSION = MIGRATIONS.length;

/** Non-finite numbers are stored as null: observations may carry NaN from a bad metric, and the record must still be written. */
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));

const SQLITE_HEADER = 'SQLite format 3\0';
const MOVE_ASIDE = (file: string) => `move it aside (mv ${file} ${file}.bad) and Khaos starts a new one, or set KHAOS_HOME to another directory`;

/**
 * Refuses a file that is not this store's before anything writes to it: not a file, not SQLite,
 * damaged, another program's database, or a newer schema. Opened read-only here, so a refused
 * file is left exactly as it was (switching it to WAL or creating tables would change it).
 */
function checkExisting(file: string): void {
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw badInput(`the control database ${file} is not a file`, MOVE_ASIDE(file));
  if (stat.size === 0) return; // a new, empty file: SQLite makes it a database
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_HEADER) throw badInput(`the control database ${file} is not a SQLite database (damaged, or another file)`, MOVE_ASIDE(file));
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw badInput(`the control database ${file} is damaged: ${check}`, MOVE_ASIDE(file));
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > CONTROL_SCHEMA_VERSION) throw new KhaosError('environment', `control database ${file} has schema version ${version}; this Khaos knows up to ${CONTROL_SCHEMA_VERSION}`, 'upgrade Khaos, or set KHAOS_HOME elsewhere');
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
    if (version === 0 && tables.length > 0) throw badInput(`${file} is another program's SQLite database (tables ${tables.map((t) => t.name).join(', ')}), not Khaos's control database`, MOVE_ASIDE(file));
  } catch (e) {
    if (e instanceof KhaosError) throw e;
    throw badInput(`the control database ${file} cannot be read: ${(e as Error).message}`, MOVE_ASIDE(file));
  } finally {
    db?.close();
  }
}

/** Refuses a file or directory this process may not write (a write would fail mid-run, after the work began). */
function checkWritable(file: string): void {
  for (const [what, p] of [['file', file], ['directory', path.dirname(file)]] as const) {
    if (!fs.existsSync(p)) continue;
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch {
      throw badInput(`the control database ${file} is read-only (its ${what} ${p} cannot be written)`, `make it writable (chmod u+w ${p}) or set KHAOS_HOME to a writable directory; \`khaos control status\` and \`decisions\` only read it`);
    }
  }
}

/**
 * ControlStore on a SQLite file: WAL with synchronous FULL, so each record is on disk before the
 * call returns (a SIGKILLed controller loses nothing recorded). Its own file beside the profile
 * database, so the two schemas version independently. A file that is not a Khaos control
 * database, is damaged or cannot be written is refused with `bad-input` and left untouched.
 * `readOnly` (status, decisions): the file is only read, and must exist.
 */
export class SqliteControlStore implements ControlStore {
  private readonly db: Database.Database;

  constructor(
    readonly file: string,
    { readOnly = false }: { readOnly?: boolean } = {},
  ) {
    if (fs.existsSync(file)) checkExisting(file);
    else if (readOnly) throw badInput(`no control database at ${file}`, 'start a control run first (`khaos control --config FILE`), or set KHAOS_HOME to where your runs are');
    if (!readOnly) checkWritable(file);
    try {
      if (readOnly) {
        this.db = new Database(file, { readonly: true, fileMustExist: true });
        return;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.transaction(() => {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        for (let v = version; v < CONTROL_SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
        if (version !== CONTROL_SCHEMA_VERSION) this.db.pragma(`user_version = ${CONTROL_SCHEMA_VERSION}`);
      }).immediate();
    } catch (e) {
      throw new KhaosError('environment', `cannot open the control database ${file}: ${(e as Error).message}`, 'check that the directory is writable and the file is a Khaos control database', { cause: e });
    }
  }

  createRun(run: ControlRun): void {
    this.db.prepare('INSERT INTO runs (id, started_at_ms, status, data_json) VALUES (?, ?, ?, ?)').run(run.id, run.startedAtMs, run.status, json(run));
  }

  setRunStatus(id: string, status: ControlRunStatus, jobId?: string): void {
    const run = this.getRun(id);
    if (!run) throw new KhaosError('bad-input', `no control run "${id}"`, 'list runs with `khaos control status`');
    const next = { ...run, status, jobId: jobId ?? run.jobId };
    this.db.prepare('UPDATE runs SET status = ?, data_json = ? WHERE id = ?').run(status, json(next), id);
  }

  listRuns(): ControlRun[] {
    return this.db.prepare<[], { data_json: string }>('SELECT data_json FROM runs ORDER BY started_at_ms DESC, rowid DESC').all().map((r) => JSON.parse(r.data_json) as ControlRun);
  }

  getRun(id: string): ControlRun | undefined {
    const r = this.db.prepare<[string], { data_json: string }>('SELECT data_json FROM runs WHERE id = ?').get(id);
    return r ? (JSON.parse(r.data_json) as ControlRun) : undefined;
  }

  recordDecision(d: DecisionRecord): void {
    this.db.prepare('INSERT INTO decisions (run_id, at_ms, data_json) VALUES (?, ?, ?)').run(d.runId, d.atMs, json(d));
  }

  decisions(runId: string, skip = 0): DecisionRecord[] {
    return this.db.prepare<[string, number], { data_json: string }>('SELECT data_json FROM decisions WHERE run_id = ? ORDER BY seq LIMIT -1 OFFSET ?').all(runId, skip).map((r) => JSON.parse(r.data_json) as DecisionRecord);
  }

  recordEvent(e: ControlEvent): void {
    this.db.prepare('INSERT INTO events (run_id, at_ms, kind, data_json) VALUES (?, ?, ?, ?)').run(e.runId, e.atMs, e.kind, json(e));
  }

  events(runId: string, kind?: string, skip = 0): ControlEvent[] {
    const rows = kind
      ? this.db.prepare<[string, string, number], { data_json: string }>('SELECT data_json FROM events WHERE run_id = ? AND kind = ? ORDER BY seq LIMIT -1 OFFSET ?').all(runId, kind, skip)
      : this.db.prepare<[string, number], { data_json: string }>('SELECT data_json FROM events WHERE run_id = ? ORDER BY seq LIMIT -1 OFFSET ?').all(runId, skip);
    return rows.map((r) => JSON.parse(r.data_json) as ControlEvent);
  }

  saveReconfiguration(r: ReconfigRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO reconfigurations (id, target, step, started_at_ms, data_json) VALUES (?, ?, ?, ?, ?)').run(r.id, r.target, r.step, r.startedAtMs, json(r));
  }

  openReconfiguration(target: string): ReconfigRecord | undefined {
    return this.reconfigurations(target)
      .reverse()
      .find((r) => !FINAL_RECONFIG_STEPS.includes(r.step));
  }

  reconfigurations(target: string): ReconfigRecord[] {
    return this.db
      .prepare<[string], { data_json: string }>('SELECT data_json FROM reconfigurations WHERE target = ? ORDER BY started_at_ms, rowid')
      .all(target)
      .map((r) => JSON.parse(r.data_json) as ReconfigRecord);
  }

  queueCommand(runId: string, atMs: number, command: OperatorCommand): number {
    return Number(this.db.prepare('INSERT INTO commands (run_id, at_ms, command_json) VALUES (?, ?, ?)').run(runId, atMs, json(command)).lastInsertRowid);
  }

  pendingCommands(runId: string): CommandRecord[] {
    return this.commands(runId).filter((c) => c.takenAtMs === undefined);
  }

  commands(runId: string): CommandRecord[] {
    // A file of an older schema opened read-only has no commands table: no commands, then.
    if (this.schemaVersion < 3) return [];
    type Row = { seq: number; run_id: string; at_ms: number; command_json: string; taken_at_ms: number | null; outcome: string | null };
    return this.db
      .prepare<[string], Row>('SELECT * FROM commands WHERE run_id = ? ORDER BY seq')
      .all(runId)
      .map((r) => ({ seq: r.seq, runId: r.run_id, atMs: r.at_ms, command: JSON.parse(r.command_json) as OperatorCommand, takenAtMs: r.taken_at_ms ?? undefined, outcome: r.outcome ?? undefined }));
  }

  settleCommand(seq: number, takenAtMs: number, outcome: string): void {
    this.db.prepare('UPDATE commands SET taken_at_ms = ?, outcome = ? WHERE seq = ?').run(takenAtMs, outcome, seq);
  }

  /** The file's schema version (an older file opened read-only is not migrated). */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.db.close();
  }
}
