import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/schema.js';
import { createPolicy } from '../../src/core/control/policies.js';
import { DEFAULT_POLICY_OPTIONS, type ControlModels, type Observation, type Policy } from '../../src/core/control/policy.js';
import { KhaosError } from '../../src/core/errors.js';
import { chooseModel } from '../../src/core/models/regression.js';
import { fitModels } from '../../src/core/models/variants.js';
import { recoveryTimeline } from '../../src/core/profiling/recovery.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import { failureSchedules } from '../../src/core/sim/failures.js';
import { DEFAULT_FLUID_PARAMS, fluidParams, reconfigurationOutageSec } from '../../src/core/sim/fluid-params.js';
import type { FluidEvent } from '../../src/core/sim/fluid-state.js';
import { fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { DEFAULT_CONTROL, jobSampleAt, simulate } from '../../src/core/sim/simulate.js';

const constant = (eps: number, seconds: number) => new Array<number>(seconds).fill(eps);
/** Seconds at `a` ev/s, then at `b` ev/s. */
const steps = (...parts: [eps: number, seconds: number][]) => parts.flatMap(([eps, n]) => constant(eps, n));

/** Wraps a real policy and records what it was shown and what it said. */
function spy(policy: Policy) {
  const seen: { obs: Observation; checkpointNow?: boolean; action: string }[] = [];
  const wrapped: Policy = {
    name: policy.name,
    decide(obs, state, ctx) {
      const out = policy.decide(obs, state, ctx);
      // The forecast is read here as a policy would, so that it is part of what was shown.
      seen.push({ obs: { ...obs, forecastEps: obs.forecastEps }, checkpointNow: out.decision.checkpointNow, action: out.decision.action });
      return out;
    },
  };
  return { wrapped, seen };
}

const errorOf = (f: () => unknown): KhaosError => {
  try {
    f();
  } catch (e) {
    if (e instanceof KhaosError) return e;
    throw e;
  }
  throw new Error('expected a KhaosError');
};

describe('simulate: QoS of static intervals', () => {
  it('longer intervals give longer recoveries and lower checkpoint overhead', () => {
    const failures = failureSchedules(8 * 3600, 1, 5, 3600, 3)[0]!;
    const rates = constant(7_000, 8 * 3600);
    const runs = [10_000, 40_000, 120_000].map((ci) => simulate({ ratesEps: rates, failures, actuator: 'restart', initialIntervalMs: ci }));
    const mean = runs.map((r) => r.qos.meanRecoveryS!);
    const overhead = runs.map((r) => r.qos.checkpointOverhead);
    expect(mean[0]).toBeLessThan(mean[1]!);
    expect(mean[1]).toBeLessThan(mean[2]!);
    expect(overhead[0]).toBeGreaterThan(overhead[1]!);
    expect(overhead[1]).toBeGreaterThan(overhead[2]!);
    // Overhead = share of the time with a checkpoint in flight: 2.5 s checkpoints every 10 s (less the restarts' few seconds).
    expect(overhead[0]).toBeCloseTo(2.5 / 10, 2);
    for (const r of runs) {
      expect(r.simulated).toBe(true);
      expect(r.qos.failures).toBe(5);
      expect(r.qos.unrecovered).toBe(0);
      expect(r.totals.backlogAtEnd).toBe(0);
    }
  });

  it('measures checkpoint overhead as the share of time with a checkpoint in flight, a failed one counted until it is aborted', () => {
    // No failure: exactly the fluid job's own time checkpointing while processing (catch-up included).
    const calm = simulate({ ratesEps: constant(7_000, 3600), actuator: 'paced', initialIntervalMs: 10_000 });
    expect(calm.qos.checkpointOverhead).toBeCloseTo(calm.job.counters.checkpointingMs / 3_600_000, 12);
    // A kill 1 s into a 2.5 s checkpoint (triggered at 2000 s on the 10 s schedule): the checkpoint stays in
    // flight, failing, until the kill is detected 8 s later; the fluid's checkpointingMs stops at the kill.
    const events: FluidEvent[] = [];
    const hit = simulate({ ratesEps: constant(7_000, 3600), failures: [{ atSec: 2001, type: 'kill' }], actuator: 'paced', initialIntervalMs: 10_000, onEvent: (e) => events.push(e) });
    const triggered = events.find((e) => e.kind === 'checkpoint-triggered' && e.atMs === 2_000_000);
    const aborted = events.find((e) => e.kind === 'checkpoint-aborted');
    expect(triggered).toBeDefined();
    expect(aborted?.atMs).toBe(2_009_000);
    let inFlightMs = 0;
    let since: number | undefined;
    for (const e of events) {
      if (e.kind === 'checkpoint-triggered') since = e.atMs;
      if ((e.kind === 'checkpoint-completed' || e.kind === 'checkpoint-aborted') && since !== undefined) [inFlightMs, since] = [inFlightMs + e.atMs - since, undefined];
    }
    if (since !== undefined) inFlightMs += 3_600_000 - since;
    expect(hit.qos.checkpointOverhead).toBeCloseTo(inFlightMs / 3_600_000, 12);
    expect(hit.qos.checkpointOverhead * 3_600_000 - hit.job.counters.checkpointingMs).toBeCloseTo(8000, 6);
  });

  it('counts recovery violations against the target and latency violations per second', () => {
    const failures = [{ atSec: 3000, type: 'kill' as const }];
    // Near capacity (11 000 of 12 000 ev/s) a 120 s interval recovers in about (20·12 000 + 11 000·120)/1 000 s.
    const r = simulate({ ratesEps: constant(11_000, 7200), failures, actuator: 'restart', initialIntervalMs: 120_000 });
    expect(r.qos.maxRecoveryS).toBeGreaterThan(240);
    expect(r.qos.recoveryViolations).toBe(1);
    expect(r.qos.latencyViolationShare).toBeGreaterThan(0);
    const share = [...r.series.latencyMs].filter((l) => l > DEFAULT_POLICY_OPTIONS.latencyTargetMs).length / 7200;
    expect(r.qos.latencyViolationShare).toBeCloseTo(share, 12);
    const loose = simulate({ ratesEps: constant(11_000, 7200), failures, actuator: 'restart', initialIntervalMs: 120_000, qos: { recoveryTargetS: 10_000, latencyWindowSec: 7200 } });
    expect(loose.qos.recoveryViolations).toBe(0);
  });
});

describe('simulate: actuators', () => {
  it('a restart change costs savepoint, relaunch and restore of downtime and a catch-up; a paced one costs nothing', () => {
    const rates = constant(6_000, 1200);
    const restart = simulate({ ratesEps: rates, policy: 'static:30000', actuator: 'restart', initialIntervalMs: 60_000 });
    const paced = simulate({ ratesEps: rates, policy: 'static:30000', actuator: 'paced', initialIntervalMs: 60_000 });
    const outageS = reconfigurationOutageSec(DEFAULT_FLUID_PARAMS, DEFAULT_FLUID_PARAMS.state.baseBytes);
    expect(outageS).toBeCloseTo(2.5 + 4 + 2, 9);

    expect(restart.qos.reconfigurations).toBe(1);
    expect(restart.qos.reconfigurationDowntimeS).toBeCloseTo(outageS, 9);
    expect(restart.changes).toMatchObject([{ atSec: 1, fromMs: 60_000, toMs: 30_000, outageMs: outageS * 1000 }]);
    // Down from 1 s to 9.5 s: the sample at 9 s holds 8 s of input.
    expect(Math.max(...restart.series.backlog)).toBeCloseTo(6_000 * 8, 6);
    expect(restart.series.intervalMs.at(-1)).toBe(30_000);

    expect(paced.qos.reconfigurations).toBe(1);
    expect(paced.qos.reconfigurationDowntimeS).toBe(0);
    expect(paced.changes).toMatchObject([{ atSec: 1, fromMs: 60_000, toMs: 30_000, outageMs: 0 }]);
    expect(Math.max(...paced.series.backlog)).toBe(0);
    expect(paced.series.intervalMs.at(-1)).toBe(30_000);
    expect(restart.qos.latencyViolationShare).toBeGreaterThan(paced.qos.latencyViolationShare);
  });
});

describe('simulate: the real policies through the controller’s observation', () => {
  it('builds the Observation the controller builds: window means, forecast, uptime, failures, recovery', () => {
    const { wrapped, seen } = spy(createPolicy('static:30000', DEFAULT_POLICY_OPTIONS));
    const r = simulate({ ratesEps: constant(6_000, 1800), failures: [{ atSec: 1000.5, type: 'kill' }], policy: wrapped, actuator: 'paced', initialIntervalMs: 30_000 });
    expect(seen).toHaveLength(1800);
    const at = (sec: number) => seen.find((s) => s.obs.atMs === sec * 1000)!.obs;

    const before = at(900);
    expect(before.throughputEps).toBeCloseTo(6_000, 9);
    const lats = [...r.series.latencyMs.slice(600, 900)];
    expect(before.latencyMs).toBeCloseTo(lats.reduce((a, b) => a + b, 0) / lats.length, 9);
    expect(before.forecastEps).toBeCloseTo(6_000, 6);
    expect(before).toMatchObject({ intervalMs: 30_000, uptimeMs: 900_000, failuresSeen: 0, observedForMs: 900_000, lagRecords: 0, recovering: false, recoveryJustEnded: false, checkpointDurationMs: 2_500 });

    // Killed at 1000.5 s, detected 8 s later: the sample at 1009 s sees RESTARTING.
    expect(at(1008)).toMatchObject({ recovering: false, failuresSeen: 0 });
    expect(at(1009)).toMatchObject({ recovering: true, failuresSeen: 1, uptimeMs: 0 });
    const ended = seen.filter((s) => s.obs.recoveryJustEnded);
    expect(ended).toHaveLength(1);
    const endedAt = ended[0]!.obs.atMs / 1000;
    // The controller ends the recovery once the detector's 5 s of normal samples are in: 4 s after
    // the first normal sample (the QoS end is interpolated before it, within its second).
    expect(endedAt).toBe(Math.ceil(1000.5 + r.failures[0]!.recoverySec!) + 4);
    expect(at(endedAt - 1).recovering).toBe(true);
    expect(at(endedAt).recovering).toBe(false);
    expect(at(endedAt + 1)).toMatchObject({ recovering: false, recoveryJustEnded: false });
    // The window holds the catch-up until a whole window has passed since the recovery ended.
    const windowSec = DEFAULT_CONTROL.windowMs / 1000;
    expect(before.windowHasRecovery).toBe(false);
    expect(at(endedAt)).toMatchObject({ windowHasRecovery: true });
    expect(at(endedAt + windowSec - 1)).toMatchObject({ windowHasRecovery: true });
    expect(at(endedAt + windowSec)).toMatchObject({ windowHasRecovery: false });
  });

  it('khaos+ (paced) asks for a checkpoint right after a recovery, and the simulator takes it', () => {
    const { wrapped, seen } = spy(createPolicy('khaos+', DEFAULT_POLICY_OPTIONS));
    const events: FluidEvent[] = [];
    // Latency falls with longer intervals here, so khaos+ stays at 119 s: the extra checkpoint stands out.
    const params = fluidParams({ latency: { baseMs: 500, perCiMs: -0.003, queueMsEps: 1_000_000 } });
    simulate({
      ratesEps: constant(3_000, 2400), failures: [{ atSec: 1500, type: 'kill' }], policy: wrapped, actuator: 'paced', initialIntervalMs: 119_000,
      params, models: fluidControlModels(params), onEvent: (e) => events.push(e),
    });
    const asked = seen.filter((s) => s.checkpointNow);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.obs.recoveryJustEnded).toBe(true);
    const t = asked[0]!.obs.atMs;
    const triggers = events.flatMap((e) => (e.kind === 'checkpoint-triggered' ? [e.atMs] : []));
    expect(triggers).toContain(t);
    // Off the 119 s schedule: the trigger before it was not one interval earlier.
    const previous = triggers[triggers.indexOf(t) - 1]!;
    expect(t - previous).not.toBe(119_000);
  });

  it('khaos+ shortens the interval when a load spike makes recovery too slow', () => {
    // Longer intervals lower latency here (perCiMs < 0), so at low load khaos+ goes long; at 80 % of
    // capacity the physical recovery model predicts (20·12 000 + 9 600·CI)/2 400 s, far over 240 s at
    // 119 s, while latency (917 − 0.003·CI ms) allows about 25 s.
    const params = fluidParams({ latency: { baseMs: 500, perCiMs: -0.003, queueMsEps: 1_000_000 } });
    const models = fluidControlModels(params);
    const r = simulate({ ratesEps: steps([3_000, 7200], [9_600, 7200]), policy: 'khaos+', actuator: 'paced', initialIntervalMs: 60_000, params, models });
    const beforeSpike = r.series.intervalMs[7100]!;
    expect(beforeSpike).toBeGreaterThan(100_000);
    const during = r.changes.filter((c) => c.atSec > 7200);
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during[0]!.toMs).toBeLessThan(during[0]!.fromMs);
    expect(r.series.intervalMs.at(-1)).toBeLessThan(60_000);
    expect(during[0]!.reason).toContain('recovery over target');

    // The same policy over the restart actuator pays for the change with an outage.
    const restart = simulate({ ratesEps: steps([3_000, 7200], [9_600, 7200]), policy: 'khaos+', actuator: 'restart', initialIntervalMs: 119_000, params, models });
    expect(restart.changes.length).toBeGreaterThanOrEqual(1);
    expect(restart.changes[0]!.reason).toContain('worth a restart');
    expect(restart.qos.reconfigurationDowntimeS).toBeCloseTo(restart.qos.reconfigurations * reconfigurationOutageSec(params, params.state.baseBytes), 6);
  });

  it('runs khaos+ on models fitted from profiled failures (simulated samples of the same physics)', () => {
    const fitted = fitModels(simulateSamples(DEFAULT_SIMULATION, 24, seededRandom(3)), 1);
    const models: ControlModels = {
      latency: chooseModel(fitted.latency, 'latency'),
      recovery: chooseModel(fitted.recovery, 'recovery'),
      version: 'test:simulated-samples',
      trainedCiMs: { min: 10_000, max: 120_000 },
      trainedThroughputEps: { min: 2_000, max: 11_000 },
    };
    // At 11 000 of 12 000 ev/s a 60 s interval recovers in ~15 min: khaos+ pays a restart for a shorter one.
    const r = simulate({ ratesEps: steps([4_000, 3600], [11_000, 3600]), policy: 'khaos+', actuator: 'restart', initialIntervalMs: 60_000, models });
    expect(r.changes.length).toBeGreaterThanOrEqual(1);
    expect(r.changes[0]!.atSec).toBeGreaterThan(3600);
    expect(r.changes[0]!.toMs).toBeLessThan(60_000);
  });

  it('runs every policy by name', () => {
    const failures = [{ atSec: 2000, type: 'kill' as const }];
    const models = fluidControlModels(DEFAULT_FLUID_PARAMS);
    for (const policy of ['khaos+', 'khaos', 'static:20000', 'young-daly', 'flink-backlog']) {
      const r = simulate({ ratesEps: constant(8_000, 3600), failures, policy, actuator: 'paced', initialIntervalMs: 30_000, models });
      expect(r.policy).toBe(policy);
      expect(r.qos.failures).toBe(1);
      expect(r.decisions.waits + r.decisions.evaluations).toBe(3600);
    }
  });
});

