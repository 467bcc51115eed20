import { describe, expect, it } from 'vitest';
import { createPolicy, parsePolicy, POLICY_NAMES } from '../../src/core/control/policies.js';
import { DEFAULT_POLICY_OPTIONS, initialPolicyState, type ActuatorKind, type ControlModels, type Observation, type PolicyOptions, type PolicyState } from '../../src/core/control/policy.js';
import { KhaosError } from '../../src/core/errors.js';
import { buildModel, type IntervalModel } from '../../src/core/models/regression.js';

// Hand-built models with closed forms, so expectations can be computed here independently:
//   recovery R(λ, CI) = (5·5000 + λ·CI_s) / (5000 − λ) s   (physical: capacity 5000 ev/s, downtime 5 s, φ = 1)
//   latency  L(λ, CI) = 400 + 0.1·λ − 0.004·CI_ms ms       (linear: checkpointing less often lowers latency)
const recovery = (residuals: number[] = []): IntervalModel => ({ ...buildModel('physical', 'recovery', { capacityEps: 5000, downtimeSec: 5, phi: 1 }), relativeResiduals: residuals });
const latency = (perCiMs = -0.004, intercept = 400): IntervalModel => ({ ...buildModel('linear', 'latency', { intercept, perThroughputEps: 0.1, perCiMs }), relativeResiduals: [] });
const recoveryS = (eps: number, ciMs: number) => (5 * 5000 + (eps * ciMs) / 1000) / (5000 - eps);
const latencyMs = (eps: number, ciMs: number) => 400 + 0.1 * eps - 0.004 * ciMs;

const models = (over: Partial<ControlModels> = {}): ControlModels => ({
  latency: latency(),
  recovery: recovery(),
  version: 'test',
  trainedCiMs: { min: 10_000, max: 119_000 },
  trainedThroughputEps: { min: 500, max: 4500 },
  ...over,
});

/** The original's numbers, with targets L = 500 ms and R = 30 s that suit the models above. */
const options = (over: Partial<PolicyOptions> = {}): PolicyOptions => ({
  ...DEFAULT_POLICY_OPTIONS,
  latencyTargetMs: 500,
  recoveryTargetS: 30,
  maxChanges: 2,
  backlogBaseIntervalMs: 10_000,
  backlogIntervalMs: 60_000,
  ...over,
});

const T = 10_000_000;
/** An observation whose latency is exactly the model's (correction 1) unless given. */
const obs = (over: Partial<Observation> = {}): Observation => {
  const intervalMs = over.intervalMs ?? 30_000;
  const throughputEps = over.throughputEps ?? 2000;
  return { atMs: T, intervalMs, throughputEps, latencyMs: latencyMs(throughputEps, intervalMs), uptimeMs: 3_600_000, failuresSeen: 0, observedForMs: 3_600_000, recovering: false, ...over };
};

const decide = (name: string, o: Observation, opts: Partial<PolicyOptions> = {}, ctx: { actuator?: ActuatorKind; models?: ControlModels | null } = {}, state: PolicyState = initialPolicyState()) =>
  createPolicy(name, options(opts)).decide(o, state, { actuator: ctx.actuator ?? 'paced', models: ctx.models === null ? undefined : (ctx.models ?? models()) });

const grid = () => Array.from({ length: 110 }, (_, k) => 10_000 + 1000 * k);

describe('createPolicy', () => {
  it('rejects an unknown name as bad input, listing the valid names', () => {
    for (const name of ['khaos-', 'stat:5s', 'Young-Daly', 'khaos+@restart']) {
      let error: unknown;
      try {
        createPolicy(name, options());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KhaosError);
      expect((error as KhaosError).kind).toBe('bad-input');
      expect((error as KhaosError).message).toContain(name);
      for (const valid of ['khaos+', 'khaos', 'static:<duration>', 'young-daly', 'flink-backlog']) expect((error as KhaosError).hint).toContain(valid);
    }
  });

  it('parses static:<duration> once, and says what is wrong with a malformed one', () => {
    // Before the registry, static:0s was reported as `unknown policy "static:0"`.
    for (const [name, problem] of [
      ['static:0s', '"0s" is 0 ms; a duration here must be more than 0'],
      ['static:0', '"0" is 0 ms'],
      ['static:', '"" is not a duration'],
      ['static:abc', '"abc" is not a duration'],
      ['static:-5s', '"-5s" is negative'],
    ]) {
      const e = (() => {
        try {
          createPolicy(name!, options());
        } catch (err) {
          return err as KhaosError;
        }
        throw new Error(`${name} was accepted`);
      })();
      expect(e.kind).toBe('bad-input');
      expect(e.message.startsWith(`policy "${name}": the static interval `)).toBe(true);
      expect(e.message).toContain(problem);
      expect(e.hint).toContain('positive interval');
    }
    expect(parsePolicy('static:30s').spec).toEqual({ policy: 'static:30000', label: 'static:30s', staticMs: 30_000 });
    expect(parsePolicy('static:1.5min').spec.policy).toBe('static:90000');
    expect(parsePolicy('static:30000').spec.label).toBe('static:30s');
  });

  it('describes every policy for help text and keeps the name it was given', () => {
    expect(POLICY_NAMES.map((p) => p.name)).toEqual(['khaos+', 'khaos', 'static:<duration>', 'young-daly', 'flink-backlog']);
    expect(createPolicy('static:5000', options()).name).toBe('static:5000');
  });

  it('rejects options no policy can use', () => {
    expect(() => createPolicy('khaos', options({ candidateStepMs: 0 }))).toThrow(/candidate step/);
    expect(() => createPolicy('khaos', options({ recoveryIntervalLevel: 1 }))).toThrow(/recoveryIntervalLevel/);
  });
});

