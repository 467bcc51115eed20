import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { runProfile } from '../../src/app/profile.js';
import { localPlatform, loadTrace } from '../../src/compose.js';
import { checkPlan } from '../../src/core/profiling/profile-plan.js';
import { progress, testStack } from './helpers.js';

let stack: LocalStack;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-profile-it-'));
beforeAll(async () => {
  stack = await testStack('profile');
});
afterAll(async () => {
  await stack?.down();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a profile on the real local stack (2 intervals in parallel, 1 point)', () => {
  it('injects into every replica before its next checkpoint, measures the recovery and stores it in SQLite', async () => {
    const store = new SqliteProfileStore(path.join(dir, 'khaos.db'));
    const deps = { ...localPlatform(stack, progress), store };
    try {
      const plan = checkPlan({
        job: 'iot', intervalsMs: [2000, 6000], points: [{ index: 0, traceOffsetSec: 64_800, level: 20_000, rate: 20_000 }], repetitions: 1,
        failure: 'kill', freezeMs: 0, timing: 'before-checkpoint', leadMs: 400, parallelism: 1, seed: 1,
        replay: { trace: 'nyc_taxi.csv', peakRateEps: 1000, compression: 300, beforeSec: 20, afterSec: 60 }, sustainSec: 3, recoveryTimeoutMs: 60_000,
      });
      store.createProfile({ id: 'it1', createdAtMs: Date.now(), status: 'running', plan, provenance: { config: {}, flinkVersion: '2.2.1', jobJarSha256: 'x', clock: 'system', timeScaling: { compression: 300 } } });
      expect(await runProfile(deps, 'it1', loadTrace('nyc_taxi.csv'), { onProgress: (p) => p.second % 10 === 0 && progress(JSON.stringify(p.phases)) })).toBe('done');
      const ms = store.measurements('it1');
      expect(ms.map((m) => m.ciMs).sort()).toEqual([2000, 6000]);
      for (const m of ms) {
        expect(m.outcome).toBe('recovered');
        expect(m.recoverySec).toBeGreaterThan(0);
        expect(m.detectionSec).toBeGreaterThanOrEqual(0);
        expect(m.throughputEps).toBeGreaterThan(100);
        expect(m.latencyMs).toBeGreaterThan(0);
        expect(m.restoredCheckpointId).toBeGreaterThan(0);
        // injected before the next checkpoint, within 300 ms of the plan
        expect(m.plannedLeadMs).toBe(400);
        expect(Math.abs(m.actualLeadMs! - m.plannedLeadMs!)).toBeLessThan(300);
      }
      expect(store.getProfile('it1')?.status).toBe('done');
    } finally {
      await deps.bus.close();
      store.close();
    }
  });
});