describe('simulate: measurement', () => {
  it('measures each recovery as recoveryTimeline does on the same samples', () => {
    const failures = [
      { atSec: 1000.25, type: 'kill' as const },
      { atSec: 2000, type: 'freeze' as const, freezeSec: 10 },
      { atSec: 3000.7, type: 'freeze' as const },
      { atSec: 4000, type: 'exception' as const },
    ];
    const r = simulate({ ratesEps: steps([5_000, 2500], [9_000, 2500]), failures, actuator: 'restart', initialIntervalMs: 45_000 });
    const samples = Array.from({ length: r.durationSec }, (_, s) => jobSampleAt(r.series, s));
    for (const [i, f] of failures.entries()) {
      const t = recoveryTimeline(samples, f.atSec * 1000, { ...DEFAULT_CONTROL.recovery, requireRestart: f.type !== 'freeze' });
      expect(r.failures[i]!.recoverySec, `failure ${i}`).toBe((t.recoveredAtMs! - f.atSec * 1000) / 1000);
      expect(r.failures[i]!.detectedAtSec).toBe(t.detectedAtMs === undefined ? undefined : t.detectedAtMs / 1000);
    }
    // The short freeze (10 s < 30 s detection) restarts nothing; the others do.
    expect(r.failures[1]!.detectedAtSec).toBeUndefined();
    expect(r.totals.restarts).toBe(3);
  });

  it('gives the same result for the same inputs', () => {
    const failures = failureSchedules(4 * 3600, 1, 3, 3600, 11)[0]!;
    const input = { ratesEps: steps([4_000, 7200], [9_000, 7200]), failures, policy: 'khaos+', actuator: 'restart' as const, initialIntervalMs: 60_000, models: fluidControlModels(DEFAULT_FLUID_PARAMS) };
    const a = simulate(input);
    const b = simulate(input);
    expect(a.qos).toEqual(b.qos);
    expect(a.changes).toEqual(b.changes);
    expect(a.failures).toEqual(b.failures);
    expect(a.series).toEqual(b.series);
  });

  it('simulates a week-long per-second trace', () => {
    // Correctness only: its speed (about 1 s of CPU idle, 20 s next to two CPU hogs and a Flink
    // stack) is a benchmark's figure (bench/evaluate-sim.ts prints wall times), not a test's.
    const week = 604_800;
    const rates = new Float64Array(week);
    for (let s = 0; s < week; s++) rates[s] = 3_000 + 6_000 * (((s % 86_400) / 86_400) < 0.5 ? (s % 43_200) / 43_200 : 1 - (s % 43_200) / 43_200);
    const failures = failureSchedules(week, 1, 12, 3_600, 5)[0]!;
    const r = simulate({ ratesEps: rates, failures, policy: 'khaos+', actuator: 'paced', initialIntervalMs: 30_000, models: fluidControlModels(DEFAULT_FLUID_PARAMS) });
    expect(r.qos.failures).toBe(12);
    expect(r.series.inputEps).toHaveLength(week);
  }, 120_000);
});

