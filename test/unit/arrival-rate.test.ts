import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/app/control/controller.js';
import { Pacer } from '../../src/app/control/pacer.js';
import { JobSampler } from '../../src/app/observe.js';
import { arrivalEps } from '../../src/core/control/arrival.js';
import { createPolicy } from '../../src/core/control/policies.js';
import { DEFAULT_POLICY_OPTIONS, initialPolicyState, type Observation } from '../../src/core/control/policy.js';
import { LAG_SLACK_SECONDS, type JobSample } from '../../src/core/profiling/recovery.js';
import { DEFAULT_FLUID_PARAMS, fluidParams } from '../../src/core/sim/fluid-params.js';
import { fluidControlModels, fluidLatencyMs } from '../../src/core/sim/fluid-models.js';
import { SimObserver } from '../../src/core/sim/observer.js';
import { detectorOptions } from '../../src/core/profiling/recovery.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { SimFlinkEngine } from '../../src/adapters/sim/sim-flink-engine.js';

const running = (tMs: number, inputEps: number, lag: number): JobSample => ({ tMs, state: 'RUNNING', inputEps, lag });

describe('arrival rate: throughput plus the growth of the consumer lag', () => {
  it('is the processing rate plus the lag growth per second, and undefined across a restart or without a lag', () => {
    expect(arrivalEps(running(1000, 9000, 5000), running(2000, 9000, 5400))).toBe(9400);
    expect(arrivalEps(running(1000, 9000, 5000), running(3000, 9000, 5400))).toBe(9200);
    expect(arrivalEps(running(1000, 12_000, 9000), running(2000, 12_000, 6000))).toBe(9000); // a backlog draining
    expect(arrivalEps(undefined, running(1000, 9000, 0))).toBeUndefined();
    expect(arrivalEps({ tMs: 1000, state: 'RESTARTING' }, running(2000, 9000, 0))).toBeUndefined();
    expect(arrivalEps(running(1000, 9000, 5000), { tMs: 2000, state: 'RUNNING', inputEps: 9000 })).toBeUndefined();
  });

  it('the simulator and the real controller observe the same arrival rate of an overloaded job, the throughput pinned below it', async () => {
    // 14 000 ev/s offered to a job that processes at most 12 000 (DEFAULT_FLUID_PARAMS), for 5 minutes.
    const offered = 14_000;
    const windowMs = 60_000;
    // The simulator's observer, on samples as the fluid job reports them (processing pinned, lag growing).
    const observer = new SimObserver({ tickSec: 1, windowMs, forecast: { enabled: false, horizonMs: 1, historyMs: 1 }, recovery: detectorOptions(windowMs), recoveryTimeoutMs: 600_000 }, 400, 0, 0);
    let simObs: Observation | undefined;
    for (let s = 1; s <= 300; s++) simObs = observer.tick(running(s * 1000, 11_500, (offered - 11_500) * s), 1000);
    expect(simObs!.throughputEps).toBeCloseTo(11_500, 6);
    expect(simObs!.arrivalEps).toBeCloseTo(offered, 6);

    // The real controller over REST, on the fluid job behind SimFlinkEngine.
    const clock = new ManualClock();
    const t0 = clock.now();
    const engine = new SimFlinkEngine(clock, { params: DEFAULT_FLUID_PARAMS, rateEps: Array.from({ length: 400 }, () => offered), fallbackIntervalMs: 10_000 });
    const pacer = new Pacer(engine, clock, 10_000);
    const controller = new Controller(
      { sampler: new JobSampler(engine, clock, { jobMetrics: true }), clock, store: new MemoryControlStore(), policy: createPolicy('static:10s', DEFAULT_POLICY_OPTIONS), actuator: pacer, pacer },
      { runId: 'r', windowMs, dryRun: true, recoveryTimeoutMs: 600_000, forecast: { enabled: false, horizonMs: 1, historyMs: 1 }, recovery: { baselineMs: windowMs, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: LAG_SLACK_SECONDS, requireRestart: true } },
      t0,
    );
    let real: Observation | undefined;
    for (let s = 1; s <= 300; s++) {
      clock.advance(1000);
      real = (await controller.tick()).observation;
    }
    expect(real!.throughputEps).toBeLessThan(0.9 * offered);
    expect(real!.arrivalEps).toBeGreaterThan(0.97 * offered);
    expect(real!.arrivalEps).toBeLessThan(1.03 * offered);
  });
});

describe('khaos+ judges the arrival rate, not the throughput pinned at capacity', () => {
  // The dedup job of examples/evaluate.yaml: at 1 s its checkpoints leave ~9 000 ev/s of capacity.
  const params = fluidParams({
    capacityEps: 10_000,
    state: { baseBytes: 0, bytesPerEvent: 324, windowSec: 60 },
    checkpoint: { baseMs: 500, bytesPerSec: 277_700_000, capacityLoss: 0.1, latencyMs: 0 },
    restartSec: 4.5,
    restore: { baseSec: 0, bytesPerSec: 277_700_000 },
    latency: { baseMs: 1100, perCiMs: 0.99, queueMsEps: 1_000_000 },
  });
  const options = { ...DEFAULT_POLICY_OPTIONS, latencyTargetMs: 4700, recoveryTargetS: 82, evaluateEveryMs: 60_000, afterChangeMs: 60_000, minUptimeMs: 60_000, candidateMinMs: 1000, candidateMaxMs: 10_000, candidateStepMs: 500, minChangeMs: 500 };

  it('predicts at the arrival rate when a backlog grows behind a throughput pinned at capacity', () => {
    // Measured on nyc_taxi (examples/evaluate.yaml at the 99th percentile, schedule 0): at 1 s and
    // ~9 370 ev/s arriving, khaos+ read 9 000 ev/s and chose 2.5 s, over the latency target at 9 370.
    const o: Observation = { atMs: 10_000_000, intervalMs: 1000, throughputEps: 9000, arrivalEps: 9370, latencyMs: 20_000, uptimeMs: 3_600_000, failuresSeen: 0, observedForMs: 3_600_000, recovering: false, lagRecords: 20_000 };
    const { decision } = createPolicy('khaos+', options).decide(o, initialPolicyState(), { actuator: 'paced', models: fluidControlModels(params, { trainedCiMs: { min: 1000, max: 10_000 } }) });
    expect(decision.predictions?.throughputEps).toBe(9370);
    expect(decision.action).toBe('change');
    expect(fluidLatencyMs(params, 9370, decision.toIntervalMs)).toBeLessThanOrEqual(4700);
  });
});
