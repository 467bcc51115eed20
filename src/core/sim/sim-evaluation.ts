import { createPolicy, type PolicyUnderTest } from '../control/policies.js';
import type { ControlModels, PolicyOptions } from '../control/policy.js';
import { badInput, KhaosError } from '../errors.js';
import { rateAt, traceScale, type Trace, type TraceScaling } from '../load/trace.js';
import { failureSchedules, type FailureSpec } from './failures.js';
import { checkParams, type FluidParams } from './fluid-params.js';
import type { FailureType } from '../failure-types.js';
import { judgeScenario, ORACLE_NAME } from '../evaluation/verdict.js';
import { summariseRuns, type EvaluationJson, type EvaluationRow, type RunQos } from '../evaluation/qos.js';
import type { OracleOptions } from './oracle.js';
import { DEFAULT_CONTROL, DEFAULT_LATENCY_WINDOW_SEC, simulate, type SimChange, type SimFailureOutcome, type SimulationInput } from './simulate.js';

/**
 * SIMULATED evaluation of policies (`khaos evaluate --sim`): every policy runs through the fluid
 * job over the whole trace once per seeded failure schedule, and each QoS figure is summarised by
 * its median over the schedules with the 10th and 90th percentiles beside it. Everything here is
 * labelled simulated; `lost` and `duplicated` are null because the fluid model has no events.
 */

// The policies, their names and default actuators come from the registry (core/control/policies.ts).
export { DEFAULT_ACTUATOR, policyUnderTest, staticIntervalLabel, type PolicyUnderTest } from '../control/policies.js';

/** The load oracle as an evaluated row (`evaluate.oracle`; oracle.ts). */
export const ORACLE_POLICY: PolicyUnderTest = Object.freeze({ name: ORACLE_NAME, policy: ORACLE_NAME, oracle: true });

/** How the failures are drawn: `schedules` seeded schedules of `perSchedule` failures each (failureSchedules). */
export interface FailurePlan {
  schedules: number;
  perSchedule: number;
  minSpacingSec: number;
  seed: number;
  type: FailureType;
}

/**
 * Most simulated seconds of one evaluation: 80 MB of rates, and some 5 s per policy and schedule
 * (nyc_taxi at replay.compression 10, 1.86 M s: `khaos evaluate --sim --policies static:30s
 * --schedules 1` took 1.7 s, process included). Past it a small compression fails late, or out of memory.
 */
export const MAX_SIMULATED_SEC = 10_000_000;

/**
 * The input rate of each simulated second over the whole trace: the trace read as the replayer
 * reads it (rateAt: linear interpolation, at the middle of each second, `compression` trace
 * seconds per simulated second), scaled so that its maximum value is `peakRateEps`. Rates stay
 * fractional (the fluid job needs no whole events). Any length: nothing here spreads the trace
 * into a call's arguments.
 */
export function simulationRates(trace: Trace, o: TraceScaling & { compression: number }): Float64Array {
  if (!(o.peakRateEps > 0 && o.compression > 0)) throw badInput(`the peak rate (${o.peakRateEps} events/s) and the compression (${o.compression}) must be > 0`);
  const t0 = trace.timesSec[0]!;
  const spanSec = trace.timesSec[trace.timesSec.length - 1]! - t0;
  const durationSec = Math.floor(spanSec / o.compression);
  if (durationSec < 1) throw badInput(`trace ${trace.name} spans ${spanSec} s: at compression ${o.compression} that is less than one simulated second`, 'use a longer trace or a smaller replay.compression');
  if (durationSec > MAX_SIMULATED_SEC) throw badInput(`replay.compression ${o.compression} makes trace ${trace.name} (${spanSec} s) ${durationSec} simulated seconds; the simulator runs at most ${MAX_SIMULATED_SEC} (about ${Math.round(MAX_SIMULATED_SEC / 86_400)} days)`, `set replay.compression to at least ${Math.ceil((spanSec / MAX_SIMULATED_SEC) * 100) / 100}`);
  const scale = traceScale(trace, o);
  const rates = new Float64Array(durationSec);
  for (let i = 0; i < durationSec; i++) rates[i] = rateAt(trace, t0 + (i + 0.5) * o.compression) * scale;
  return rates;
}

export interface EvaluationInput {
  /** Input rate of each simulated second (simulationRates). */
  ratesEps: ArrayLike<number>;
  policies: readonly PolicyUnderTest[];
  failures: FailurePlan;
  params: FluidParams;
  /** For khaos and khaos+ (e.g. fluidControlModels of `params`). */
  models: ControlModels;
  /** Every policy's options; the QoS targets are its latency and recovery targets. */
  policyOptions: PolicyOptions;
  control?: SimulationInput['control'];
  /** The window of latencyWindowViolationShare, whole seconds (default 300: the paper's 5-minute mean). */
  latencyWindowSec?: number;
  /** The interval the job starts with under a policy that changes it, ms. */
  initialIntervalMs: number;
  /** After each policy's runs, for progress lines. */
  onProgress?: (p: { policy: string; index: number; of: number; runs: number }) => void;
}