describe('simulate: bad inputs', () => {
  const ok = { ratesEps: constant(1_000, 100), actuator: 'paced' as const, initialIntervalMs: 10_000 };
  it('rejects negative, non-finite or no rates', () => {
    const e = errorOf(() => simulate({ ...ok, ratesEps: [1, 2, -3, 4, Number.NaN] }));
    expect(e.kind).toBe('bad-input');
    expect(e.message).toBe('the simulation trace has rates that are negative or not finite (second 2: -3, second 4: NaN)');
    expect(errorOf(() => simulate({ ...ok, ratesEps: [] })).message).toContain('the simulation trace is empty');
  });

  it('rejects failures outside the trace or of unknown type', () => {
    expect(errorOf(() => simulate({ ...ok, failures: [{ atSec: 100, type: 'kill' }] })).message).toBe('simulation failures: failure 0 at 100 s is outside the trace [0, 100) s');
    expect(errorOf(() => simulate({ ...ok, failures: [{ atSec: -1, type: 'kill' }] })).message).toContain('failure 0 at -1 s is outside the trace');
    expect(errorOf(() => simulate({ ...ok, failures: [{ atSec: 5, type: 'meteor' as never }] })).message).toContain('failure 0 has unknown type "meteor"');
    expect(errorOf(() => simulate({ ...ok, failures: [{ atSec: 5, type: 'kill', freezeSec: 3 }] })).message).toContain('freezeSec 3 needs type freeze');
  });

  it('rejects an unknown policy name, listing the valid ones', () => {
    const e = errorOf(() => simulate({ ...ok, policy: 'khaos++' }));
    expect(e.kind).toBe('bad-input');
    expect(e.message).toContain('unknown policy "khaos++"');
    expect(e.hint).toContain('static:<duration>');
  });

  it('rejects bad parameters, control options, intervals and actuators', () => {
    expect(errorOf(() => simulate({ ...ok, params: { ...DEFAULT_FLUID_PARAMS, capacityEps: 0 } })).message).toContain('capacityEps must be > 0, got 0');
    expect(errorOf(() => simulate({ ...ok, control: { tickSec: 0.5 } })).message).toContain('tickSec must be a whole number ≥ 1, got 0.5');
    expect(errorOf(() => simulate({ ...ok, initialIntervalMs: -5 })).message).toContain('checkpoint interval must be a positive number of ms, got -5');
    expect(errorOf(() => simulate({ ...ok, actuator: 'telepathy' as never })).message).toContain('unknown actuator "telepathy"');
  });
});

describe('simulator defaults', () => {
  it('are the config defaults (core cannot import config, so this test keeps the two copies equal)', () => {
    const c = resolveConfig({}).control;
    const { mtbfMs, ...options } = c.options;
    expect(mtbfMs).toBeUndefined();
    expect(DEFAULT_POLICY_OPTIONS).toEqual(options);
    expect(DEFAULT_CONTROL).toMatchObject({ windowMs: c.windowMs, recoveryTimeoutMs: c.recoveryTimeoutMs, forecast: { enabled: c.options.useForecast, horizonMs: c.forecastHorizonMs, historyMs: c.forecastHistoryMs } });
  });
});
