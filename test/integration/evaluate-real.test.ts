import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { repoRoot } from '../../src/compose.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { expectExit } from '../support/khaos-cli.js';
import { khaos } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-evaluate-real-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A short scenario: khaos+ (paced) against one static interval, one kill each, replicas one after another. */
const scenario = {
  stack: { name: 'it-evaluate', heartbeatTimeout: '5s' },
  job: { kind: 'iot', checkpointInterval: '5s' },
  replay: { trace: 'nyc_taxi.csv', peakRateEps: 1500, compression: 300, startOffset: '50400s', duration: '45s', seed: 7 },
  control: {
    samples: path.join(repoRoot, 'examples', 'samples-iot-local-SIMULATED.csv'), fallbackInterval: '120s', latencyTarget: '1500ms', recoveryTarget: '15s',
    window: '15s', evaluateEvery: '5s', afterChange: '5s', minUptime: '10s', candidateMin: '1s', candidateMax: '10s', candidateStep: '500ms', minChange: '1s',
    maxChanges: 20, rateWindow: '300s', forecastHorizon: '30s', forecastHistory: '60s', recoveryTimeout: '60s',
  },
  evaluate: { policies: ['khaos+'], staticIntervals: ['3s'], real: { kills: ['20s'], drain: '15s', warmup: '10s', repeats: 1 } },
};

describe('khaos evaluate on the local stack', () => {
  it('runs each policy on a real replica with the same kill after a warm-up, measures it, predicts it in the simulator, and leaves no process', async () => {
    const config = path.join(dir, 'evaluate.yaml');
    fs.writeFileSync(config, YAML.stringify(scenario));
    const out = path.join(dir, 'out');
    const r = await khaos(['evaluate', '--config', config, '--json', '--out', out]);
    expectExit(r, 0);
    expect(r.out).toContain('stack down: no process left');

    const json = JSON.parse(fs.readFileSync(path.join(out, 'evaluate.json'), 'utf8')) as { policies: Record<string, unknown>[] };
    expect(json.policies.map((p) => p.name)).toEqual(['khaos+', 'static:3s']);
    for (const p of json.policies) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['name', 'latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS', 'violationSeconds', 'lost', 'duplicated', 'runs']));
      expect(p).toMatchObject({ failures: 1, lost: 0, duplicated: 0, reconfigurationDowntimeS: 0, runs: 1 });
      expect(p.meanRecoveryS).toBeGreaterThan(0);
      expect(p.checkpointOverhead).toBeGreaterThan(0);
    }
    expect(json.policies[1]!.reconfigurations).toBe(0);

    const runs = JSON.parse(fs.readFileSync(path.join(out, 'runs.json'), 'utf8')) as RealRunRecord[];
    for (const run of runs) {
      // The same replay and the same kill time for both: 20 s after the 10 s warm-up.
      expect(run.scheduleEps).toEqual(runs[0]!.scheduleEps);
      expect(run).toMatchObject({ warmupSec: 10, run: 1 });
      expect((run.failures[0]!.injectedAtMs - run.replayStartMs) / 1000).toBeGreaterThanOrEqual(30);
      expect((run.failures[0]!.injectedAtMs - run.replayStartMs) / 1000).toBeLessThan(33);
      expect(run.samples.length).toBeGreaterThan(50);
      expect(run.checkpoints.length).toBeGreaterThan(3);
    }
    // The static interval ran at its own interval: its checkpoints are about 3 s apart.
    const st = runs[1]!.checkpoints.filter((c) => c.jobId === runs[1]!.checkpoints[0]!.jobId);
    const gaps = st.slice(1).map((c, i) => c.triggeredAtMs - st[i]!.triggeredAtMs);
    expect(gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]).toBeCloseTo(3000, -3);

    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(fs.existsSync(path.join(out, 'plan.json'))).toBe(true);
    for (const section of ['## Input rate', '## Checkpoint interval over time', '## Repeats: median and spread', '## Paired differences by run', '## Latency against its target', '## Failures and recoveries against the recovery target', '## Violations', '## Simulation against measurement'])
      expect(report).toContain(section);
    for (const f of ['input-rate.svg', 'intervals.svg', 'recoveries.svg', 'latency-khaos-plus.svg', 'latency-static-3s.svg']) expect(fs.existsSync(path.join(out, f))).toBe(true);
  }, 600_000);
});
