import { describe, expect, it } from 'vitest';
import { pacerSleepMs } from '../../src/app/control/loop.js';

const pacer = (intervalMs: number, dueAtMs?: number) => ({ intervalMs: () => intervalMs, dueAtMs: () => dueAtMs });

describe('pacerSleepMs: how long the paced actuator sleeps between ticks', () => {
  it('sleeps until the checkpoint is due, at most the cap', () => {
    expect(pacerSleepMs({ kind: 'waiting', why: 'not due', dueAtMs: 1120 }, pacer(5000, 1120), 1000, 250)).toBe(120);
    expect(pacerSleepMs({ kind: 'waiting', why: 'not due', dueAtMs: 9000 }, pacer(5000, 9000), 1000, 250)).toBe(250);
  });

  it('polls at a twentieth of the interval, not in a tight loop, while a checkpoint is in flight (due time already past)', () => {
    // Before: max(10, due - now) = 10 ms, i.e. 100 REST calls a second per job for the whole checkpoint.
    expect(pacerSleepMs({ kind: 'waiting', why: 'triggered checkpoint in flight' }, pacer(2000, 500), 1000, 250)).toBe(100);
    expect(pacerSleepMs({ kind: 'waiting', why: 'a checkpoint is in flight' }, pacer(60_000, 500), 1000, 250)).toBe(250);
    expect(pacerSleepMs({ kind: 'waiting', why: 'a checkpoint is in flight' }, pacer(500, 500), 1000, 250)).toBe(50);
  });

  it('polls the same way before the first checkpoint is seen (no due time yet)', () => {
    expect(pacerSleepMs({ kind: 'waiting', why: 'no RUNNING job' }, pacer(4000), 1000, 250)).toBe(200);
  });
});