describe.each(['khaos', 'khaos+'])('%s gating', (name) => {
  it('waits while a recovery is under way and the job is down, state unchanged', () => {
    const state = initialPolicyState();
    const out = decide(name, obs({ intervalMs: 60_000, recovering: true, uptimeMs: 0 }), {}, {}, state);
    expect(out.decision).toMatchObject({ action: 'wait', toIntervalMs: 60_000 });
    expect(out.decision.reason).toMatch(/recovery is under way/);
    expect(out.state).toBe(state);
  });

  it('waits through a catch-up (the job up again) unless it is khaos+ with free (paced) changes', () => {
    const catchingUp = obs({ intervalMs: 60_000, recovering: true });
    expect(decide(name, catchingUp, {}, { actuator: 'restart' }).decision.action).toBe('wait');
    expect(decide(name, catchingUp).decision.action).toBe(name === 'khaos+' ? 'change' : 'wait');
  });

  it('records no latency ratio from a catch-up: its latencies are the backlog\'s, and the next evaluations would carry them', () => {
    // What the real stack showed: a window mean of 30 s of latency during a catch-up without a lag over the threshold.
    const out = decide(name, obs({ intervalMs: 60_000, recovering: true, latencyMs: 30_000 }));
    expect(out.state.latencyRatios).toEqual([]);
  });

  it('waits while the window still holds a recovery that has ended: its latencies are the catch-up\'s, not the interval\'s', () => {
    const state = initialPolicyState();
    // What the real stack showed: a window mean of 30 s latency over a 0.2 s prediction.
    const out = decide(name, obs({ intervalMs: 15_000, latencyMs: 30_000, windowHasRecovery: true }), {}, {}, state);
    expect(out.decision).toMatchObject({ action: 'wait', toIntervalMs: 15_000 });
    expect(out.decision.reason).toMatch(/window still holds its catch-up/);
    expect(out.state).toBe(state);
    expect(decide(name, obs({ intervalMs: 15_000, windowHasRecovery: false })).decision.action).not.toBe('wait');
  });

  it('waits until the job has been up minUptimeMs, saying how long remains', () => {
    const out = decide(name, obs({ intervalMs: 60_000, uptimeMs: 420_000 }));
    expect(out.decision.action).toBe('wait');
    expect(out.decision.reason).toContain('3 min to go');
  });

  it('waits evaluateEveryMs after an evaluation and afterChangeMs after a change', () => {
    const evaluated = { ...initialPolicyState(), lastEvaluationMs: T - 200_000 };
    const a = decide(name, obs({ intervalMs: 60_000 }), {}, {}, evaluated);
    expect(a.decision.action).toBe('wait');
    expect(a.decision.reason).toContain('next in 100 s');
    const changed = { ...initialPolicyState(), lastEvaluationMs: T - 400_000, lastChangeMs: T - 400_000, changeTimesMs: [T - 400_000] };
    const b = decide(name, obs({ intervalMs: 60_000 }), {}, {}, changed);
    expect(b.decision.action).toBe('wait');
    expect(b.decision.reason).toMatch(/changed 6\.7 min ago.*in 3\.3 min/);
    // Once both have passed it evaluates.
    expect(decide(name, obs({ intervalMs: 60_000 }), {}, {}, { ...changed, lastEvaluationMs: T - 600_000, lastChangeMs: T - 600_000 }).decision.action).toBe('change');
  });

  it('keeps and says how to get models when none are loaded', () => {
    const out = decide(name, obs({ intervalMs: 60_000 }), {}, { models: null });
    expect(out.decision.action).toBe('keep');
    expect(out.decision.reason).toMatch(/no models are loaded.*khaos models fit/);
    expect(out.state.lastEvaluationMs).toBe(T);
  });

  it('keeps on an unusable observation', () => {
    for (const bad of [{ throughputEps: NaN }, { latencyMs: -1 }, { latencyMs: Infinity }]) {
      const out = decide(name, obs({ intervalMs: 60_000, ...bad }));
      expect(out.decision.action).toBe('keep');
      expect(out.decision.reason).toMatch(/unusable/);
      expect(out.state.latencyRatios).toEqual([]);
    }
  });

  it('still decides outside the trained ranges, saying it extrapolates', () => {
    const out = decide(name, obs({ intervalMs: 60_000, throughputEps: 400 }), {}, { models: models({ trainedCiMs: { min: 10_000, max: 50_000 } }) });
    expect(out.decision.action).not.toBe('wait');
    expect(out.decision.reason).toContain('extrapolating: interval 60 s outside the trained 10 s–50 s; throughput 400 ev/s outside the trained 500 ev/s–4500 ev/s');
  });
});

