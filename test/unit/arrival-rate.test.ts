import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/app/control/controller.js';
import { Pacer } from '../../src/app/control/pacer.js';
import { JobSampler } from '../../src/app/observe.js';
import { arrivalEps } from '../../src/core/control/arrival.js';
import { createPolicy } from '../../src/core/control/policies.js';
import { DEFAULT_POLICY_OPTIONS, type Observation } from '../../src/core/control/policy.js';
import { detectorOptions, LAG_SLACK_SECONDS, type JobSample } from '../../src/core/profiling/recovery.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { SimObserver } from '../../src/core/sim/observer.js';
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