/** What one policy did on the representative schedule (schedule 0), for the plots. */
export interface RepresentativeRun {
  name: string;
  /** Interval in force at the end of each second, ms. */
  intervalMs: Float64Array;
  /** p99 latency of each second, ms. */
  latencyMs: Float64Array;
  failures: SimFailureOutcome[];
  changes: SimChange[];
}

export interface EvaluationResult {
  simulated: true;
  durationSec: number;
  /** The JSON rows, in the order of `policies`. */
  rows: EvaluationRow[];
  /** Each policy's runs, one per schedule in order: its QoS and failure outcomes. */
  runs: { name: string; qos: RunQos[]; failures: SimFailureOutcome[][] }[];
  schedules: FailureSpec[][];
  /** Schedule 0, whose runs the plots show. */
  representative: { schedule: 0; inputEps: ArrayLike<number>; runs: RepresentativeRun[] };
}

/** The least simulated time a policy needs to do anything: minUptime before its first evaluation, and a window of samples for its means. */
export function minimumSimulatedSec(options: Pick<PolicyOptions, 'minUptimeMs'>, windowMs: number): number {
  return Math.max(2, Math.ceil((options.minUptimeMs + windowMs) / 1000));
}

/** The checked schedule of an evaluation: what runs, on which failures. */
export interface EvaluationPlan {
  durationSec: number;
  schedules: FailureSpec[][];
  /** The load oracle's options, when it is among the policies. */
  oracle?: OracleOptions;
}

/** Candidates of the oracle besides the statics evaluated: this many, geometric over control.candidateMin–candidateMax (its cost grows with them). */
export const ORACLE_GRID = 8;

/**
 * The oracle of an evaluation: deciding as often as the policies evaluate, looking as far ahead as
 * they forecast (control.forecastHorizon), among the static
 * intervals evaluated and ORACLE_GRID intervals spread geometrically over the policies' candidate
 * range (whole seconds), knowing the scenario's failure type and rate.
 */
export function oracleOptions(input: Pick<EvaluationInput, 'policies' | 'failures' | 'policyOptions' | 'control'>, durationSec: number): OracleOptions {
  const o = input.policyOptions;
  const grid = Array.from({ length: ORACLE_GRID }, (_, i) => Math.max(1000, Math.round((o.candidateMinMs * (o.candidateMaxMs / o.candidateMinMs) ** (i / (ORACLE_GRID - 1))) / 1000) * 1000));
  const statics = input.policies.flatMap((p) => (p.staticMs === undefined ? [] : [p.staticMs]));
  return {
    windowSec: Math.max(1, Math.round(o.evaluateEveryMs / 1000)),
    lookaheadSec: Math.round((input.control?.forecast?.horizonMs ?? DEFAULT_CONTROL.forecast.horizonMs) / 1000),
    candidatesMs: [...new Set([...statics, ...grid])].sort((a, b) => a - b),
    failureType: input.failures.type,
    failuresPerSec: input.failures.perSchedule / durationSec,
    latencyTargetMs: o.latencyTargetMs,
    recoveryTargetS: o.recoveryTargetS,
    maxRecoverySec: Math.round((input.control?.recoveryTimeoutMs ?? DEFAULT_CONTROL.recoveryTimeoutMs) / 1000),
  };
}

/**
 * Checks every input and draws the failure schedules. Throws `bad-input` for: no policies or a
 * repeated name, an unknown policy or bad options, bad parameters, a trace too short for the
 * controller (minimumSimulatedSec), failures that do not fit the trace.
 */
export function planEvaluation(input: Omit<EvaluationInput, 'models' | 'onProgress'>): EvaluationPlan {
  const { ratesEps, policies, failures: plan } = input;
  const N = ratesEps.length;
  if (policies.length === 0) throw badInput('no policies to evaluate', 'list at least one in evaluate.policies or --policies');
  const seen = new Set<string>();
  for (const p of policies) {
    if (seen.has(p.name)) throw badInput(`policy ${p.name} is listed twice`, 'list each policy (with its actuator) once');
    seen.add(p.name);
    if (!p.oracle) createPolicy(p.policy, input.policyOptions);
  }
  checkParams(input.params);
  const windowMs = input.control?.windowMs ?? DEFAULT_CONTROL.windowMs;
  const needed = minimumSimulatedSec(input.policyOptions, windowMs);
  if (N < needed)
    throw badInput(
      `the trace is too short: ${N} simulated second(s), and a policy needs at least ${needed} s (control.minUptime + control.window) before it can decide anything`,
      'use a longer trace or a smaller replay.compression',
    );
  try {
    const schedules = failureSchedules(N, plan.schedules, plan.perSchedule, plan.minSpacingSec, plan.seed, plan.type);
    return { durationSec: N, schedules, ...(policies.some((p) => p.oracle) ? { oracle: oracleOptions(input, N) } : {}) };
  } catch (e) {
    if (e instanceof KhaosError && e.kind === 'bad-input')
      throw badInput(`the failure schedule does not fit the trace (${N} simulated s): ${e.message.replace(/^failure schedules: /, '')}`, `${e.hint ? `${e.hint}; ` : ''}set evaluate.failuresPerSchedule, evaluate.minSpacing or replay.compression`);
    throw e;
  }
}