describe('khaos (the original policy)', () => {
  /** The original's rule, computed from the closed forms: minimise a + b + |a − b| over candidates in one direction with a, b in (0, 1). */
  const bruteForce = (eps: number, ciMs: number, direction: 'shorter' | 'longer', correction = 1) => {
    let best: number | undefined;
    let bestF = Infinity;
    for (const c of grid().filter((c) => (direction === 'shorter' ? c < ciMs : c > ciMs))) {
      const a = (latencyMs(eps, c) * correction) / 500;
      const b = recoveryS(eps, c) / 30;
      if (!(a > 0 && a < 1 && b > 0 && b < 1)) continue;
      const f = a + b + Math.abs(a - b);
      if (f < bestF) [best, bestF] = [c, f];
    }
    return best;
  };

  it('recovery over target, latency within: moves to the shorter candidate minimising the objective', () => {
    const out = decide('khaos', obs({ intervalMs: 60_000 }));
    expect(bruteForce(2000, 60_000, 'shorter')).toBe(30_000);
    expect(out.decision).toMatchObject({ action: 'change', fromIntervalMs: 60_000, toIntervalMs: 30_000 });
    expect(out.decision.reason).toBe('observed latency 360 ms (target 500 ms), predicted recovery 48.3 s (target 30 s) at 2000 ev/s, 60 s; 60 s → 30 s: objective 3.22 → 1.92');
    expect(out.decision.predictions).toMatchObject({ throughputEps: 2000, latencyMs: 360, chosenLatencyMs: 480 });
    expect(out.decision.predictions!.recoveryS!.mid).toBeCloseTo(48.333, 3);
    expect(out.decision.predictions!.chosenRecoveryS!.mid).toBeCloseTo(28.333, 3);
    expect(out.state).toEqual({ lastEvaluationMs: T, lastChangeMs: T, changeTimesMs: [T], latencyRatios: [1] });
  });

  it('latency over target, recovery within: moves longer', () => {
    const out = decide('khaos', obs({ intervalMs: 15_000 }));
    expect(bruteForce(2000, 15_000, 'longer')).toBe(30_000);
    expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 30_000 });
  });

  it('searches one direction only: with latency rising with the interval, a latency violation finds no longer candidate', () => {
    // L = 200 + 0.1·λ + 0.004·CI: at 30 s, 520 ms > 500 (only a shorter interval helps); recovery 28.3 s ≤ 30.
    const m = models({ latency: latency(0.004, 200) });
    const original = decide('khaos', obs({ intervalMs: 30_000, latencyMs: 520 }), {}, { models: m });
    expect(original.decision.action).toBe('keep');
    expect(original.decision.reason).toMatch(/no longer interval meets both targets/);
    // khaos+ looks both ways: the shortest candidate is best (latency 440 ms, recovery 15 s).
    const plus = decide('khaos+', obs({ intervalMs: 30_000, latencyMs: 520 }), {}, { models: m });
    expect(plus.decision).toMatchObject({ action: 'change', toIntervalMs: 10_000 });
  });

  it('does not apply a change below minChangeMs', () => {
    // At 34 s recovery is 31 s > 30: the best shorter interval, 30 s, is only 4 s away.
    expect(bruteForce(2000, 34_000, 'shorter')).toBe(30_000);
    const out = decide('khaos', obs({ intervalMs: 34_000 }));
    expect(out.decision.action).toBe('keep');
    expect(out.decision.reason).toMatch(/best shorter interval 30 s is less than the minimum change of 5 s/);
    expect(decide('khaos', obs({ intervalMs: 34_000 }), { minChangeMs: 4000 }).decision.toIntervalMs).toBe(30_000);
  });

  it('does nothing when both targets are violated', () => {
    const out = decide('khaos', obs({ intervalMs: 30_000, throughputEps: 4000 }));
    expect(out.decision.action).toBe('keep');
    expect(out.decision.reason).toMatch(/^both targets violated: observed latency 680 ms .* recovery 145 s .*; no action/);
  });

  it('keeps when both are within target', () => {
    const out = decide('khaos', obs({ intervalMs: 30_000 }));
    expect(out.decision.action).toBe('keep');
    expect(out.decision.reason).toMatch(/^both within target/);
  });

  it('corrects latency by the mean observed/predicted ratio of the last 6 evaluations', () => {
    const policy = createPolicy('khaos', options({ latencyTargetMs: 10_000 }));
    let state = initialPolicyState();
    let out;
    const ratios = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6];
    ratios.forEach((r, i) => {
      out = policy.decide(obs({ atMs: T + i * 300_000, latencyMs: 480 * r }), state, { actuator: 'paced', models: models() });
      expect(out.decision.action).toBe('keep');
      state = out.state;
    });
    expect(state.latencyRatios.map((r) => +r.toFixed(6))).toEqual([1.1, 1.2, 1.3, 1.4, 1.5, 1.6]);
    expect(out!.decision.predictions!.latencyMs).toBeCloseTo(480 * 1.35, 6);
  });

  it('uses the corrected latency for candidates: 20 % over the model leaves no longer interval within both targets', () => {
    // Uncorrected, 15 s → 30 s (above). Corrected ×1.2, latency < 500 needs CI > 45.8 s but recovery < 30 s needs CI < 32.5 s.
    expect(bruteForce(2000, 15_000, 'longer', 1.2)).toBeUndefined();
    const out = decide('khaos', obs({ intervalMs: 15_000, latencyMs: 540 * 1.2 }));
    expect(out.decision.action).toBe('keep');
    expect(out.decision.predictions!.latencyMs).toBeCloseTo(648, 6);
    expect(out.decision.reason).toMatch(/no longer interval meets both targets/);
  });

  it('never asks for a checkpoint after a recovery', () => {
    expect(decide('khaos', obs({ uptimeMs: 5000, recoveryJustEnded: true })).decision.checkpointNow).toBeUndefined();
  });
});

