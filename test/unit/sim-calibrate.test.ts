import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { physicalLatencyMs, physicalRecoverySec } from '../../src/core/models/regression.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import { calibrate, leaves, parseRunsJson, type SampleSource } from '../../src/core/sim/calibrate.js';
import { DEFAULT_FLUID_PARAMS, downtimeSec, reconfigurationOutageSec } from '../../src/core/sim/fluid-params.js';

const near = (actual: number, expected: number, rel = 0.05) => expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(rel);

/** SIMULATED samples from the physics with known parameters, 2 % noise, failures at random phases (φ = 0.5). */
const KNOWN = { capacityEps: 8000, detectionSec: 2, restartSec: 6, phi: 0.5, latency: { baseMs: 150, perCiMs: 0.004, queueMsEps: 400_000 } };
const simulated = (n = 60): SampleSource => ({
  name: 'samples:simulated.csv',
  failure: 'kill',
  phi: 0.5,
  samples: simulateSamples({ ...DEFAULT_SIMULATION, ...KNOWN, ciMs: [10_000, 30_000, 60_000], minThroughputEps: 1000, maxThroughputEps: 7000, loadLevels: 10, relativeNoise: 0.02 }, n, seededRandom(3)),
});

/** A real-stack run built from known physics: capacity 5000, detection 1.5 s, restart 5 s, checkpoints 300 ms + size / 50 MB/s, savepoints 800 ms + the same, relaunch 5 s. */
function syntheticRun(job: 'iot' | 'ysb' = 'iot'): RealRunRecord {
  const cap = 5000;
  const bw = 50e6;
  const base = 3.5e6;
  const intervals = [{ atMs: 0, intervalMs: 10_000 }, { atMs: 300_000, intervalMs: 20_000 }];
  const ciAt = (t: number) => (t < 300_000 ? 10_000 : 20_000);
  const latency = { capacityEps: cap, baseMs: 200, perCiMs: 0.01, queueMsEps: 500_000 };
  return {
    policy: 'khaos+@restart', job, replica: 'iot-1', mode: 'sequential', replayStartMs: 0, replayEndMs: 600_000,
    scheduleEps: Array.from({ length: 600 }, () => 2000),
    samples: Array.from({ length: 600 }, (_, t) => {
      const inputEps = 1000 + 3000 * ((t % 50) / 50);
      return { tMs: t * 1000, state: 'RUNNING' as const, inputEps, latencyP99Ms: physicalLatencyMs(latency, inputEps, ciAt(t * 1000)), lag: 0 };
    }),
    intervals,
    failures: [100_000, 200_000, 400_000, 500_000].map((injectedAtMs, k) => ({
      injectedAtMs, type: 'kill' as const, taskManagerId: `tm-${k}`, detectionSec: 1.5, restartSec: 5, catchupSec: null,
      recoverySec: physicalRecoverySec({ capacityEps: cap, downtimeSec: 6.5, phi: 0.5 }, 2000, ciAt(injectedAtMs)),
    })),
    checkpoints: [
      ...[1, 2, 3, 4, 5, 6].map((k) => ({ id: k, jobId: 'j', triggeredAtMs: k * 10_000, durationMs: 300 + (1000 * k * 1e6) / bw, stateBytes: k * 1e6, savepoint: false })),
      ...[1, 2, 3].map((k) => ({ id: 10 + k, jobId: 'j', triggeredAtMs: k * 50_000, durationMs: 800 + (1000 * 2e6) / bw, stateBytes: 2e6, savepoint: true })),
    ],
    checkpointsCompleted: 6,
    changes: [150_000, 250_000, 450_000].map((atMs) => ({ atMs, fromMs: 10_000, toMs: 20_000, outageMs: 800 + (1000 * base) / bw + 5000 + (1000 * base) / 100e6 })),
    lost: 0,
    duplicated: 0,
  };
}

