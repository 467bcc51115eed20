import { describe, expect, it } from 'vitest';
import { figures, pairedDifferences, referencePolicy, summariseRepeats } from '../../src/core/evaluation/real-repeats.js';

/** A per-run row with a nested figure and a field the aggregation was never told about. */
const row = (name: string, share: number, recovery: number | null, total: number, lost = 0) => ({
  name, latencyViolationShare: share, meanRecoveryS: recovery, violationSeconds: { latency: total - 1, recovery: 1, total }, someNewFigure: share * 2, lost, verdict: 'text',
});

describe('repeats of a real evaluation', () => {
  it('every numeric leaf is a figure, nested ones by their dotted path; text is not', () => {
    expect(figures([row('a', 0.1, 5, 10), row('a', 0.2, null, 12)]).map(([k]) => k)).toEqual(['latencyViolationShare', 'meanRecoveryS', 'violationSeconds.latency', 'violationSeconds.recovery', 'violationSeconds.total', 'someNewFigure', 'lost']);
  });

  it('per policy: medians of every figure (fields it does not know included), min–max, defect counts totalled', () => {
    const s = summariseRepeats([row('a', 0.1, 5, 10), row('a', 0.3, null, 30, 2), row('a', 0.2, 7, 20)]);
    expect(s).toEqual({
      name: 'a', latencyViolationShare: 0.2, meanRecoveryS: 6, violationSeconds: { latency: 19, recovery: 1, total: 20 }, someNewFigure: 0.4, lost: 2, verdict: 'text', runs: 3,
      spread: {
        latencyViolationShare: { min: 0.1, max: 0.3 }, meanRecoveryS: { min: 5, max: 7 }, violationSeconds: { latency: { min: 9, max: 29 }, recovery: { min: 1, max: 1 }, total: { min: 10, max: 30 } },
        someNewFigure: { min: 0.2, max: 0.6 }, lost: { min: 0, max: 2 },
      },
    });
    expect(summariseRepeats([row('a', 0.1, 5, 10)])).toEqual({ ...row('a', 0.1, 5, 10), runs: 1 });
  });

  it('paired by run index: reference minus the other, run k against run k, beyond the run-to-run spread or not', () => {
    const ref = [{ run: 2, row: row('khaos+', 0.1, 5, 10) }, { run: 1, row: row('khaos+', 0.12, 6, 11) }, { run: 3, row: row('khaos+', 0.11, 5, 30) }];
    const other = [{ run: 1, row: row('static:5s', 0.32, 6, 12) }, { run: 2, row: row('static:5s', 0.3, 5, 10) }, { run: 3, row: row('static:5s', 0.31, 5, 29) }];
    const p = pairedDifferences({ name: 'khaos+', runs: ref }, { name: 'static:5s', runs: other });
    expect(p.figures.map((f) => f.figure)).not.toContain('run');
    expect(p.runs).toEqual([1, 2, 3]);
    const share = p.figures.find((f) => f.figure === 'latencyViolationShare')!;
    expect(share.perRun.map((x) => Math.round(x! * 100) / 100)).toEqual([-0.2, -0.2, -0.2]);
    // 0.2 apart, each varying by 0.02 on its own: beyond the noise.
    expect(share.exceedsSpread).toBe(true);
    const total = p.figures.find((f) => f.figure === 'violationSeconds.total')!;
    // −1, 0, +1 against spreads of 20 and 19: within the noise.
    expect(total).toMatchObject({ perRun: [-1, 0, 1], median: 0, min: -1, max: 1, referenceSpread: 20, otherSpread: 19, exceedsSpread: false });
    // The run index k pairs, not the order of the lists; a run only one of them has is left out.
    const one = pairedDifferences({ name: 'khaos+', runs: ref.slice(0, 1) }, { name: 'static:5s', runs: other });
    expect(one.runs).toEqual([2]);
    expect(one.figures.find((f) => f.figure === 'latencyViolationShare')!.exceedsSpread).toBeNull();
  });

  it('the reference is khaos+ when listed, else its first variant, else the first policy', () => {
    expect(referencePolicy(['static:5s', 'khaos+@restart', 'khaos+'])).toBe('khaos+');
    expect(referencePolicy(['static:5s', 'khaos+@restart'])).toBe('khaos+@restart');
    expect(referencePolicy(['khaos', 'static:5s'])).toBe('khaos');
  });
});
