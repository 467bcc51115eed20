import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_OPTIONS } from '../../src/core/control/policy.js';
import { ORACLE_POLICY, oracleOptions, planEvaluation, policyUnderTest } from '../../src/core/sim/sim-evaluation.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { simulate } from '../../src/core/sim/simulate.js';

// Quiet, then near capacity (11 000 of 12 000 events/s), then quiet again; one kill at the peak.
const rates = [...new Array(900).fill(3000), ...new Array(900).fill(11_000), ...new Array(900).fill(3000)];
const qos = { latencyTargetMs: 1000, recoveryTargetS: 120, latencyWindowSec: 300 };
const oracle = { windowSec: 300, candidatesMs: [10_000, 30_000, 60_000, 120_000], failureType: 'kill' as const, failuresPerSec: 1 / 2700, latencyTargetMs: 1000, recoveryTargetS: 120, maxRecoverySec: 600 };

describe('the load oracle (SIMULATED)', () => {
  it('does at least as well as each static interval it may choose, on a load it sees coming', () => {
    const failures = [{ atSec: 1350.5, type: 'kill' as const }];
    const o = simulate({ ratesEps: rates, failures, actuator: 'paced', initialIntervalMs: 60_000, qos, oracle });
    const statics = oracle.candidatesMs.map((c) => simulate({ ratesEps: rates, failures, actuator: 'paced', initialIntervalMs: c, qos }).qos.violationSeconds.total);
    expect(o.qos.violationSeconds.total).toBeLessThanOrEqual(Math.min(...statics));
    expect(o.policy).toBe('oracle');
    expect(o.changes.length).toBeGreaterThan(0);
    for (const c of o.changes) expect(c.reason).toMatch(/^oracle: /);
  });

  it('knows the load, not the failures: the same choices up to the first failure, whenever it comes', () => {
    const run = (atSec: number) => simulate({ ratesEps: rates, failures: [{ atSec, type: 'kill' }], actuator: 'paced', initialIntervalMs: 60_000, qos, oracle });
    const before = (r: ReturnType<typeof run>, untilSec: number) => r.changes.filter((c) => c.atSec <= untilSec).map((c) => [c.atSec, c.toMs]);
    expect(before(run(1350.5), 1350)).toEqual(before(run(2400.5), 1350));
  });

  it('runs with the paced actuator and no policy only', () => {
    expect(() => simulate({ ratesEps: rates, actuator: 'restart', initialIntervalMs: 60_000, oracle })).toThrow(/the load oracle chooses the interval itself/);
    expect(() => simulate({ ratesEps: rates, policy: 'khaos+', actuator: 'paced', initialIntervalMs: 60_000, oracle })).toThrow(/the load oracle chooses the interval itself/);
  });

  it('in an evaluation: decides as often as the policies evaluate, among the statics and a grid of the candidate range, at the scenario’s failure rate', () => {
    const policies = [policyUnderTest('khaos+'), policyUnderTest('static:45000'), ORACLE_POLICY];
    const failures = { schedules: 2, perSchedule: 2, minSpacingSec: 300, seed: 1, type: 'exception' as const };
    const o = oracleOptions({ policies, failures, policyOptions: DEFAULT_POLICY_OPTIONS }, 2700);
    expect(o).toMatchObject({ windowSec: 300, failureType: 'exception', failuresPerSec: 2 / 2700, latencyTargetMs: DEFAULT_POLICY_OPTIONS.latencyTargetMs, maxRecoverySec: 600 });
    expect(o.candidatesMs).toContain(45_000);
    expect(o.candidatesMs[0]).toBe(DEFAULT_POLICY_OPTIONS.candidateMinMs);
    expect(o.candidatesMs.at(-1)).toBe(DEFAULT_POLICY_OPTIONS.candidateMaxMs);
    const plan = planEvaluation({ ratesEps: rates, policies, failures, params: DEFAULT_FLUID_PARAMS, policyOptions: { ...DEFAULT_POLICY_OPTIONS, minUptimeMs: 0 }, initialIntervalMs: 30_000 });
    expect(plan.oracle?.windowSec).toBe(300);
    expect(planEvaluation({ ratesEps: rates, policies: policies.slice(0, 2), failures, params: DEFAULT_FLUID_PARAMS, policyOptions: { ...DEFAULT_POLICY_OPTIONS, minUptimeMs: 0 }, initialIntervalMs: 30_000 }).oracle).toBeUndefined();
  });
});
