/**
 * Wall time of one profile plan run with M replicas at once versus the same plan run one replica
 * (one interval) at a time, on the real local stack. Run: npx tsx bench/parallel-speedup.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteProfileStore } from '../src/adapters/sqlite/sqlite-profile-store.js';
import { runProfile } from '../src/app/profile.js';
import { resolveConfig } from '../src/config/schema.js';
import { localPlatform, loadTrace, startLocalStack } from '../src/compose.js';
import { checkPlan } from '../src/core/profiling/profile-plan.js';
import type { ProfilePlan } from '../src/core/profiling/profile-records.js';
import { report, stats } from './lib.js';

const intervalsMs = [2000, 5000, 8000];
const base: Omit<ProfilePlan, 'intervalsMs'> = {
  job: 'iot', repetitions: 1, failure: 'kill', freezeMs: 0, timing: 'before-checkpoint', leadMs: 500, parallelism: 1, seed: 3,
  points: [{ index: 0, traceOffsetSec: 43_200, level: 0, rate: 0 }, { index: 1, traceOffsetSec: 68_400, level: 0, rate: 0 }],
  replay: { trace: 'nyc_taxi.csv', peakRateEps: 3000, compression: 300, beforeSec: 20, afterSec: 40 }, sustainSec: 3, recoveryTimeoutMs: 40_000,
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-speedup-'));
const trace = loadTrace('nyc_taxi.csv');

interface Run {
  wallMs: number;
  startMs: number;
  failures: number;
  /** Recovery time of each recovered failure, s, by checkpoint interval; timeouts counted apart. */
  recoverySecByIntervalMs: Record<number, number[]>;
  timeouts: number;
}

async function timed(name: string, intervals: number[]): Promise<Run> {
  const t0 = Date.now();
  const stack = await startLocalStack(resolveConfig({ stack: { name: `bench-${name}` } }), () => undefined, true);
  const store = new SqliteProfileStore(path.join(dir, `${name}.db`));
  const deps = { ...localPlatform(stack, (l) => console.log(`[${name}] ${l}`)), store };
  try {
    store.createProfile({ id: name, createdAtMs: Date.now(), status: 'running', plan: checkPlan({ ...base, intervalsMs: intervals }), provenance: { config: {}, flinkVersion: '2.2.1', jobJarSha256: '', clock: 'system', timeScaling: { compression: 300 } } });
    const startMs = Date.now() - t0;
    await runProfile(deps, name, trace);
    const ms = store.measurements(name);
    const recoverySecByIntervalMs: Record<number, number[]> = {};
    for (const m of ms) if (m.recoverySec !== null && m.outcome === 'recovered') (recoverySecByIntervalMs[m.ciMs] ??= []).push(Number(m.recoverySec.toFixed(2)));
    return { wallMs: Date.now() - t0, startMs, failures: ms.length, recoverySecByIntervalMs, timeouts: ms.filter((m) => m.outcome !== 'recovered').length };
  } finally {
    await deps.bus.close();
    store.close();
    await stack.down();
  }
}

const parallel = await timed('parallel', intervalsMs);
const sequential = [];
for (const ci of intervalsMs) sequential.push(await timed(`single-${ci}`, [ci]));
const seqWall = sequential.reduce((a, s) => a + s.wallMs, 0);
const recoveries = (runs: Run[]) => stats(runs.flatMap((r) => Object.values(r.recoverySecByIntervalMs).flat()));
fs.rmSync(dir, { recursive: true, force: true });
report(
  'parallel-speedup',
  { intervalsMs, points: base.points.length, replay: base.replay, note: 'each run starts its own stack (Kafka + replicas) and tears it down; wall time includes that' },
  { parallel, sequential, sequentialTotalMs: seqWall, speedup: seqWall / parallel.wallMs, replicas: intervalsMs.length, recoverySec: { sideBySide: recoveries([parallel]), oneAtATime: recoveries(sequential) } },
);
