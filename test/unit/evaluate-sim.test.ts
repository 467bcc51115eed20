import { describe, expect, it } from 'vitest';
import { runEvaluation, workerCount, type FluidEvaluationInput } from '../../src/app/evaluate-sim.js';
import { DEFAULT_POLICY_OPTIONS, type PolicyOptions } from '../../src/core/control/policy.js';
import { KhaosError } from '../../src/core/errors.js';
import {
  DEFAULT_ACTUATOR,
  evaluateInSimulation,
  evaluationJson,
  policyUnderTest,
  simulationRates,
  type EvaluationInput,
} from '../../src/core/sim/sim-evaluation.js';
import { failureSchedules } from '../../src/core/sim/failures.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { simulate } from '../../src/core/sim/simulate.js';
import { METRICS, summariseRuns, type RunQos } from '../../src/core/evaluation/qos.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';

const errorOf = async (f: () => unknown): Promise<KhaosError> => {
  try {
    await f();
  } catch (e) {
    if (e instanceof KhaosError) return e;
    throw e;
  }
  throw new Error('expected a KhaosError');
};

/** Short-scale control so that a few simulated hours show every policy at work. */
const OPTIONS: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, minUptimeMs: 60_000, evaluateEveryMs: 60_000, afterChangeMs: 60_000, recoveryTargetS: 60 };
const CONTROL = { windowMs: 60_000, forecast: { horizonMs: 120_000, historyMs: 600_000 } };
/** 4 h: a ramp to 10 000 ev/s and back (capacity 12 000). */
const RATES = Array.from({ length: 4 * 3600 }, (_, s) => 2_000 + 8_000 * Math.sin((Math.PI * s) / (4 * 3600)));
const POLICIES = ['khaos+', 'khaos+@restart', 'khaos', 'young-daly', 'flink-backlog', 'static:10s', 'static:60s'].map((n) => {
  const [p, a] = n.split('@') as [string, 'paced' | 'restart' | undefined];
  const st = /^static:(\d+)s$/.exec(p);
  return policyUnderTest(st ? `static:${Number(st[1]) * 1000}` : p, a);
});

const withoutModels = (over: Partial<EvaluationInput> = {}): Omit<EvaluationInput, 'models'> => ({
  ratesEps: RATES,
  policies: POLICIES,
  failures: { schedules: 3, perSchedule: 2, minSpacingSec: 1800, seed: 7, type: 'kill' },
  params: DEFAULT_FLUID_PARAMS,
  policyOptions: OPTIONS,
  control: CONTROL,
  initialIntervalMs: 30_000,
  ...over,
});
const input = (over: Partial<EvaluationInput> = {}): EvaluationInput => ({ models: fluidControlModels(DEFAULT_FLUID_PARAMS), ...withoutModels(over) });

const qos = (over: Partial<RunQos>): RunQos => ({
  latencyViolationShare: 0, latencyWindowViolationShare: 0, recoveryViolations: 0, failures: 2, meanRecoveryS: 10, maxRecoveryS: 10, unrecovered: 0, checkpointOverhead: 0.01, reconfigurations: 0, reconfigurationDowntimeS: 0,
  violationSeconds: { latency: 0, recovery: 0, total: 0 }, ...over,
});

describe('evaluation names', () => {
  it('appends @paced or @restart only when the actuator is not the policy’s default; static intervals have none', () => {
    expect(DEFAULT_ACTUATOR).toEqual({ 'khaos+': 'paced', khaos: 'restart', 'young-daly': 'paced', 'flink-backlog': 'paced' });
    expect(POLICIES.map((p) => p.name)).toEqual(['khaos+', 'khaos+@restart', 'khaos', 'young-daly', 'flink-backlog', 'static:10s', 'static:60s']);
    expect(policyUnderTest('khaos+', 'paced').name).toBe('khaos+');
    expect(policyUnderTest('khaos', 'paced')).toEqual({ name: 'khaos@paced', policy: 'khaos', actuator: 'paced' });
    expect(policyUnderTest('khaos')).toEqual({ name: 'khaos', policy: 'khaos', actuator: 'restart' });
    expect(policyUnderTest('young-daly', 'restart').name).toBe('young-daly@restart');
    expect(policyUnderTest('flink-backlog', 'restart').name).toBe('flink-backlog@restart');
    expect(policyUnderTest('static:1500')).toEqual({ name: 'static:1500ms', policy: 'static:1500', staticMs: 1500 });
    expect(policyUnderTest('static:120000').name).toBe('static:120s');
  });

  it('refuses an unknown policy and an actuator on a static interval', async () => {
    expect((await errorOf(() => policyUnderTest('khaos++'))).message).toContain('unknown policy "khaos++"');
    expect((await errorOf(() => policyUnderTest('static:30000', 'restart'))).message).toContain('a static interval never changes');
  });
});

