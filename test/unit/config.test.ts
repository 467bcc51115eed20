import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { resolveConfig } from '../../src/config/schema.js';

describe('config', () => {
  it('fills defaults and compiles durations to ms', () => {
    const c = resolveConfig({ job: { checkpointInterval: '2.5s' }, chaos: { at: '1min' } });
    expect(c.job.checkpointIntervalMs).toBe(2500);
    expect(c.chaos.atSec).toBe(60);
    expect(c.stack.heartbeatTimeoutMs).toBe(5000);
    expect(Object.isFrozen(c.stack)).toBe(true);
  });

  it('reports every problem at once, with its path', () => {
    expect(() => resolveConfig({ stack: { name: 'Bad Name', partitions: 0 }, job: { kind: 'spark' }, extra: 1 })).toThrow(
      /4 problem\(s\):[\s\S]*stack\.name[\s\S]*stack\.partitions[\s\S]*job\.kind[\s\S]*(root|extra)/,
    );
  });

  it('parses durations and rejects nonsense', () => {
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
    expect(parseDuration(17, 'x')).toBe(17);
    expect(() => parseDuration('soon', 'job.checkpointInterval')).toThrow(/job.checkpointInterval: "soon" is not a duration/);
  });
});

describe('docs/config.md', () => {
  it('is generated from the schema and up to date (npx tsx scripts/gen-config-docs.ts)', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { renderConfigDocs } = await import('../../src/config/docs.js');
    const onDisk = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'config.md'), 'utf8');
    expect(onDisk).toBe(renderConfigDocs());
    expect(onDisk).toContain('`profile.intervals`');
  });
});