describe('khaos+', () => {
  /** 2·max(lat/L, rec_high/R) over all candidates, rec_high = mid × (1 + q90) of the residuals. */
  const leastBad = (eps: number, recEps: number, R: number, q90 = 0, cands = grid()) => {
    let best = cands[0]!;
    let bestF = Infinity;
    for (const c of cands) {
      const f = 2 * Math.max(latencyMs(eps, c) / 500, (recoveryS(recEps, c) * (1 + q90)) / R);
      if (f < bestF) [best, bestF] = [c, f];
    }
    return { best, objective: bestF };
  };

  it('judges recovery by the upper bound of its prediction interval', () => {
    // Residuals −20 %…+20 %: the 80 % upper bound is mid × 1.16. At 32 s the mid 29.7 s is within 30 s, the bound 34.4 s is not.
    const residuals = [-0.2, -0.1, 0, 0.1, 0.2];
    const m = models({ recovery: recovery(residuals) });
    expect(decide('khaos', obs({ intervalMs: 32_000 }), {}, { models: m }).decision.action).toBe('keep');
    const out = decide('khaos+', obs({ intervalMs: 32_000 }), {}, { models: m });
    const expected = leastBad(2000, 2000, 30, 0.16);
    expect(expected.best).toBe(26_000);
    expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 26_000 });
    expect(out.decision.reason).toMatch(/predicted recovery 34\.4 s \(80 % upper; target 30 s\)/);
    expect(out.decision.predictions!.recoveryS!.high).toBeCloseTo(recoveryS(2000, 32_000) * 1.16, 9);
    expect(out.decision.predictions!.chosenRecoveryS!.high).toBeCloseTo(recoveryS(2000, 26_000) * 1.16, 9);
  });

  it('when both targets are violated, takes the least-bad interval instead of doing nothing', () => {
    // λ = 4000, R = 120 s: no candidate meets both; max(lat/L, rec/R) is smallest near 33.7 s.
    const expected = leastBad(4000, 4000, 120);
    expect(expected.best).toBe(33_000);
    expect(expected.objective).toBeCloseTo(2 * (668 / 500), 9); // latency binds at 33 s: 668 ms vs recovery 157 s / 120
    const out = decide('khaos+', obs({ intervalMs: 60_000, throughputEps: 4000 }), { recoveryTargetS: 120, objective: 'minimax' });
    expect(out.decision).toMatchObject({ action: 'change', fromIntervalMs: 60_000, toIntervalMs: 33_000 });
    expect(out.decision.reason).toBe(
      'both targets violated, least-bad choice: latency 560 ms (target 500 ms), predicted recovery 265 s (80 % upper; target 120 s) at 4000 ev/s, 60 s; 60 s → 33 s: objective 4.42 → 2.67',
    );
  });

  it('within both targets keeps balancing them with the paced actuator (a change is free), and keeps with restart', () => {
    const within = obs({ throughputEps: 1000, intervalMs: 20_000 }); // latency 420 ms ≤ 500, recovery 11.25 s ≤ 30
    const { best } = leastBad(1000, 1000, 30);
    expect(best).toBeGreaterThan(40_000);
    const paced = decide('khaos+', within, { useForecast: false });
    expect(paced.decision).toMatchObject({ action: 'change', toIntervalMs: best });
    expect(paced.decision.reason).toMatch(/both within target, balancing \(paced\)/);
    const restart = decide('khaos+', within, { useForecast: false }, { actuator: 'restart' });
    expect(restart.decision.action).toBe('keep');
    expect(restart.decision.reason).toMatch(/^both within target/);
  });

  it('leaves an interval outside the trained range for the best trained one, whatever hysteresis says of the extrapolation', () => {
    // 125 s is beyond the trained 10–119 s; the extrapolated latency there (100 ms) flatters it.
    const out = decide('khaos+', obs({ intervalMs: 125_000, throughputEps: 2000 }), { useForecast: false, hysteresis: 0.89 });
    expect(out.decision.action).toBe('change');
    expect(out.decision.toIntervalMs).toBeLessThanOrEqual(119_000);
    expect(out.decision.reason).toMatch(/extrapolating/);
  });

  it('applies hysteresis: a change must improve the objective by the given fraction', () => {
    // 36 s → 30 s improves 2·(32.33/30) = 2.156 to 2·0.96 = 1.92, by 10.9 %.
    const changes = decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0.1, objective: 'minimax' });
    expect(changes.decision).toMatchObject({ action: 'change', toIntervalMs: 30_000 });
    const holds = decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0.15, objective: 'minimax' });
    expect(holds.decision.action).toBe('keep');
    expect(holds.decision.reason).toMatch(/36 s → 30 s: objective 2\.16 → 1\.92 improves by less than the 15 % hysteresis/);
  });

  it('rate-limits changes over the trailing window', () => {
    const state = { ...initialPolicyState(), lastEvaluationMs: T - 1_000_000, lastChangeMs: T - 1_000_000, changeTimesMs: [T - 4_000_000, T - 2_000_000, T - 1_000_000] };
    const out = decide('khaos+', obs({ intervalMs: 60_000 }), {}, {}, state);
    expect(out.decision.action).toBe('keep');
    expect(out.decision.reason).toMatch(/held back by the rate limit: 2 change\(s\) in the last 60 min \(max 2\), next allowed in 26\.7 min/);
    expect(decide('khaos+', obs({ intervalMs: 60_000 }), { maxChanges: 3 }, {}, state).decision.action).toBe('change');
  });

  it('lets a paced change that brings the latency back within its target through the rate limit (a certain violation is not held)', () => {
    const state = { ...initialPolicyState(), lastEvaluationMs: T - 1_000_000, lastChangeMs: T - 1_000_000, changeTimesMs: [T - 2_000_000, T - 1_000_000] };
    const over = obs({ intervalMs: 10_000 }); // latency 560 ms > 500 ms at 10 s; within from 25 s
    const out = decide('khaos+', over, { useForecast: false }, {}, state);
    expect(out.decision.action).toBe('change');
    expect(out.decision.toIntervalMs).toBeGreaterThanOrEqual(25_000);
    expect(decide('khaos+', over, { useForecast: false }, { actuator: 'restart' }, state).decision.reason).toMatch(/held back by the rate limit/);
  });

  it('forgets changes older than the rate window when recording a new one', () => {
    const state = { ...initialPolicyState(), changeTimesMs: [T - 4_000_000, T - 1_000_000] };
    expect(decide('khaos+', obs({ intervalMs: 60_000 }), {}, {}, state).state.changeTimesMs).toEqual([T - 1_000_000, T]);
  });

  it('judges both targets at the forecast peak when forecasting is on', () => {
    // Now: 2000 ev/s, 30 s → latency 480 ms and recovery 28.3 s, both within. At the forecast
    // 2500 ev/s they would be 530 ms and 40 s: the interval must hold when the peak arrives.
    const expected = leastBad(2500, 2500, 30);
    expect(expected.best).toBe(23_000);
    const ahead = decide('khaos+', obs({ forecastEps: 2500 }), { objective: 'minimax' });
    expect(ahead.decision).toMatchObject({ action: 'change', toIntervalMs: 23_000 });
    expect(ahead.decision.predictions!.throughputEps).toBe(2500);
    expect(ahead.decision.predictions!.latencyMs).toBeCloseTo(latencyMs(2500, 30_000), 9);
    expect(ahead.decision.predictions!.chosenLatencyMs).toBeCloseTo(latencyMs(2500, 23_000), 9);
    expect(ahead.decision.reason).toContain('latency 530 ms (target 500 ms), predicted recovery 40 s (80 % upper; target 30 s) at 2500 ev/s (forecast; now 2000 ev/s)');
    const present = decide('khaos+', obs({ forecastEps: 2500 }), { useForecast: false });
    expect(present.decision.action).toBe('keep');
    expect(present.decision.predictions!.throughputEps).toBe(2000);
    expect(present.decision.predictions!.latencyMs).toBeCloseTo(latencyMs(2000, 30_000), 9);
    // A forecast below the present load changes nothing.
    expect(decide('khaos+', obs({ forecastEps: 1500 })).decision.action).toBe('keep');
  });

  it('does not give up a target some candidate meets for one no candidate meets', () => {
    // λ = 4000, R = 30 s: recovery 25 + 4·CI_s s is over 30 s at every candidate; latency 800 − 4·CI_s ms
    // is within 500 ms from 75 s. The minimax alone would follow the recovery down to 10 s (latency 760 ms).
    expect(leastBad(4000, 4000, 30).best).toBe(10_000);
    const out = decide('khaos+', obs({ intervalMs: 60_000, throughputEps: 4000 }), { useForecast: false, objective: 'minimax' });
    expect(out.decision).toMatchObject({ action: 'change', fromIntervalMs: 60_000, toIntervalMs: 75_000 });
    expect(out.decision.predictions!.chosenLatencyMs).toBeCloseTo(500, 9);
    // The objective rises (the recovery excess grows), yet keeping the latency target is worth the change.
    expect(out.decision.reason).toBe(
      'both targets violated, least-bad choice: latency 560 ms (target 500 ms), predicted recovery 265 s (80 % upper; target 30 s) at 4000 ev/s, 60 s; 60 s → 75 s: objective 17.67 → 21.67; the recovery target is out of reach at every candidate, the latency target is kept',
    );
    // Once there, it stays: the shorter intervals all give the latency target up.
    expect(decide('khaos+', obs({ intervalMs: 75_000, throughputEps: 4000 }), { useForecast: false, objective: 'minimax' }).decision.action).toBe('keep');
  });

  describe('the expected-violation objective (the default): seconds over target expected over costHorizon', () => {
    // λ = 4000, R = 120 s: latency 800 − 4·CI_s ms meets 500 ms from 75 s on, recovery 25 + 4·CI_s s
    // meets 120 s up to 23 s: no candidate meets both. The minimax takes 33 s, over both targets.
    const both = obs({ intervalMs: 60_000, throughputEps: 4000 });
    const targets = { recoveryTargetS: 120, useForecast: false };

    it('keeps the latency target, whose violation is certain, when failures are rare: the recovery excess counts once per failure', () => {
      expect(decide('khaos+', both, { ...targets, objective: 'minimax' }).decision.toIntervalMs).toBe(33_000);
      const out = decide('khaos+', both, targets);
      expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 75_000 });
      // At 60 s: 560 ms is 12 % over 500 ms, over it for 1 − (500/560)^10 = 68 % of the hour (2440.9 s of latency)
      // + (265 − 120) s of recovery for the one failure counted; at 75 s: 0 + (325 − 120).
      expect(out.decision.reason).toContain('60 s → 75 s: expected violation 2585.9 s → 205 s over 60 min (1.0 expected failure(s), MTBF 24 h prior, no failure seen yet)');
    });

    it('gives the latency target up when failures are frequent enough that recovery excess costs more', () => {
      // MTBF 1 min: 60 failures an hour, each 205 s over at 75 s (12 300 s) against 3600 s of latency at 23 s.
      const out = decide('khaos+', both, { ...targets, mtbfMs: 60_000 });
      expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 23_000 });
      expect(out.decision.reason).toMatch(/expected violation [\d.]+ s → 3488\.9 s over 60 min \(60\.0 expected failure\(s\), MTBF 60 s configured\)/);
    });

    it('among candidates within both targets, balances their margins as the minimax does', () => {
      const within = obs({ throughputEps: 1000, intervalMs: 20_000 });
      expect(decide('khaos+', within, { useForecast: false }).decision.toIntervalMs).toBe(decide('khaos+', within, { useForecast: false, objective: 'minimax' }).decision.toIntervalMs);
    });
  });

  it('keeps candidates inside the trained interval range', () => {
    const m = models({ latency: latency(0.004, 200), trainedCiMs: { min: 20_000, max: 60_000 } });
    const out = decide('khaos+', obs({ intervalMs: 30_000, latencyMs: 520 }), { hysteresis: 0 }, { models: m });
    expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 20_000 });
  });

  describe('with the restart actuator, weighs a change against its own outage', () => {
    it('refuses a marginal change that the paced actuator makes', () => {
      // 36 s → 30 s avoids 2.33 s of recovery over target (1 failure) but costs 8.5 s + catch-up 2000·8.5/3000 = 5.67 s.
      expect(decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0 }).decision.toIntervalMs).toBe(30_000);
      const out = decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0 }, { actuator: 'restart' });
      expect(out.decision.action).toBe('keep');
      expect(out.decision.reason).toMatch(/is not worth a restart: avoids 2\.3 s of violations over 60 min \(1\.0 expected failure\(s\)\) vs an outage of 14\.2 s \(restart 8\.5 s, catch-up 5\.7 s\)/);
    });

    it('makes a change that avoids more than it costs', () => {
      // 60 s → 30 s avoids 18.3 s of recovery over target > 14.2 s.
      const out = decide('khaos+', obs({ intervalMs: 60_000 }), {}, { actuator: 'restart' });
      expect(out.decision).toMatchObject({ action: 'change', toIntervalMs: 30_000 });
      expect(out.decision.reason).toMatch(/worth a restart: avoids 18\.3 s/);
    });

    it('counts expected failures over the horizon and latency violation time', () => {
      // Against the 14.17 s outage: MTBF 10 min over 60 min is 6 failures × 2.33 s = 14.0 s (not enough); MTBF 9 min, 6.67 × 2.33 s = 15.6 s.
      expect(decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0, mtbfMs: 600_000 }, { actuator: 'restart' }).decision.action).toBe('keep');
      expect(decide('khaos+', obs({ intervalMs: 36_000 }), { hysteresis: 0, mtbfMs: 540_000 }, { actuator: 'restart' }).decision.action).toBe('change');
      // Latency 8 % over target at 15 s (over it for 1 − (500/540)^10 = 54 % of the hour), within at 30 s.
      const lat = decide('khaos+', obs({ intervalMs: 15_000 }), {}, { actuator: 'restart' });
      expect(lat.decision).toMatchObject({ action: 'change', toIntervalMs: 30_000 });
      expect(lat.decision.reason).toMatch(/avoids 1932\.5 s of violations/);
    });

    it('counts catch-up as 0 without a capacity, and says so', () => {
      const linearRecovery: IntervalModel = { ...buildModel('linear', 'recovery', { intercept: 8.3333, perThroughputEps: 0, perCiMs: 2 / 3000 }), relativeResiduals: [] };
      const out = decide('khaos+', obs({ intervalMs: 60_000 }), {}, { actuator: 'restart', models: models({ recovery: linearRecovery }) });
      expect(out.decision.reason).toMatch(/outage of 8\.5 s \(restart 8\.5 s, catch-up unknown \(no capacity in a linear recovery model\), counted as 0\)/);
    });
  });

  describe('after a recovery', () => {
    it('asks the paced actuator for a checkpoint now, even while waiting', () => {
      const out = decide('khaos+', obs({ uptimeMs: 5000, recoveryJustEnded: true }));
      expect(out.decision).toMatchObject({ action: 'wait', checkpointNow: true });
      expect(out.decision.reason).toMatch(/^recovery just ended: checkpointing now; the job has been up 5 s/);
    });

    it('also on an evaluation, and only once the recovery has ended', () => {
      expect(decide('khaos+', obs({ intervalMs: 60_000, recoveryJustEnded: true })).decision).toMatchObject({ action: 'change', checkpointNow: true });
      expect(decide('khaos+', obs({ uptimeMs: 5000 })).decision.checkpointNow).toBeUndefined();
    });

    it('not with the restart actuator', () => {
      expect(decide('khaos+', obs({ uptimeMs: 5000, recoveryJustEnded: true }), {}, { actuator: 'restart' }).decision.checkpointNow).toBeUndefined();
    });
  });
});

