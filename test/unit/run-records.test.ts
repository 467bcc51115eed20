import { describe, expect, it } from 'vitest';
import { decisionGaps, GAP_MIN_MS } from '../../src/app/control/run-records.js';

describe('gaps in a run’s records (the dashboard breaks its charts there)', () => {
  const every = (ms: number, n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i * ms);

  it('finds a stretch with no decision over three times the median spacing', () => {
    const times = [...every(10_000, 10), ...every(10_000, 10, 90_000 + 600_000)];
    expect(decisionGaps(times)).toEqual([{ fromMs: 90_000, toMs: 690_000 }]);
  });

  it('none in regular records, none from fewer than three decisions, and never under a minute', () => {
    expect(decisionGaps(every(300_000, 20))).toEqual([]);
    expect(decisionGaps([0, 10_000_000])).toEqual([]);
    // Decisions a second apart: a 50 s pause is not a gap (under GAP_MIN_MS), a 70 s one is.
    expect(decisionGaps([...every(1000, 5), 54_000, 55_000])).toEqual([]);
    expect(decisionGaps([...every(1000, 5), 4000 + GAP_MIN_MS + 1000, 5000 + GAP_MIN_MS + 1000])).toEqual([{ fromMs: 4000, toMs: 4000 + GAP_MIN_MS + 1000 }]);
  });
});
