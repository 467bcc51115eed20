import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/core/control/policies.js';
import { RECOVERY_UNDER_WAY } from '../../src/core/control/policy-kit.js';
import { DEFAULT_POLICY_OPTIONS, initialPolicyState, type ActuatorKind, type Observation, type PolicyState } from '../../src/core/control/policy.js';
import { downtimeSec, fluidParams } from '../../src/core/sim/fluid-params.js';
import { fluidControlModels, fluidLatencyMs, fluidRecoverySec } from '../../src/core/sim/fluid-models.js';

// The simulated dedup job of examples/evaluate.yaml before its rebuild (git show ccb037b:examples/evaluate.yaml): at 1 s its checkpoints leave ~9 000 ev/s.
const params = fluidParams({
  capacityEps: 10_000,
  state: { baseBytes: 0, bytesPerEvent: 324, windowSec: 60 },
  checkpoint: { baseMs: 500, bytesPerSec: 277_700_000, capacityLoss: 0.1, latencyMs: 0 },
  restartSec: 4.5,
  restore: { baseSec: 0, bytesPerSec: 277_700_000 },
  latency: { baseMs: 1100, perCiMs: 0.99, queueMsEps: 1_000_000 },
});
const options = { ...DEFAULT_POLICY_OPTIONS, latencyTargetMs: 4700, recoveryTargetS: 82, evaluateEveryMs: 60_000, afterChangeMs: 60_000, minUptimeMs: 60_000, candidateMinMs: 1000, candidateMaxMs: 10_000, candidateStepMs: 500, minChangeMs: 500 };
const models = fluidControlModels(params, { trainedCiMs: { min: 1000, max: 10_000 } });
const T = 10_000_000;
// 8 800 ev/s arriving, 120 s after the restart, at 1 s, with 150 000 records still behind.
const catchingUp = (over: Partial<Observation> = {}): Observation => ({
  atMs: T, intervalMs: 1000, throughputEps: 9000, arrivalEps: 8800, latencyMs: 20_000, uptimeMs: 120_000, failuresSeen: 1, observedForMs: 3_600_000, recovering: true, lagRecords: 150_000, ...over,
});
const decide = (o: Observation, actuator: ActuatorKind = 'paced', state: PolicyState = initialPolicyState()) => createPolicy('khaos+', options).decide(o, state, { actuator, models });
const recoveryAt = (eps: number, ciMs: number) => fluidRecoverySec(params, downtimeSec(params, 'kill', 0), 1, eps, ciMs);

describe('khaos+ judges the arrival rate, not the throughput pinned at capacity', () => {
  it('predicts at the arrival rate when a backlog grows behind a throughput pinned at capacity', () => {
    // Measured on nyc_taxi (examples/evaluate.yaml at the 99th percentile, schedule 0): at 1 s and
    // ~9 370 ev/s arriving, khaos+ read 9 000 ev/s and chose 2.5 s, over the latency target at 9 370.
    const o: Observation = { atMs: T, intervalMs: 1000, throughputEps: 9000, arrivalEps: 9370, latencyMs: 20_000, uptimeMs: 3_600_000, failuresSeen: 0, observedForMs: 3_600_000, recovering: false, lagRecords: 20_000 };
    const { decision } = decide(o);
    expect(decision.predictions?.throughputEps).toBe(9370);
    expect(decision.action).toBe('change');
    expect(fluidLatencyMs(params, 9370, decision.toIntervalMs)).toBeLessThanOrEqual(4700);
  });
});

describe('khaos+ during a catch-up (SIMULATED dedup job)', () => {
  it('moves at once to the interval that drains the backlog fastest within the latency target, whatever the rate limit says', () => {
    // Measured on wiki_en_5min at the 99th percentile, schedule 13: a kill at 8 739 ev/s at 1 s recovered in 849 s.
    const fourChanges = { ...initialPolicyState(), changeTimesMs: [T - 40 * 60_000, T - 30 * 60_000, T - 20 * 60_000, T - 10 * 60_000], lastChangeMs: T - 10 * 60_000 };
    const { decision } = decide(catchingUp(), 'paced', fourChanges);
    expect(decision.action).toBe('change');
    expect(decision.reason).toMatch(/^catching up after a failure/);
    const to = decision.toIntervalMs;
    expect(fluidLatencyMs(params, 8800, to)).toBeLessThanOrEqual(4700);
    expect(recoveryAt(8800, to)).toBeLessThan(0.5 * recoveryAt(8800, 1000));
    for (let c = 1000; c <= 10_000; c += 500) if (fluidLatencyMs(params, 8800, c) <= 4700) expect(recoveryAt(8800, to)).toBeLessThanOrEqual(recoveryAt(8800, c));
  });

  it('waits while the job is still down, before minUptime, and with the restart actuator (a change would be an outage)', () => {
    expect(decide(catchingUp({ uptimeMs: 0 })).decision).toMatchObject({ action: 'wait', reason: RECOVERY_UNDER_WAY });
    expect(decide(catchingUp({ uptimeMs: 30_000 })).decision.action).toBe('wait');
    expect(decide(catchingUp(), 'restart').decision).toMatchObject({ action: 'wait', reason: RECOVERY_UNDER_WAY });
  });

  it('keeps when no candidate is within the latency target at the present load (a faster catch-up there would leave latency over it after)', () => {
    // Measured on nyc_taxi, schedule 0: 1.5 s → 3.5 s (8.8 s predicted latency), then 240 s over the latency target.
    const corrected = { ...initialPolicyState(), latencyRatios: [1.8, 1.8, 1.8] };
    for (let c = 1000; c <= 10_000; c += 500) expect(1.8 * fluidLatencyMs(params, 8800, c)).toBeGreaterThan(4700);
    const { decision } = decide(catchingUp({ intervalMs: 1500 }), 'paced', corrected);
    expect(decision.action).toBe('keep');
    expect(decision.reason).toMatch(/^catching up after a failure/);
  });

  it('keeps an interval that already drains fastest', () => {
    const first = decide(catchingUp()).decision;
    const again = decide(catchingUp({ intervalMs: first.toIntervalMs })).decision;
    expect(again.action).toBe('keep');
    expect(again.reason).toMatch(/^catching up after a failure/);
  });
});

describe('no input yet', () => {
  it('waits while nothing arrives (a job up before its replay starts), instead of judging the models at 0 ev/s', () => {
    const idle: Observation = { atMs: T, intervalMs: 10_000, throughputEps: 0, arrivalEps: 0, latencyMs: 0, uptimeMs: 3_600_000, failuresSeen: 0, observedForMs: 3_600_000, recovering: false, lagRecords: 0 };
    const { decision } = decide(idle);
    expect(decision.action).toBe('wait');
    expect(decision.reason).toMatch(/no input yet/);
    expect(decide({ ...idle, throughputEps: 2000, arrivalEps: 2000, latencyMs: 900 }).decision.action).not.toBe('wait');
  });
});