describe('calibrate', () => {
  it('recovers capacity, detection, restart and the latency equation from samples of the physics (within 5 %)', () => {
    const c = calibrate({ job: 'iot', samples: simulated() });
    near(c.params.capacityEps, KNOWN.capacityEps);
    near(c.params.detectionSec.kill, KNOWN.detectionSec);
    // Restart and restore are one measured phase: the model's restart plus its restore of the base state.
    near(downtimeSec(c.params, 'kill', c.params.state.baseBytes), KNOWN.detectionSec + KNOWN.restartSec);
    expect(c.fitted.restartSec!.note).toMatch(/less the restore of state.baseBytes/);
    near(c.params.latency.baseMs, KNOWN.latency.baseMs);
    near(c.params.latency.queueMsEps, KNOWN.latency.queueMsEps);
    near(c.params.latency.perCiMs, KNOWN.latency.perCiMs, 0.15); // a small term under 2 % noise
    expect(c.quality.recovery).toHaveLength(60);
    expect(c.quality.recoveryMape).toBeLessThan(0.05);
    expect(c.fitted.capacityEps).toMatchObject({ source: 'samples:simulated.csv', n: 60, note: expect.stringContaining('φ = 0.5') });
    expect(c.sources).toEqual(['samples:simulated.csv']);
  });

  it('fits the capacity a checkpoint takes when catch-ups ran with checkpoints in flight for very different shares of the time, and not otherwise', () => {
    // SIMULATED catch-ups of a job whose full checkpoints take 2 s: in flight all the time at a 1 s
    // interval, 20 % at 10 s, 7 % at 30 s; capacity 16,000 ev/s, of which a checkpoint takes 30 %.
    const cap = 16_000;
    const loss = 0.3;
    const share = (ciMs: number) => 2000 / Math.max(ciMs, 2000);
    const samples = [1000, 10_000, 30_000].flatMap((ciMs) =>
      [4000, 8000, 11_000].map((throughputEps) => ({
        ciMs, throughputEps, detectionSec: 1.5, restartSec: 5.5, stateBytes: 200e6, checkpointMs: 2000,
        recoverySec: physicalRecoverySec({ capacityEps: cap * (1 - loss * share(ciMs)), downtimeSec: 7, phi: 1 }, throughputEps, ciMs),
      })),
    );
    const source = (xs: typeof samples): SampleSource => ({ name: 'samples:full-checkpoints.csv', failure: 'kill', phi: 1, samples: xs });
    const c = calibrate({ job: 'dedup', samples: source(samples) });
    expect(c.params.checkpoint.capacityLoss).toBeCloseTo(loss, 5);
    near(c.params.capacityEps, cap, 0.01);
    expect(c.fitted['checkpoint.capacityLoss']).toMatchObject({ source: 'samples:full-checkpoints.csv', n: 9, note: expect.stringContaining('in flight 7–100 %') });
    expect(c.quality.recoveryMape).toBeLessThan(0.01);
    // Without the 1 s interval the shares span 7–20 %: the loss keeps its base value.
    const long = calibrate({ job: 'dedup', samples: source(samples.filter((x) => x.ciMs > 1000)) });
    expect(long.fitted['checkpoint.capacityLoss']).toMatchObject({ source: 'default', n: 0 });
    expect(long.params.checkpoint.capacityLoss).toBe(DEFAULT_FLUID_PARAMS.checkpoint.capacityLoss);
  });

  it('fits a state that grows with the input (a retention), and a constant one where the input does not vary', () => {
    // 20 MB + 18 kB per event/s of input: the dedup job's 30 s × 600 B retention.
    const at = (throughputEps: number, ciMs: number) => ({ ciMs, throughputEps, recoverySec: 10 + throughputEps / 1000, stateBytes: 20e6 + 18_000 * throughputEps });
    const samples = [3600, 6900, 10_200].flatMap((eps) => [1000, 30_000].map((ci) => at(eps, ci)));
    const c = calibrate({ job: 'dedup', samples: { name: 'samples:retention.csv', failure: 'kill', phi: 1, samples } });
    near(c.params.state.baseBytes, 20e6, 1e-6);
    near(c.params.state.bytesPerEvent * c.params.state.windowSec, 18_000, 1e-6);
    expect(c.fitted['state.bytesPerEvent']).toMatchObject({ source: 'samples:retention.csv', n: 6, note: expect.stringContaining('18000 B per event/s') });
    const flat = calibrate({ job: 'dedup', samples: { name: 'samples:one-load.csv', failure: 'kill', phi: 1, samples: samples.filter((x) => x.throughputEps === 6900).concat(at(6900, 5000)) } });
    expect(flat.params.state.baseBytes).toBe(20e6 + 18_000 * 6900);
    expect(flat.fitted['state.bytesPerEvent']).toMatchObject({ source: 'default', n: 0 });
  });

  it('says "default" for every parameter without data, and keeps its base value', () => {
    const c = calibrate({ job: 'iot', samples: simulated(8) });
    for (const k of ['checkpoint.baseMs', 'checkpoint.bytesPerSec', 'checkpoint.capacityLoss', 'savepoint.baseMs', 'relaunchSec', 'detectionSec.freeze', 'state.baseBytes']) {
      expect(c.fitted[k], k).toMatchObject({ source: 'default', n: 0 });
    }
    expect(Object.keys(c.fitted)).toEqual(leaves(DEFAULT_FLUID_PARAMS).map(([k]) => k));
    expect(c.params.checkpoint).toEqual(DEFAULT_FLUID_PARAMS.checkpoint);
    expect(c.params.relaunchSec).toBe(DEFAULT_FLUID_PARAMS.relaunchSec);
    expect(c.fitted['restore.baseSec']!.note).toMatch(/within restartSec/);
  });

  it('keeps the default and says so when there are too few measurements for a parameter', () => {
    const s = simulated(8);
    const few: SampleSource = { ...s, samples: s.samples.map((x, i) => (i < 2 ? x : { ...x, detectionSec: undefined, restartSec: undefined })) };
    const c = calibrate({ job: 'iot', samples: few });
    expect(c.fitted['detectionSec.kill']).toEqual({ value: DEFAULT_FLUID_PARAMS.detectionSec.kill, source: 'default', n: 2, note: '2 measured, at least 3 needed' });
    expect(c.params.restartSec).toBe(DEFAULT_FLUID_PARAMS.restartSec);
  });

  it('fits checkpoint cost, savepoint, relaunch, capacity and latency from real-stack runs', () => {
    const c = calibrate({ job: 'iot', runs: [{ name: 'runs:out/runs.json', runs: [syntheticRun()] }] });
    const p = c.params;
    near(p.checkpoint.baseMs, 300, 1e-6);
    near(p.checkpoint.bytesPerSec, 50e6, 1e-6);
    near(p.savepoint.baseMs, 800, 1e-6);
    near(p.relaunchSec, 5, 1e-6);
    near(p.state.baseBytes, 3.5e6, 1e-9);
    near(downtimeSec(p, 'kill', p.state.baseBytes), 6.5, 1e-9);
    near(reconfigurationOutageSec(p, p.state.baseBytes), syntheticRun().changes[0]!.outageMs / 1000, 1e-9);
    near(p.capacityEps, 5000, 1e-4);
    near(p.latency.baseMs, 200, 1e-4);
    near(p.latency.perCiMs, 0.01, 1e-4);
    near(p.latency.queueMsEps, 500_000, 1e-4);
    expect(c.fitted['relaunchSec']).toMatchObject({ source: 'runs:out/runs.json', n: 3 });
    expect(c.fitted['checkpoint.bytesPerSec']).toMatchObject({ source: 'runs:out/runs.json', n: 6 });
    expect(c.quality.recoveryMape).toBeLessThan(1e-3);
  });

  it('pools a profile and runs, naming both', () => {
    const c = calibrate({ job: 'iot', samples: { ...simulated(), name: 'profile:p1', job: 'iot' }, runs: [{ name: 'runs:r.json', runs: [syntheticRun()] }] });
    expect(c.sources).toEqual(['profile:p1', 'runs:r.json']);
    expect(c.fitted['detectionSec.kill']).toMatchObject({ source: 'profile:p1 + runs:r.json', n: 64 });
  });

  it('refuses bad input with what to do', () => {
    const bad = (f: () => unknown, message: RegExp) => expect(f).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringMatching(message), hint: expect.any(String) }));
    bad(() => calibrate({ job: 'iot' }), /needs measurements/);
    bad(() => calibrate({ job: 'iot', samples: { ...simulated(), samples: [] } }), /no samples: samples:simulated.csv holds no recovered failure/);
    bad(() => calibrate({ job: 'ysb', samples: { ...simulated(), name: 'profile:p1', job: 'iot' } }), /profile:p1 measured job iot, not ysb/);
    bad(() => calibrate({ job: 'ysb', runs: [{ name: 'runs:r.json', runs: [syntheticRun()] }] }), /runs:r.json run 1 \(khaos\+@restart\) ran job iot, not ysb/);
    const s = simulated(8);
    bad(() => calibrate({ job: 'iot', samples: { ...s, samples: s.samples.map((x, i) => (i === 3 ? { ...x, recoverySec: Number.NaN } : x)) } }), /sample 4: recoverySec is NaN/);
    const run = syntheticRun();
    run.checkpoints[0]!.durationMs = Number.POSITIVE_INFINITY;
    bad(() => calibrate({ job: 'iot', runs: [{ name: 'runs:r.json', runs: [run] }] }), /checkpoint 1: durationMs is Infinity/);
    bad(() => parseRunsJson('{', 'r.json'), /runs r.json is not JSON/);
    bad(() => parseRunsJson('[{"job": "iot"}]', 'r.json'), /not an array of run records/);
    expect(parseRunsJson(JSON.stringify([syntheticRun()]), 'r.json')).toEqual([syntheticRun()]);
  });

  it('fits the measured 10-failure profile (test/fixtures/samples-measured-p20261124220731.csv) to sensible values', () => {
    const file = path.resolve(__dirname, '..', 'fixtures', 'samples-measured-p20261124220731.csv');
    const c = calibrate({ job: 'iot', samples: { name: `samples:${file}`, failure: 'kill', phi: 1, samples: parseSamplesCsv(fs.readFileSync(file, 'utf8'), file) } });
    const p = c.params;
    // Medians of the measured phases: detection 1.2–2.5 s, restart (with restore) 4–11 s.
    near(p.detectionSec.kill, 1.78, 0.01);
    near(p.restartSec, 9.49, 0.01);
    expect(p.capacityEps).toBeGreaterThan(3235); // above the highest throughput profiled
    expect(p.capacityEps).toBeLessThan(100_000);
    // The IoT job's state grows with its input too (0.09–2.4 MB from 2 to 3,235 ev/s): 0.55 MB + 318 B per event/s.
    near(p.state.baseBytes, 545_560, 0.001);
    near(p.state.bytesPerEvent * p.state.windowSec, 318.5, 0.01);
    expect(p.checkpoint.bytesPerSec).toBeGreaterThan(1e6);
    expect(p.latency.baseMs).toBeGreaterThan(500);
    expect(p.latency.baseMs).toBeLessThan(1500);
    expect(c.quality.recovery).toHaveLength(10);
    expect(c.quality.recoveryMape).toBeLessThan(0.6);
    expect(c.fitted['relaunchSec']!.source).toBe('default');
  });
});