describe('summariseRuns', () => {
  it('gives the median of each figure and p10/p90 beside it, in the JSON’s keys and order', () => {
    // Five hand-made runs: type-7 quantiles of [1, 2, 3, 4, 10] are p10 1.4, median 3, p90 7.6.
    const runs = [1, 2, 3, 4, 10].map((v) => qos({ latencyViolationShare: v / 100, recoveryViolations: v, meanRecoveryS: v * 10, maxRecoveryS: v * 20, reconfigurations: v, reconfigurationDowntimeS: v / 2, checkpointOverhead: v / 1000 }));
    const row = summariseRuns('khaos+', [runs[4]!, runs[0]!, runs[3]!, runs[1]!, runs[2]!]);
    expect(Object.keys(row)).toEqual(['name', ...METRICS, 'violationSeconds', 'lost', 'duplicated', 'spread']);
    expect(Object.keys(row)).toEqual(['name', 'latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS', 'violationSeconds', 'lost', 'duplicated', 'spread']);
    expect(Object.keys(row.spread!)).toEqual([...METRICS, 'violationSeconds']);
    expect(row.recoveryViolations).toBe(3);
    expect(row.spread!.recoveryViolations!.p10).toBeCloseTo(1.4, 12);
    expect(row.spread!.recoveryViolations!.p90).toBeCloseTo(7.6, 12);
    expect(row.latencyViolationShare).toBeCloseTo(0.03, 12);
    expect(row.meanRecoveryS).toBeCloseTo(30, 12);
    expect(row.spread!.maxRecoveryS!.p90).toBeCloseTo(152, 12);
    expect(row.failures).toBe(2);
    expect(row.spread!.failures).toEqual({ p10: 2, p90: 2 });
    expect(row.lost).toBeNull();
    expect(row.duplicated).toBeNull();
  });

  it('summarises the violation seconds one by one: the median total is not the sum of the medians', () => {
    const runs = [[0, 10, 10], [5, 0, 5], [20, 30, 40]].map(([latency, recovery, total]) => qos({ violationSeconds: { latency: latency!, recovery: recovery!, total: total! } }));
    const row = summariseRuns('x', runs);
    expect(row.violationSeconds).toEqual({ latency: 5, recovery: 10, total: 10 });
    expect(Object.keys(row.spread!.violationSeconds)).toEqual(['latency', 'recovery', 'total']);
    expect(row.spread!.violationSeconds.total.p90).toBeCloseTo(34, 12);
  });

  it('takes the median of an even count as the mean of the middle two, skips null recoveries, and has no spread for one run', () => {
    const row = summariseRuns('x', [qos({ recoveryViolations: 1, meanRecoveryS: null, maxRecoveryS: null }), qos({ recoveryViolations: 2, meanRecoveryS: 20 }), qos({ recoveryViolations: 4, meanRecoveryS: 40 }), qos({ recoveryViolations: 7, meanRecoveryS: null })]);
    expect(row.recoveryViolations).toBe(3);
    expect(row.meanRecoveryS).toBe(30);
    expect(row.spread!.meanRecoveryS).toEqual({ p10: 22, p90: 38 });
    const none = summariseRuns('y', [qos({ meanRecoveryS: null, maxRecoveryS: null }), qos({ meanRecoveryS: null, maxRecoveryS: null })]);
    expect(none.meanRecoveryS).toBeNull();
    expect(none.spread!.meanRecoveryS).toBeNull();
    const one = summariseRuns('z', [qos({ recoveryViolations: 5 })]);
    expect(one.recoveryViolations).toBe(5);
    expect('spread' in one).toBe(false);
    expect(Object.keys(one)).toEqual(['name', ...METRICS, 'violationSeconds', 'lost', 'duplicated']);
  });
});

