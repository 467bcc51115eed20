import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { controlStoreContract } from './control-store.contract.js';

controlStoreContract('MemoryControlStore', () => ({ store: new MemoryControlStore() }));
controlStoreContract('SqliteControlStore (a real file)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-control-')), 'control.db');
  return { store: new SqliteControlStore(file), reopen: () => new SqliteControlStore(file) };
});
