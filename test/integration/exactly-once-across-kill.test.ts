import { describe, expect, it } from 'vitest';
import { runDemo, type DemoOptions } from '../../src/app/demo.js';
import { builtInJob } from '../../src/core/jobs.js';
import { localPlatform, loadTrace } from '../../src/compose.js';
import { fileStack, progress } from './helpers.js';

const stackOf = fileStack('kill');

/** Per job: the run, and the least it must produce. The dedup run is shorter (CI budget) and checks its main output too. */
const CASES: { job: DemoOptions['job']; durationSec: number; failAtSec: number; minEvents: number }[] = [
  { job: builtInJob('iot'), durationSec: 60, failAtSec: 25, minEvents: 20_000 },
  { job: builtInJob('dedup'), durationSec: 40, failAtSec: 15, minEvents: 10_000 },
];

describe('a TaskManager killed mid-run (real Flink and Kafka)', () => {
  it.each(CASES)('$job.name: recovers from a checkpoint and counts every input event exactly once', async ({ job, durationSec, failAtSec, minEvents }) => {
    const stack = stackOf();
    const deps = localPlatform(stack, progress);
    try {
      const r = await runDemo(deps, {
        job, trace: loadTrace('nyc_taxi.csv'), seed: 7, checkpointIntervalMs: 3000, parallelism: 2, partitions: 4,
        peakRateEps: 800, compression: 600, startOffsetSec: 36_000, durationSec, failAtSec, failure: 'kill', freezeMs: 0,
        recoveryTimeoutMs: 120_000,
      });
      expect(r.failure?.type).toBe('kill');
      expect(r.timeline?.detectedAtMs).toBeDefined();
      expect(r.timeline?.runningAtMs).toBeGreaterThan(r.timeline!.detectedAtMs!);
      expect(r.timeline?.recoveredAtMs).toBeDefined();
      expect(r.restoredCheckpointId).toBeGreaterThan(0);
      expect(r.replay.producedTotal).toBeGreaterThan(minEvents);
      expect(r.reconciliation).toMatchObject({ ok: true, countedTotal: r.replay.producedTotal, duplicateWindows: 0 });
      if (job.name === 'dedup') {
        // About a fifth of the events repeat an id (DEDUP_DEFAULTS.repeatShare): each distinct id comes out once.
        expect(r.firstOccurrences).toMatchObject({ ok: true, missing: 0, duplicated: 0, unexpected: 0 });
        expect(r.firstOccurrences!.expected).toBeLessThan(r.replay.producedTotal * 0.9);
      } else {
        expect(r.firstOccurrences).toBeUndefined();
      }
    } finally {
      await deps.bus.close();
      // The next case runs alone on the machine.
      await stack.stopReplica(`${job}-1`).catch(() => undefined);
    }
  });
});