describe('static:<ms>', () => {
  it('moves to its interval and then keeps it', () => {
    const moved = decide('static:5000', obs({ intervalMs: 10_000 }));
    expect(moved.decision).toMatchObject({ action: 'change', fromIntervalMs: 10_000, toIntervalMs: 5000, reason: 'static policy: the interval is fixed at 5 s' });
    expect(decide('static:5000', obs({ intervalMs: 5000 }), {}, { models: null }).decision.action).toBe('keep');
    expect(decide('static:5000', obs({ intervalMs: 10_000, recovering: true })).decision.action).toBe('wait');
  });
});

describe('young-daly', () => {
  it('sets √(2 · checkpoint duration · MTBF), clamped to the candidate range', () => {
    // Observed MTBF: 4 failures in 1 h = 15 min; √(2 · 2000 · 900 000) = 60 000 ms.
    const observed = decide('young-daly', obs({ checkpointDurationMs: 2000, failuresSeen: 4, observedForMs: 3_600_000 }));
    expect(observed.decision).toMatchObject({ action: 'change', toIntervalMs: 60_000 });
    expect(observed.decision.reason).toBe('Young/Daly: √(2 · checkpoint 2 s · MTBF 15 min (observed: 4 failure(s) in 60 min)) = 60 s: 30 s → 60 s');
    // Prior 30 min before any failure: √(2 · 1000 · 1 800 000) = 60 000 ms.
    expect(decide('young-daly', obs({ checkpointDurationMs: 1000 }), { mtbfPriorMs: 1_800_000 }).decision.toIntervalMs).toBe(60_000);
    // Configured 1 h: √(2 · 2000 · 3 600 000) = 120 000 ms, above the 119 s maximum.
    const clamped = decide('young-daly', obs({ checkpointDurationMs: 2000, failuresSeen: 4 }), { mtbfMs: 3_600_000 });
    expect(clamped.decision.toIntervalMs).toBe(119_000);
    expect(clamped.decision.reason).toContain('= 120 s, clamped to 119 s');
  });

  it('respects the minimum change and the evaluation cadence, and keeps without a checkpoint duration', () => {
    expect(decide('young-daly', obs({ intervalMs: 57_000, checkpointDurationMs: 2000, failuresSeen: 4 })).decision.action).toBe('keep');
    const evaluated = { ...initialPolicyState(), lastEvaluationMs: T - 100_000 };
    expect(decide('young-daly', obs({ checkpointDurationMs: 2000, failuresSeen: 4 }), {}, {}, evaluated).decision.action).toBe('wait');
    const unknown = decide('young-daly', obs());
    expect(unknown.decision.action).toBe('keep');
    expect(unknown.decision.reason).toMatch(/checkpoint duration is not known/);
  });
});

