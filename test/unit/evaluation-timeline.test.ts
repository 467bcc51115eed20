import { describe, expect, it } from 'vitest';
import { intervalSteps, levelChanges, measuredTimeline, simulatedTimeline } from '../../src/core/evaluation/timeline.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';

describe('an evaluation’s timeline (the reports’ interval plots and the dashboard’s Evaluations page)', () => {
  it('turns the simulator’s interval per second into its changes, and draws each level from its start to the next', () => {
    expect(levelChanges([30_000, 30_000, 10_000, 10_000, 10_000, 20_000])).toEqual([{ atSec: 0, intervalMs: 30_000 }, { atSec: 2, intervalMs: 10_000 }, { atSec: 5, intervalMs: 20_000 }]);
    expect(levelChanges([])).toEqual([]);
    const t = simulatedTimeline([{ name: 'khaos+', intervalMs: [30_000, 30_000, 10_000, 10_000], failures: [{ atSec: 1, recoverySec: null }] }], 20);
    expect(t).toMatchObject({ kind: 'simulated', recoveryTargetS: 20, runs: [{ name: 'khaos+', endSec: 4, failures: [{ atSec: 1, recoverySec: null }] }] });
    expect(intervalSteps(t.runs[0]!)).toEqual([[0, 30], [2, 30], [2, 10], [4, 10]]);
  });

  it('takes measured runs from the start of each replay, naming repeats #k', () => {
    const t0 = 1_000_000;
    const run = (k: number) => ({
      policy: 'khaos+', run: k, replayStartMs: t0, samples: [{ tMs: t0 + 90_000, state: 'RUNNING' }],
      intervals: [{ atMs: t0, intervalMs: 30_000 }, { atMs: t0 + 60_000, intervalMs: 15_000 }],
      failures: [{ injectedAtMs: t0 + 30_000, recoverySec: 12.5 }],
    }) as unknown as RealRunRecord;
    const t = measuredTimeline([run(1), run(2)], 2, 20);
    expect(t.runs.map((r) => r.name)).toEqual(['khaos+ #1', 'khaos+ #2']);
    expect(t.runs[0]).toMatchObject({ policy: 'khaos+', endSec: 90, intervals: [{ atSec: 0, intervalMs: 30_000 }, { atSec: 60, intervalMs: 15_000 }], failures: [{ atSec: 30, recoverySec: 12.5 }] });
    expect(intervalSteps(t.runs[0]!)).toEqual([[0, 30], [60, 30], [60, 15], [90, 15]]);
    expect(measuredTimeline([run(1)], 1, 20).runs[0]!.name).toBe('khaos+');
  });
});