describe('evaluateInSimulation', () => {
  const result = evaluateInSimulation(input());

  it('runs every policy on every schedule and summarises exactly the runs simulate gives', () => {
    const schedules = failureSchedules(RATES.length, 3, 2, 1800, 7, 'kill');
    expect(result.schedules).toEqual(schedules);
    expect(result.rows.map((r) => r.name)).toEqual(POLICIES.map((p) => p.name));
    // static:60s by hand: the job at 60 s on each schedule.
    const byHand = schedules.map((failures) => simulate({ ratesEps: RATES, failures, actuator: 'paced', initialIntervalMs: 60_000, control: CONTROL, qos: { latencyTargetMs: OPTIONS.latencyTargetMs, recoveryTargetS: OPTIONS.recoveryTargetS } }).qos);
    expect(result.runs[6]!.qos).toEqual(byHand);
    expect(result.rows[6]).toEqual(summariseRuns('static:60s', byHand));
    // khaos+ through the real policy, as simulate runs it.
    const khaosPlus = simulate({ ratesEps: RATES, failures: schedules[1]!, policy: 'khaos+', actuator: 'paced', initialIntervalMs: 30_000, models: fluidControlModels(DEFAULT_FLUID_PARAMS), policyOptions: OPTIONS, control: CONTROL });
    expect(result.runs[0]!.qos[1]).toEqual(khaosPlus.qos);
    for (const r of result.rows) {
      expect(r.failures).toBe(2);
      expect(r.spread).toBeDefined();
    }
  });

  it('prints exactly {policies: [{name, …, lost, duplicated, spread}]}', () => {
    const json = JSON.parse(JSON.stringify(evaluationJson(result)));
    expect(Object.keys(json)).toEqual(['policies', 'verdict']);
    expect(Object.keys(json.verdict)).toEqual(['deciding', 'reason', 'bestStatic', 'staticFrontier', 'policies']);
    for (const row of json.policies) {
      expect(Object.keys(row)).toEqual(['name', 'latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS', 'violationSeconds', 'lost', 'duplicated', 'spread']);
      expect(row.lost).toBeNull();
      expect(row.duplicated).toBeNull();
      for (const [k, s] of Object.entries(row.spread) as [string, { p10: number; p90: number }][]) expect(Object.keys(s)).toEqual(k === 'violationSeconds' ? ['latency', 'recovery', 'total'] : ['p10', 'p90']);
    }
  });

  it('has the policies act as they should: statics never change, paced changes cost nothing, restart ones do', () => {
    const row = (name: string) => result.rows.find((r) => r.name === name)!;
    expect(row('static:10s').reconfigurations).toBe(0);
    expect(row('khaos+').reconfigurationDowntimeS).toBe(0);
    const restarted = result.runs.find((r) => r.name === 'khaos+@restart')!.qos;
    for (const q of restarted) expect(q.reconfigurationDowntimeS).toBeCloseTo(q.reconfigurations * 8.5, 6);
    // Schedule 0 is kept per second for the plots.
    const rep = result.representative.runs.find((r) => r.name === 'static:10s')!;
    expect(rep.intervalMs.length).toBe(RATES.length);
    expect(new Set(rep.intervalMs)).toEqual(new Set([10_000]));
    expect(result.representative.runs.map((r) => r.failures.length)).toEqual(POLICIES.map(() => 2));
  });

  it('is deterministic by seed', () => {
    const again = evaluateInSimulation(input());
    expect(evaluationJson(again)).toEqual(evaluationJson(result));
    const other = evaluateInSimulation(input({ failures: { schedules: 3, perSchedule: 2, minSpacingSec: 1800, seed: 8, type: 'kill' } }));
    expect(other.schedules).not.toEqual(result.schedules);
    expect(evaluationJson(other)).not.toEqual(evaluationJson(result));
  });

  it('gives the same result on worker threads as in this one', async () => {
    const fluid: FluidEvaluationInput = { ...withoutModels({ policies: [POLICIES[0]!, POLICIES[2]!, POLICIES[5]!], failures: { schedules: 2, perSchedule: 2, minSpacingSec: 1800, seed: 7, type: 'kill' } }), modelOptions: {} };
    const done: string[] = [];
    const threaded = await runEvaluation({ ...fluid, onProgress: (p) => done.push(p.policy) }, { workers: 2 });
    const inline = evaluateInSimulation({ ...fluid, models: fluidControlModels(DEFAULT_FLUID_PARAMS) });
    expect(evaluationJson(threaded)).toEqual(evaluationJson(inline));
    expect(threaded.representative.runs[1]!.intervalMs).toEqual(inline.representative.runs[1]!.intervalMs);
    expect(done.sort()).toEqual(['khaos', 'khaos+', 'static:10s']);
    expect(workerCount(0, 10, 1000)).toBe(1);
    expect(workerCount(3, 2, 1000)).toBe(2);
  }, 60_000);
});