describe('flink-backlog (emulation)', () => {
  it('uses the long interval while lag exceeds the threshold in seconds of input, at once', () => {
    // 50 000 records at 2000 ev/s = 25 s of input > 10 s.
    const backlog = decide('flink-backlog', obs({ intervalMs: 10_000, lagRecords: 50_000 }));
    expect(backlog.decision).toMatchObject({ action: 'change', toIntervalMs: 60_000 });
    expect(backlog.decision.reason).toBe("flink-backlog (emulation of Flink's execution.checkpointing.interval-during-backlog): lag 25 s of input > 10 s → backlog interval 60 s");
    // No cadence: the next observation, a moment later, goes straight back.
    const back = decide('flink-backlog', obs({ atMs: T + 1, intervalMs: 60_000, lagRecords: 10_000 }), {}, {}, backlog.state);
    expect(back.decision).toMatchObject({ action: 'change', toIntervalMs: 10_000 });
    // Nothing to switch, or no lag to judge: not an evaluation (nothing is recorded).
    expect(decide('flink-backlog', obs({ intervalMs: 10_000, lagRecords: 10_000 })).decision.action).toBe('wait');
    expect(decide('flink-backlog', obs({ intervalMs: 10_000 })).decision).toMatchObject({ action: 'wait', reason: expect.stringMatching(/lag unknown/) });
    // It switches during a recovery's catch-up too, as Flink does while its source reports backlog.
    expect(decide('flink-backlog', obs({ intervalMs: 10_000, lagRecords: 50_000, recovering: true })).decision).toMatchObject({ action: 'change', toIntervalMs: 60_000 });
  });
});

