import { describe, expect, it } from 'vitest';
import { flinkDurationMs, healthCheckNotes, healthCheckWindow, specIntervalMs, upgradeModeOf, upgradeModeProblem } from '../../src/core/k8s/deployment.js';

describe('a FlinkDeployment Khaos controls but did not create', () => {
  it('reads the interval as Flink parses a duration; off when unset, 0 or unreadable', () => {
    expect(['600000', '10 min', '10min', '10 m', '600 s', '600000 ms', '1 h', '2 d', '60 seconds'].map(flinkDurationMs)).toEqual([600_000, 600_000, 600_000, 600_000, 600_000, 600_000, 3_600_000, 172_800_000, 60_000]);
    expect(['', '10 parsecs', '1.5 min', '-5 s', 'PT10M'].map(flinkDurationMs)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(specIntervalMs({ 'execution.checkpointing.interval': '60 s' })).toBe(60_000);
    expect(specIntervalMs({ 'execution.checkpointing.interval': '0' })).toBeUndefined();
    expect(specIntervalMs({})).toBeUndefined();
  });

  it('upgradeMode defaults to stateless, which the restart actuator refuses with the reason', () => {
    expect(upgradeModeOf(undefined)).toBe('stateless');
    expect(upgradeModeOf({ upgradeMode: 'last-state' })).toBe('last-state');
    expect(upgradeModeProblem('savepoint')).toBeUndefined();
    expect(upgradeModeProblem('last-state')).toBeUndefined();
    expect(upgradeModeProblem('stateless')).toMatch(/starts it from empty state/);
  });

  it('the operator’s checkpoint-progress window: off unless the health check is on; at least max(interval, timeout) × (tolerable + 2)', () => {
    const on = { 'kubernetes.operator.cluster.health-check.enabled': 'true' };
    expect(healthCheckWindow({}, 60_000).enabled).toBe(false);
    expect(healthCheckNotes({}, 60_000)).toEqual([]);
    // A 60 s interval under Flink's default 10 min timeout: 20 min.
    expect(healthCheckWindow(on, 60_000)).toEqual({ enabled: true, minMs: 1_200_000, explicitMs: undefined, windowMs: 1_200_000 });
    // A 30 min fallback with 2 tolerable failures: 2 h.
    expect(healthCheckWindow({ ...on, 'execution.checkpointing.tolerable-failed-checkpoints': '2' }, 1_800_000).windowMs).toBe(7_200_000);
    expect(healthCheckWindow({ ...on, 'kubernetes.operator.cluster.health-check.checkpoint-progress.enabled': 'false' }, 60_000).enabled).toBe(false);
    // An explicit window below the minimum is raised to it, and the user is told.
    const short = { ...on, 'kubernetes.operator.cluster.health-check.checkpoint-progress.window': '5 min' };
    expect(healthCheckWindow(short, 60_000)).toMatchObject({ explicitMs: 300_000, windowMs: 1_200_000 });
    const notes = healthCheckNotes(short, 60_000);
    expect(notes[0]).toMatch(/^the operator's checkpoint-progress health check is on: a job that completes no checkpoint within 20 min is restarted/);
    expect(notes[1]).toMatch(/window is 5 min, shorter than the operator's minimum .* uses 20 min instead$/);
  });
});
