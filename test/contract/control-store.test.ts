import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { controlStoreContract } from './control-store.contract.js';

controlStoreContract('MemoryControlStore', () => ({ store: new MemoryControlStore() }));
controlStoreContract('SqliteControlStore (a real file)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-control-')), 'control.db');
  return { store: new SqliteControlStore(file), reopen: () => new SqliteControlStore(file) };
});

describe('SqliteControlStore read-only beside a writer (the dashboard beside a controller)', () => {
  it('sees what the writer records after it opened, and reads a file of the older schema (no commands table) without changing it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-control-'));
    const file = path.join(dir, 'control.db');
    const writer = new SqliteControlStore(file);
    const run = { id: 'a', startedAtMs: 1, status: 'running' as const, policy: 'khaos+', actuator: 'paced' as const, dryRun: false, restUrl: 'x', fallbackIntervalMs: 1, config: {} };
    writer.createRun(run);
    const reader = new SqliteControlStore(file, { readOnly: true });
    writer.recordEvent({ runId: 'a', atMs: 2, kind: 'failure', detail: 'x' });
    writer.queueCommand('a', 3, { kind: 'pause' });
    expect(reader.events('a').map((e) => e.kind)).toEqual(['failure']);
    expect(reader.pendingCommands('a')).toHaveLength(1);
    reader.close();
    writer.close();

    const old = path.join(dir, 'old.db');
    const db = new Database(old);
    db.exec('CREATE TABLE runs (id TEXT PRIMARY KEY, started_at_ms INTEGER NOT NULL, status TEXT NOT NULL, data_json TEXT NOT NULL); PRAGMA user_version = 2;');
    db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?)').run('a', 1, 'stopped', JSON.stringify({ ...run, status: 'stopped' }));
    db.close();
    const before = fs.readFileSync(old);
    const r = new SqliteControlStore(old, { readOnly: true });
    expect(r.listRuns().map((x) => x.id)).toEqual(['a']);
    expect(r.commands('a')).toEqual([]);
    r.close();
    expect(fs.readFileSync(old).equals(before)).toBe(true);
  });
});