describe('khaos tests the targets as the original does', () => {
  it('judges latency on the observed mean, not on the corrected prediction', () => {
    // Five evaluations at 540 ms observed and predicted (ratio 1), then 1 200 ms observed: the
    // corrected prediction is 540 · (5 + 1200/540)/6 ≈ 650 ms, within 1 000 ms, but the original
    // (ExecutionManager, state OPTIMIZE) compares the observed 1 200 ms with the target.
    const m = models({ latency: { ...buildModel('linear', 'latency', { intercept: 540, perThroughputEps: 0, perCiMs: 0 }), relativeResiduals: [] } });
    const policy = createPolicy('khaos', options({ latencyTargetMs: 1000, recoveryTargetS: 240 }));
    let state = initialPolicyState();
    for (let k = 0; k < 5; k++) {
      const out = policy.decide(obs({ atMs: T + k * 300_000, latencyMs: 540 }), state, { actuator: 'restart', models: m });
      expect(out.decision.reason).toContain('both within target');
      state = out.state;
    }
    const out = policy.decide(obs({ atMs: T + 5 * 300_000, latencyMs: 1200 }), state, { actuator: 'restart', models: m });
    expect(out.decision.reason).not.toContain('both within target');
    expect(out.decision.reason).toContain('observed latency 1200 ms (target 1000 ms)');
    // The corrected prediction is still recorded beside it.
    expect(out.decision.predictions?.latencyMs).toBeCloseTo(540 * ((5 + 1200 / 540) / 6), 6);
  });
});

