import { describe, expect, it } from 'vitest';
import { applyCommand, expireOverride, operatorDecision, type OperatorState } from '../../src/core/control/operator.js';

const free: OperatorState = { paused: false, dryRun: false };

describe("a person's commands to a controller (pure)", () => {
  it('refuses what cannot be obeyed, naming why, and leaves the state as it was', () => {
    expect(applyCommand(free, { kind: 'dry-run', on: false }, 10, 5000, true)).toMatchObject({ state: free, refused: expect.stringMatching(/started in dry-run/) });
    expect(applyCommand(free, { kind: 'override', intervalMs: 2000, untilMs: 10 }, 10, 5000, false)).toMatchObject({ state: free, refused: expect.stringMatching(/already past/) });
    expect(applyCommand(free, { kind: 'override', intervalMs: 0, untilMs: 99 }, 10, 5000, false).refused).toMatch(/whole number of ms above 0, got 0/);
  });

  it('an override holds until its expiry, over a pause; a resume clears both', () => {
    const s = applyCommand(applyCommand(free, { kind: 'pause' }, 0, 5000, false).state, { kind: 'override', intervalMs: 2000, untilMs: 100 }, 0, 5000, false).state;
    expect(operatorDecision(s, 5000)).toMatchObject({ action: 'change', toIntervalMs: 2000 });
    expect(operatorDecision(s, 2000)).toMatchObject({ action: 'wait', reason: expect.stringMatching(/held at 2000 ms/) });
    const after = expireOverride(s, 100);
    expect(after.expired).toBe(true);
    expect(operatorDecision(after.state, 2000)).toMatchObject({ action: 'wait', reason: 'control paused by a person' });
    expect(operatorDecision(applyCommand(s, { kind: 'resume' }, 1, 2000, false).state, 2000)).toBeUndefined();
  });
});
