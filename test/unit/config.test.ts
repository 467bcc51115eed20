import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseDuration } from '../../src/core/duration.js';
import { resolveConfig } from '../../src/config/schema.js';

describe('config', () => {
  it('examples/profile-iot.yaml and profile-ysb.yaml: intervals 2–20 s, flat steps at levels from a capacity probe up to 65 %, paced, injection left to the machine, latency from the output', () => {
    for (const [file, kind] of [['profile-iot.yaml', 'iot'], ['profile-ysb.yaml', 'ysb']] as const) {
      const c = resolveConfig(YAML.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', file), 'utf8')));
      expect(c.job.kind).toBe(kind);
      expect(c.profile.intervalsMs).toEqual([2000, 8000, 20_000]);
      expect(c.profile).toMatchObject({ levels: 'probe', loadRange: [0.2, 0.65], stepLoad: 'flat', latency: 'output', injection: 'auto', actuator: 'paced', fallbackIntervalMs: 600_000, aggregate: 'each', probeHoldSec: 30 });
    }
    expect(() => resolveConfig({ profile: { loadRange: [0.9, 0.3], injection: 'sometimes' } })).toThrow(/2 problem\(s\):[\s\S]*profile\.injection[\s\S]*profile\.loadRange/);
  });

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

  it('checks durations in the schema: 0, negative and unreadable ones all reported at once, with their paths', () => {
    let message = '';
    try {
      resolveConfig({ stack: { heartbeatInterval: '0s' }, job: { checkpointInterval: '-5s' }, chaos: { at: 'abc' } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^config has 3 problem\(s\):/);
    expect(message).toContain('stack.heartbeatInterval: "0s" is 0 ms; a duration here must be more than 0');
    expect(message).toContain('job.checkpointInterval: "-5s" is negative');
    expect(message).toContain('chaos.at: "abc" is not a duration');
  });

  it('checks durations in lists and optional durations, and bare negative numbers', () => {
    expect(() => resolveConfig({ profile: { intervals: ['2s', 0] }, control: { kills: ['100s', '-1s'], mtbf: 'often', tick: -1000 } })).toThrow(
      /4 problem\(s\):[\s\S]*profile\.intervals\.1: 0 is 0 ms[\s\S]*control\.tick: -1000 is negative[\s\S]*control\.mtbf: "often" is not a duration[\s\S]*control\.kills\.1: "-1s" is negative/,
    );
  });

  it('allows 0 only where it means something: the start of the trace and no minimum uptime', () => {
    const c = resolveConfig({ replay: { startOffset: '0s' }, control: { minUptime: '0s' } });
    expect(c.replay.startOffsetSec).toBe(0);
    expect(c.control.options.minUptimeMs).toBe(0);
    expect(() => resolveConfig({ replay: { startOffset: '-1s' }, control: { minUptime: -1 } })).toThrow(/2 problem\(s\):[\s\S]*replay\.startOffset: "-1s" is negative; a duration here must be 0 or more[\s\S]*control\.minUptime: -1 is negative/);
  });

  it('keeps durations as written beside their resolved …Ms fields', () => {
    const c = resolveConfig({ stack: { heartbeatInterval: 1500 }, profile: { intervals: ['2s', 3000] }, control: { mtbf: '2h', kills: ['100s'] } });
    expect(c.stack.heartbeatInterval).toBe(1500);
    expect(c.stack.heartbeatIntervalMs).toBe(1500);
    expect(c.profile.intervals).toEqual(['2s', 3000]);
    expect(c.profile.intervalsMs).toEqual([2000, 3000]);
    expect(c.control.options.mtbfMs).toBe(7_200_000);
    expect(c.control.killsSec).toEqual([100]);
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

describe('control.policy', () => {
  it('refuses an unknown policy and a static interval that is not a positive duration, with the other problems', () => {
    expect(() => resolveConfig({ control: { policy: 'static:0s', window: '-1s' } })).toThrow(/control\.policy: .*more than 0[\s\S]*control\.window/);
    expect(() => resolveConfig({ control: { policy: 'khaos++' } })).toThrow(/unknown policy "khaos\+\+"; use khaos\+, khaos, static:<duration>/);
    expect(resolveConfig({ control: { policy: 'static:5s' } }).control.policy).toBe('static:5000');
  });
});