describe('the candidates a decision keeps (the dashboard shows them)', () => {
  it('khaos+: every candidate counted, the best named, at most 12 kept with their predictions (the one in force and the best among them)', () => {
    const out = decide('khaos+', obs({ intervalMs: 60_000 }));
    const c = out.decision.predictions!.candidates!;
    expect(out.decision.action).toBe('change');
    expect(c.count).toBe(110);
    expect(c.bestMs).toBe(out.decision.toIntervalMs);
    expect(c.kept.length).toBeLessThanOrEqual(12);
    expect(c.kept.length).toBeGreaterThanOrEqual(10);
    const kept = c.kept.map((k) => k.intervalMs);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept).toEqual(expect.arrayContaining([60_000, out.decision.toIntervalMs, 10_000, 119_000]));
    for (const k of c.kept) {
      expect(k.latencyMs).toBeCloseTo(latencyMs(2000, k.intervalMs), 6);
      expect(k.recoveryS.mid).toBeCloseTo(recoveryS(2000, k.intervalMs), 6);
      expect(k.objective).toBeCloseTo(2 * Math.max(k.latencyMs / 500, k.recoveryS.high / 30), 9);
      expect(k.expectedViolationS).toBeGreaterThanOrEqual(0);
    }
  });

  it('khaos: the candidates of the one direction it searched, and the interval in force at its observed latency; an objective only where both targets are met', () => {
    const out = decide('khaos', obs({ intervalMs: 60_000 }));
    const c = out.decision.predictions!.candidates!;
    expect(c.count).toBe(50 + 1); // 10 … 59 s shorter, and 60 s in force
    expect(c.bestMs).toBe(30_000);
    const inForce = c.kept.find((k) => k.intervalMs === 60_000)!;
    expect(inForce.latencyMs).toBe(360);
    expect(inForce.objective).toBeUndefined();
    for (const k of c.kept.filter((x) => x.intervalMs < 60_000)) {
      const meets = latencyMs(2000, k.intervalMs) < 500 && recoveryS(2000, k.intervalMs) < 30;
      expect(k.objective !== undefined).toBe(meets);
    }
  });

  it('no candidates when nothing was weighed (no models)', () => {
    expect(decide('khaos+', obs(), {}, { models: null }).decision.predictions).toBeUndefined();
  });
});