describe('evaluation: bad input, refused before any run', () => {
  it('an unknown policy', async () => {
    const e = await errorOf(() => evaluateInSimulation(input({ policies: [{ name: 'nope', policy: 'nope', actuator: 'paced' }] })));
    expect(e.message).toContain('unknown policy "nope"');
  });

  it('a policy listed twice, and none', async () => {
    expect((await errorOf(() => evaluateInSimulation(input({ policies: [POLICIES[0]!, POLICIES[0]!] })))).message).toContain('khaos+ is listed twice');
    expect((await errorOf(() => evaluateInSimulation(input({ policies: [] })))).message).toContain('no policies');
  });

  it('a trace too short for the controller', async () => {
    const e = await errorOf(() => evaluateInSimulation(input({ ratesEps: RATES.slice(0, 100) })));
    expect(e.kind).toBe('bad-input');
    expect(e.message).toMatch(/too short: 100 simulated second\(s\).*at least 120 s/);
  });

  it('a failure schedule that does not fit the trace', async () => {
    const e = await errorOf(() => evaluateInSimulation(input({ failures: { schedules: 3, perSchedule: 10, minSpacingSec: 1800, seed: 7, type: 'kill' } })));
    expect(e.message).toMatch(/does not fit the trace \(14400 simulated s\): 10 failure\(s\) at least 1800 s apart/);
    expect(e.hint).toContain('evaluate.failuresPerSchedule');
  });

  it('a trace that compresses to nothing', async () => {
    const trace = parseTraceCsv('timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,2\n', 't.csv');
    expect(simulationRates(trace, { peakRateEps: 100, compression: 60 })).toHaveLength(5);
    expect((await errorOf(() => simulationRates(trace, { peakRateEps: 0, compression: 60 }))).message).toContain('must be > 0');
    expect((await errorOf(() => simulationRates(trace, { peakRateEps: 100, compression: 600 }))).message).toContain('less than one simulated second');
  });
});

describe('simulationRates', () => {
  it('plays the whole trace at the compression, scaled so that its maximum is the peak', () => {
    const trace = parseTraceCsv('date,messages\n2024-01-01 00:00:00,10\n2024-01-01 01:00:00,40\n2024-01-01 02:00:00,20\n', 'w.csv');
    const r = simulationRates(trace, { peakRateEps: 1000, compression: 60 });
    expect(r).toHaveLength(120);
    // Second 0 is trace time 30 s: 10 + 30 × 30/3600, scaled by 1000/40.
    expect(r[0]).toBeCloseTo((10 + (30 * 30) / 3600) * 25, 9);
    expect(r[59]).toBeCloseTo((10 + (3570 * 30) / 3600) * 25, 9);
    expect(Math.max(...r)).toBeLessThanOrEqual(1000);
    expect(Math.max(...r)).toBeGreaterThan(990);
  });

  it('takes a trace of any length (a per-second week has more rows than a call takes arguments)', () => {
    const rows = 604_800;
    const start = Date.UTC(2024, 0, 1) / 1000;
    const trace = { name: 'week.csv', timesSec: Array.from({ length: rows }, (_, i) => start + i), values: Array.from({ length: rows }, (_, i) => 1 + (i % 86_400)), stepSec: 1 };
    const r = simulationRates(trace, { peakRateEps: 86_400, compression: 1 });
    expect(r).toHaveLength(rows - 1);
    expect(r[0]).toBeCloseTo(1.5, 9);
    expect(r[86_398]).toBeCloseTo(86_399.5, 6);
  });
});
