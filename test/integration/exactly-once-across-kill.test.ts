import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/app/demo.js';
import { demoDeps, loadTrace } from '../../src/compose.js';
import { fileStack, progress } from './helpers.js';

const stackOf = fileStack('kill');

describe('a TaskManager killed mid-run (real Flink and Kafka)', () => {
  it('recovers from a checkpoint and counts every input event exactly once', async () => {
    const stack = stackOf();
    const deps = demoDeps(stack, progress);
    try {
      const r = await runDemo(deps, {
        job: 'iot', trace: loadTrace('nyc_taxi.csv'), seed: 7, checkpointIntervalMs: 3000, parallelism: 2, partitions: 4,
        peakRateEps: 800, compression: 600, startOffsetSec: 36_000, durationSec: 60, failAtSec: 25, failure: 'kill', freezeMs: 0,
        recoveryTimeoutMs: 120_000,
      });
      expect(r.failure?.type).toBe('kill');
      expect(r.timeline?.detectedAtMs).toBeDefined();
      expect(r.timeline?.runningAtMs).toBeGreaterThan(r.timeline!.detectedAtMs!);
      expect(r.timeline?.recoveredAtMs).toBeDefined();
      expect(r.restoredCheckpointId).toBeGreaterThan(0);
      expect(r.replay.producedTotal).toBeGreaterThan(20_000);
      expect(r.reconciliation).toMatchObject({ ok: true, countedTotal: r.replay.producedTotal, duplicateWindows: 0 });
    } finally {
      await deps.bus.close();
    }
  });
});
