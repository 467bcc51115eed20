import { describe, expect, it } from 'vitest';
import { KhaosError } from '../../src/core/errors.js';
import { failureSchedules } from '../../src/core/sim/failures.js';

const kindOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof KhaosError ? `${e.kind}: ${e.message}` : String(e);
  }
  return undefined;
};

describe('failureSchedules', () => {
  it('draws sorted failures at least the spacing apart and from either end', () => {
    const L = 86_400;
    const schedules = failureSchedules(L, 20, 12, 3_600, 42);
    expect(schedules).toHaveLength(20);
    for (const s of schedules) {
      expect(s).toHaveLength(12);
      expect(s[0]!.atSec).toBeGreaterThanOrEqual(3_600);
      expect(s.at(-1)!.atSec).toBeLessThanOrEqual(L - 3_600);
      for (let i = 1; i < s.length; i++) expect(s[i]!.atSec - s[i - 1]!.atSec).toBeGreaterThanOrEqual(3_600 - 1e-9);
      for (const f of s) expect(f.type).toBe('kill');
    }
    // Not all the same: the draws spread over the slack (here 86 400 − 13 · 3 600 = 39 600 s).
    expect(new Set(schedules.map((s) => s[0]!.atSec)).size).toBeGreaterThan(15);
  });

  it('gives the same schedules for the same seed and others for another seed', () => {
    expect(failureSchedules(604_800, 5, 12, 1_800, 7)).toEqual(failureSchedules(604_800, 5, 12, 1_800, 7));
    expect(failureSchedules(604_800, 5, 12, 1_800, 7)).not.toEqual(failureSchedules(604_800, 5, 12, 1_800, 8));
    expect(failureSchedules(7_200, 1, 2, 600, 1, 'freeze')[0]!.map((f) => f.type)).toEqual(['freeze', 'freeze']);
  });

  it('fits exactly when the trace has no slack left', () => {
    expect(failureSchedules(4_000, 2, 3, 1_000, 1)).toEqual([
      [{ atSec: 1_000, type: 'kill' }, { atSec: 2_000, type: 'kill' }, { atSec: 3_000, type: 'kill' }],
      [{ atSec: 1_000, type: 'kill' }, { atSec: 2_000, type: 'kill' }, { atSec: 3_000, type: 'kill' }],
    ]);
  });

  it('rejects a schedule that cannot fit the trace, saying what would', () => {
    const message = kindOf(() => failureSchedules(86_400, 3, 24, 3_600, 1));
    expect(message).toContain('bad-input');
    expect(message).toContain('24 failure(s) at least 3600 s apart and 3600 s from either end need a trace of 90000 s; this one is 86400 s');
    let hint: string | undefined;
    try {
      failureSchedules(86_400, 3, 24, 3_600, 1);
    } catch (e) {
      hint = (e as KhaosError).hint;
    }
    expect(hint).toContain('at most 23 failures per schedule');
  });

  it('rejects arguments out of range', () => {
    expect(kindOf(() => failureSchedules(0, 1, 1, 10, 1))).toMatch(/bad-input: .*trace length must be a positive number/);
    expect(kindOf(() => failureSchedules(1000, 0, 1, 10, 1))).toMatch(/number of schedules must be a whole number ≥ 1, got 0/);
    expect(kindOf(() => failureSchedules(1000, 1, 1.5, 10, 1))).toMatch(/failures per schedule must be a whole number ≥ 1, got 1.5/);
    expect(kindOf(() => failureSchedules(1000, 1, 1, -10, 1))).toMatch(/minimum spacing must be a positive number/);
    expect(kindOf(() => failureSchedules(1000, 1, 1, 10, 0.5))).toMatch(/seed must be a whole number/);
    expect(kindOf(() => failureSchedules(1000, 1, 1, 10, 1, 'meteor' as never))).toMatch(/unknown failure type "meteor"/);
  });
});
