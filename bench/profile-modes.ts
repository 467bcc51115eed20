/**
 * The same small profile plan in the three injection modes on the real local stack: side by side
 * (every replica broken at once), staggered (one after another on the same replay, each once the
 * previous recovered) and one at a time (each replica alone, its own replay). Per mode: wall time
 * (stack start included), failures per hour of step time, and recovery medians per interval.
 * Each mode starts its own stack and tears it down. About 15 min on 2 cores.
 * Run: npx tsx bench/profile-modes.ts [side-by-side,staggered,one-at-a-time]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteProfileStore } from '../src/adapters/sqlite/sqlite-profile-store.js';
import { runProfile } from '../src/app/profile.js';
import { resolveConfig } from '../src/config/schema.js';
import { localPlatform, loadTrace, startLocalStack } from '../src/compose.js';
import { checkPlan, profileSummary } from '../src/core/profiling/profile-plan.js';
import type { InjectionMode, ProfilePlan } from '../src/core/profiling/profile-records.js';
import { report, stats } from './lib.js';

const modes = (process.argv[2] ?? 'side-by-side,staggered,one-at-a-time').split(',') as InjectionMode[];
// bench/parallel-speedup.ts's plan, so its side-by-side and one-at-a-time figures compare.
const plan: ProfilePlan = checkPlan({
  job: 'iot', intervalsMs: [2000, 5000, 8000], repetitions: 1, failure: 'kill', freezeMs: 0, timing: 'before-checkpoint', leadMs: 500, parallelism: 1, seed: 3,
  points: [{ index: 0, traceOffsetSec: 43_200, level: 0, rate: 0 }, { index: 1, traceOffsetSec: 68_400, level: 0, rate: 0 }],
  replay: { trace: 'nyc_taxi.csv', peakRateEps: 3000, compression: 300, beforeSec: 20, afterSec: 40 }, sustainSec: 3, recoveryTimeoutMs: 40_000,
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-modes-'));
const trace = loadTrace(plan.replay.trace);

async function timed(mode: InjectionMode) {
  const t0 = Date.now();
  const id = `modes-${mode}`;
  const stack = await startLocalStack(resolveConfig({ stack: { name: `bench-${mode}` } }), () => undefined, true);
  const store = new SqliteProfileStore(path.join(dir, `${mode}.db`));
  const deps = { ...localPlatform(stack, (l) => console.log(`[${mode}] ${l}`)), store };
  try {
    const p = { ...plan, injection: mode };
    store.createProfile({ id, createdAtMs: Date.now(), status: 'running', plan: p, provenance: { config: {}, flinkVersion: '2.2.1', jobJarSha256: '', clock: 'system', timeScaling: { compression: plan.replay.compression } } });
    const stackMs = Date.now() - t0;
    const outcome = await runProfile(deps, id, trace);
    const ms = store.measurements(id);
    const byInterval: Record<number, number[]> = {};
    for (const m of ms) if (m.outcome === 'recovered' && m.recoverySec !== null) (byInterval[m.ciMs] ??= []).push(Number(m.recoverySec.toFixed(2)));
    const summary = profileSummary(p, store.steps(id), ms);
    return {
      mode, outcome, wallMs: Date.now() - t0, stackMs, failures: ms.length, timeouts: summary.timeouts,
      stepWallSec: summary.wallSec, failuresPerHour: summary.failuresPerHour,
      recoverySecByIntervalMs: byInterval,
      medianRecoverySecByIntervalMs: Object.fromEntries(Object.entries(byInterval).map(([ci, xs]) => [ci, stats(xs).median])),
      recoverySec: stats(Object.values(byInterval).flat()),
    };
  } finally {
    await deps.bus.close();
    store.close();
    await stack.down();
  }
}

const runs = [];
for (const mode of modes) runs.push(await timed(mode));
fs.rmSync(dir, { recursive: true, force: true });
report(
  'profile-modes',
  { modes, intervalsMs: plan.intervalsMs, points: plan.points.length, repetitions: plan.repetitions, replay: plan.replay, cores: os.availableParallelism(), note: 'each mode starts its own stack (Kafka + replicas) and tears it down; wallMs includes that, stepWallSec is the steps alone (one-at-a-time starts a replica per turn inside its steps)' },
  runs,
);
