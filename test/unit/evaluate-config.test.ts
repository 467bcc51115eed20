import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { realKillsSec } from '../../src/app/evaluate-real.js';
import { resolveConfig, resolvePolicyList } from '../../src/config/schema.js';
import { DEFAULT_FLUID_PARAMS, reconfigurationOutageSec } from '../../src/core/sim/fluid-params.js';

const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('config: evaluate', () => {
  it('defaults: four policies and four static intervals, 20 schedules of 10 kills 1 h apart, the default simulated job', () => {
    const e = resolveConfig({}).evaluate;
    expect(e.evaluated.map((p) => p.name)).toEqual(['khaos+', 'khaos', 'young-daly', 'flink-backlog', 'static:10s', 'static:30s', 'static:60s', 'static:120s']);
    expect(e.evaluated[1]).toEqual({ name: 'khaos', policy: 'khaos', actuator: 'restart' });
    expect(e.evaluated[4]).toEqual({ name: 'static:10s', policy: 'static:10000', staticMs: 10_000 });
    expect(e).toMatchObject({ schedules: 20, failuresPerSchedule: 10, minSpacingSec: 3600, seed: 42, failure: 'kill', latencyWindowSec: 300, oracle: true, workers: 0, out: 'khaos-evaluate' });
    expect(e.params).toEqual(DEFAULT_FLUID_PARAMS);
  });

  it('resolves actuator suffixes and static durations, and merges simulation overrides', () => {
    const e = resolveConfig({ evaluate: { policies: ['khaos+@restart', 'khaos@paced', 'khaos+@paced', 'static:1.5s'], staticIntervals: [45_000], sim: { capacityEps: 30_000, checkpoint: { capacityLoss: 0.05 } } } }).evaluate;
    expect(e.evaluated.map((p) => p.name)).toEqual(['khaos+@restart', 'khaos@paced', 'khaos+', 'static:1500ms', 'static:45s']);
    expect(e.params.capacityEps).toBe(30_000);
    expect(e.params.checkpoint).toEqual({ ...DEFAULT_FLUID_PARAMS.checkpoint, capacityLoss: 0.05 });
  });

  it('reports every problem at once, with its path', () => {
    const m = messageOf(() =>
      resolveConfig({
        evaluate: { policies: ['khaos+', 'foo', 'static:30s@restart', 'khaos@fast', 'khaos+@paced'], staticIntervals: ['0s'], schedules: 0, latencyWindow: '1500ms', sim: { capacityEps: -1, bogus: 1 } },
        control: { window: '-1s' },
      }),
    );
    expect(m).toMatch(/^config has \d+ problem\(s\):/);
    for (const problem of [
      'evaluate.policies.1: unknown policy "foo"',
      'evaluate.policies.2: "static:30s@restart": a static interval never changes',
      'evaluate.policies.3: "khaos@fast": unknown actuator "fast"',
      'evaluate.policies: khaos+ is listed more than once',
      'evaluate.staticIntervals.0: "0s" is 0 ms',
      'evaluate.schedules:',
      'evaluate.latencyWindow: "1500ms" is not whole seconds',
      'evaluate.sim: Unrecognized key: "bogus"',
      'capacityEps must be > 0, got -1',
      'control.window',
    ])
      expect(m).toContain(problem);
  });

  it('a static interval in policies and in staticIntervals is one policy listed twice', () => {
    expect(messageOf(() => resolveConfig({ evaluate: { policies: ['static:30000'], staticIntervals: ['30s'] } }))).toContain('static:30s is listed more than once');
  });

  it('resolvePolicyList (--policies) names every bad entry and repeat at once', () => {
    const m = messageOf(() => resolvePolicyList(['khaos+', '', 'x', 'static:30s', 'static:30000'], '--policies'));
    expect(m).toBe(
      '--policies: entry 2: an empty policy name; use khaos+, khaos, static:<duration>, young-daly or flink-backlog; entry 3: unknown policy "x"; use khaos+, khaos, static:<duration>, young-daly or flink-backlog; static:30s is listed more than once',
    );
    expect(messageOf(() => resolvePolicyList([], '--policies'))).toContain('no policy listed');
    expect(resolvePolicyList(['young-daly@restart', 'static:2min'], '--policies').map((p) => p.name)).toEqual(['young-daly@restart', 'static:120s']);
  });

  it('examples/evaluate-iot.yaml (the real-stack scenario) compares what the issue asks for, with kills that fit its replay', () => {
    const c = resolveConfig(YAML.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'evaluate-iot.yaml'), 'utf8')));
    const names = c.evaluate.evaluated.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['khaos+', 'khaos+@restart', 'khaos']));
    expect(names.filter((n) => n.startsWith('static:')).length).toBeGreaterThanOrEqual(3);
    expect(c.job.kind).toBe('iot');
    expect(c.evaluate.real.mode).toBe('sequential');
    expect(c.evaluate.real.failures).toBeGreaterThanOrEqual(4);
    expect(realKillsSec(c)).toHaveLength(c.evaluate.real.repeats);
    for (const kills of realKillsSec(c)) expect(kills).toHaveLength(c.evaluate.real.failures);
    expect(fs.existsSync(path.resolve(__dirname, '..', '..', c.control.samples!))).toBe(true);
  });

  it('examples/evaluate-iot-original-scale.yaml (the simulation bench) is valid and lists what the issue asks for', () => {
    const file = path.resolve(__dirname, '..', '..', 'examples', 'evaluate-iot-original-scale.yaml');
    const c = resolveConfig(YAML.parse(fs.readFileSync(file, 'utf8')));
    const names = c.evaluate.evaluated.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['khaos+', 'khaos+@restart', 'khaos', 'young-daly', 'flink-backlog']));
    expect(names.filter((n) => n.startsWith('static:')).length).toBeGreaterThanOrEqual(3);
    expect(c.replay.trace).toBe('nyc_taxi.csv');
    expect(c.evaluate.schedules).toBeGreaterThanOrEqual(20);
    // khaos+@restart weighs the outage the simulated job really has.
    expect(c.control.options.restartDowntimeMs).toBeCloseTo(1000 * reconfigurationOutageSec(c.evaluate.params, c.evaluate.params.state.baseBytes), 6);
  });
});