/** One policy's run on one schedule: what the summary and the plots need of it. */
export interface RunOutcome {
  qos: RunQos;
  failures: SimFailureOutcome[];
  changes: SimChange[];
  /** Only when asked for (the representative schedule). */
  series?: { intervalMs: Float64Array; latencyMs: Float64Array };
}

/** Runs `policy` on one schedule (`failures`); `keepSeries` keeps its interval and latency per second. `oracle`: the plan's, for the oracle. */
export function runPolicy(input: Omit<EvaluationInput, 'policies' | 'failures' | 'onProgress'> & { oracle?: OracleOptions }, policy: PolicyUnderTest, failures: readonly FailureSpec[], keepSeries: boolean): RunOutcome {
  const common = {
    ratesEps: input.ratesEps, failures, params: input.params, control: input.control, policyOptions: input.policyOptions,
    qos: { latencyTargetMs: input.policyOptions.latencyTargetMs, recoveryTargetS: input.policyOptions.recoveryTargetS, latencyWindowSec: input.latencyWindowSec ?? DEFAULT_LATENCY_WINDOW_SEC },
  };
  // A static interval never changes: the job simply runs at it, without a controller (the same QoS, a quarter of the time).
  if (policy.oracle && !input.oracle) throw new KhaosError('bug', 'the oracle runs without its options (EvaluationPlan.oracle)');
  const r =
    policy.staticMs !== undefined
      ? simulate({ ...common, actuator: 'paced', initialIntervalMs: policy.staticMs })
      : policy.oracle
        ? simulate({ ...common, actuator: 'paced', initialIntervalMs: input.initialIntervalMs, oracle: input.oracle })
        : simulate({ ...common, policy: policy.policy, actuator: policy.actuator!, initialIntervalMs: input.initialIntervalMs, models: input.models });
  return { qos: r.qos, failures: r.failures, changes: r.changes, ...(keepSeries ? { series: { intervalMs: r.series.intervalMs, latencyMs: r.series.latencyMs } } : {}) };
}

/** The result from every run: `outcomes[i][k]` is policy i on schedule k (schedule 0 with its series). */
export function assembleEvaluation(input: Pick<EvaluationInput, 'ratesEps' | 'policies'>, plan: EvaluationPlan, outcomes: readonly (readonly RunOutcome[])[]): EvaluationResult {
  const representative = input.policies.map((p, i): RepresentativeRun => {
    const first = outcomes[i]![0]!;
    if (!first.series) throw new KhaosError('bug', `the run of ${p.name} on schedule 0 has no series`);
    return { name: p.name, ...first.series, failures: first.failures, changes: first.changes };
  });
  return {
    simulated: true,
    durationSec: plan.durationSec,
    rows: input.policies.map((p, i) => summariseRuns(p.name, outcomes[i]!.map((o) => o.qos))),
    runs: input.policies.map((p, i) => ({ name: p.name, qos: outcomes[i]!.map((o) => o.qos), failures: outcomes[i]!.map((o) => o.failures) })),
    schedules: plan.schedules,
    representative: { schedule: 0, inputEps: input.ratesEps, runs: representative },
  };
}

/**
 * Checks every input (planEvaluation), then simulates each policy on every schedule, one after
 * the other. Deterministic: the same input gives the same result.
 */
export function evaluateInSimulation(input: EvaluationInput): EvaluationResult {
  const plan = planEvaluation(input);
  const outcomes = input.policies.map((p, index) => {
    const runs = plan.schedules.map((failures, k) => runPolicy({ ...input, oracle: plan.oracle }, p, failures, k === 0));
    input.onProgress?.({ policy: p.name, index, of: input.policies.length, runs: runs.length });
    return runs;
  });
  return assembleEvaluation(input, plan, outcomes);
}

/** The JSON of a result, exactly `{policies: [...], verdict}`. */
export const evaluationJson = (r: EvaluationResult): EvaluationJson => ({ policies: r.rows, verdict: judgeScenario(r.rows) });
