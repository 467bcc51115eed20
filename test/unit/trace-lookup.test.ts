import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTraceFile } from '../../src/compose.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-workloads-'));
fs.writeFileSync(path.join(dir, 'a.csv'), 'timestamp,value\n');
fs.writeFileSync(path.join(dir, 'b.csv'), 'timestamp,value\n');
fs.writeFileSync(path.join(dir, 'package.json'), '{}');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('findTraceFile: the one trace lookup (config replay.trace and khaos analyze)', () => {
  it('takes the path as given first, then the name in the workloads folder', () => {
    // vitest runs in the repository root, which has a package.json of its own
    expect(findTraceFile('package.json', dir)).toBe('package.json');
    expect(findTraceFile('a.csv', dir)).toBe(path.join(dir, 'a.csv'));
    expect(findTraceFile(path.join(dir, 'b.csv'), '/nonexistent')).toBe(path.join(dir, 'b.csv'));
  });

  it('names the traces there when neither is a file', () => {
    expect(() => findTraceFile('c.csv', dir)).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining(`looked at c.csv, ${path.join(dir, 'c.csv')}`), hint: 'give a CSV path or one of: a.csv, b.csv' }));
    expect(() => findTraceFile('c.csv', '/nonexistent')).toThrow(expect.objectContaining({ hint: 'give a CSV path or a file name in /nonexistent' }));
  });
});
