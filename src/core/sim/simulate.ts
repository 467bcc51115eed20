import { createPolicy } from '../control/policies.js';
import { DEFAULT_POLICY_OPTIONS, initialPolicyState, type ActuatorKind, type ControlModels, type Decision, type Policy, type PolicyOptions, type PolicyState } from '../control/policy.js';
import { badInput } from '../errors.js';
import type { RunQos } from '../evaluation/qos.js';
import { FAILURE_TYPE_REGISTRY, FAILURE_TYPES, TIMED_FAILURE_TYPES } from '../failure-types.js';
import { DOWN_SECOND, judgeLatency, violationSeconds } from '../evaluation/violations.js';
import { detectorOptions, type JobSample, type RecoveryOptions } from '../profiling/recovery.js';
import type { FailureSpec } from './failures.js';
import { reportedState } from './flink-states.js';
import { reconfigure, requestCheckpoint, setPacedInterval } from './fluid-commands.js';
import { DEFAULT_FLUID_PARAMS, type FluidParams } from './fluid-params.js';
import { createFluidJob, FLUID_PHASES, newStepTotals, type FluidListener, type FluidState, type StepTotals } from './fluid-state.js';
import { SimObserver, type SimControlOptions } from './observer.js';
import { oracleInterval, type OracleOptions } from './oracle.js';
import { baselineOf, newSeries, PHASE_INDEX, recordSecond, RUNNING_REPORTED, stepSecond, type SimSeries } from './seconds.js';
import { RecoveryTracker } from './recovery-tracker.js';

/**
 * SIMULATED runs: a trace of per-second input rates drives the fluid job (fluid.ts) while a
 * policy controls its interval exactly as in production — every controller tick builds the
 * Observation the real controller builds (observer.ts) and calls the real `Policy.decide`; a
 * change goes through the chosen actuator (paced: at once; restart: savepoint, relaunch, restore,
 * during which the controller waits, as it waits for the real actuator). The QoS metrics are
 * measured as on a real run: recovery with the profiling detector from each injected failure.
 * Every result says `simulated: true`.
 */


/** The controller's defaults (config control.tick, window, forecast*, recoveryTimeout; the session's detector). */
export const DEFAULT_CONTROL: SimControlOptions = {
  tickSec: 1,
  windowMs: 300_000,
  forecast: { enabled: true, horizonMs: 600_000, historyMs: 1_800_000 },
  recovery: detectorOptions(300_000),
  recoveryTimeoutMs: 600_000,
};

/** The window of the paper's latency metric: the controller's 5-minute mean (control.window's default). */
export const DEFAULT_LATENCY_WINDOW_SEC = 300;

export interface SimulationInput {
  /** Input rate of each second of the trace, events/s (finite, ≥ 0). The run lasts as many seconds. */
  ratesEps: ArrayLike<number>;
  failures?: readonly FailureSpec[];
  /**
   * A policy name for createPolicy (`khaos+`, `khaos`, `static:<ms>`, `young-daly`,
   * `flink-backlog`) or a Policy; undefined: no controller, the interval stays `initialIntervalMs`.
   */
  policy?: string | Policy;
  /** Over DEFAULT_POLICY_OPTIONS. */
  policyOptions?: Partial<PolicyOptions>;
  actuator: ActuatorKind;
  /** The interval the job starts with (paced: the pacer's), ms. */
  initialIntervalMs: number;
  /** Default DEFAULT_FLUID_PARAMS. */
  params?: FluidParams;
  /** For khaos and khaos+ (e.g. fitModels on profiled samples, or fluidControlModels); without them they keep the interval. */
  models?: ControlModels;
  /** Over DEFAULT_CONTROL (forecast and recovery merged one level deep; the detector's baseline defaults to the window). */
  control?: Partial<Omit<SimControlOptions, 'forecast' | 'recovery'>> & { forecast?: Partial<SimControlOptions['forecast']>; recovery?: Partial<RecoveryOptions> };
  qos?: {
    /** Defaults: the policy options' targets. */
    latencyTargetMs?: number;
    recoveryTargetS?: number;
    /** The window of latencyWindowViolationShare, whole seconds (default 300: the paper's 5-minute mean). */
    latencyWindowSec?: number;
  };
  /** Every state change of the fluid job, as it happens. */
  onEvent?: FluidListener;
  /** Every decision of the policy that is not a wait, with the simulated second it was taken at (for tracing why). */
  onDecision?: (atSec: number, decision: Decision) => void;
  /** Instead of a policy: the load oracle chooses the interval (oracle.ts); needs the paced actuator. */
  oracle?: OracleOptions;
}


export interface SimFailureOutcome {
  atSec: number;
  type: FailureSpec['type'];
  /** Injection → lag back to normal, sustained (profiling's detector), s; null when the trace ended first. */
  recoverySec: number | null;
  detectedAtSec?: number;
  runningAtSec?: number;
}

export interface SimChange {
  atSec: number;
  fromMs: number;
  toMs: number;
  /** Request → processing again, ms (0 for paced). */
  outageMs: number;
  reason: string;
}

export interface SimulationResult {
  simulated: true;
  policy: string;
  actuator: ActuatorKind;
  durationSec: number;
  qos: RunQos;
  failures: SimFailureOutcome[];
  changes: SimChange[];
  decisions: { waits: number; evaluations: number; changes: number; failedChanges: number };
  totals: { inputEvents: number; processedEvents: number; rewoundEvents: number; backlogAtEnd: number; checkpoints: number; checkpointsAborted: number; restarts: number };
  series: SimSeries;
  /** The fluid job at the end. */
  job: FluidState;
}

/** What the sampler would have read at the end of second `s` of a run. */
export function jobSampleAt(series: SimSeries, s: number): JobSample {
  const state = reportedState(FLUID_PHASES[series.phase[s]!]!);
  const running = state === 'RUNNING';
  return {
    tMs: (s + 1) * 1000,
    state,
    lag: running ? series.backlog[s] : undefined,
    inputEps: series.rateReported[s] ? series.processedEps[s] : undefined,
    latencyP99Ms: running ? series.latencyMs[s] : undefined,
  };
}

function resolveControl(c: SimulationInput['control']): SimControlOptions {
  const windowMs = c?.windowMs ?? DEFAULT_CONTROL.windowMs;
  const o: SimControlOptions = {
    tickSec: c?.tickSec ?? DEFAULT_CONTROL.tickSec,
    windowMs,
    forecast: { ...DEFAULT_CONTROL.forecast, ...c?.forecast },
    recovery: { ...DEFAULT_CONTROL.recovery, baselineMs: windowMs, ...c?.recovery },
    recoveryTimeoutMs: c?.recoveryTimeoutMs ?? DEFAULT_CONTROL.recoveryTimeoutMs,
  };
  const problems: string[] = [];
  if (!(Number.isInteger(o.tickSec) && o.tickSec >= 1)) problems.push(`tickSec must be a whole number ≥ 1, got ${o.tickSec}`);
  if (!(o.windowMs > 0)) problems.push(`windowMs must be > 0, got ${o.windowMs}`);
  if (!(o.recovery.sustainMs >= o.recovery.sampleEveryMs && o.recovery.sampleEveryMs > 0)) problems.push(`recovery.sustainMs must be at least one sampling period (recovery.sampleEveryMs > 0), got ${o.recovery.sustainMs} and ${o.recovery.sampleEveryMs}`);
  if (!(o.recovery.baselineMs > 0)) problems.push(`recovery.baselineMs must be > 0, got ${o.recovery.baselineMs}`);
  if (!(o.recovery.slackSeconds >= 0)) problems.push(`recovery.slackSeconds must be ≥ 0, got ${o.recovery.slackSeconds}`);
  if (!(o.recoveryTimeoutMs > 0)) problems.push(`recoveryTimeoutMs must be > 0, got ${o.recoveryTimeoutMs}`);
  if (o.forecast.enabled && !(o.forecast.horizonMs > 0 && o.forecast.historyMs > 0)) problems.push('forecast horizonMs and historyMs must be > 0');
  if (problems.length > 0) throw badInput(`simulation control options: ${problems.join('; ')}`);
  return o;
}

function checkTrace(rates: ArrayLike<number>): void {
  if (rates.length === 0) throw badInput('the simulation trace is empty', 'give at least one second of input rates');
  const bad: string[] = [];
  for (let i = 0; i < rates.length && bad.length < 5; i++) {
    const r = rates[i]!;
    if (!(Number.isFinite(r) && r >= 0)) bad.push(`second ${i}: ${r}`);
  }
  if (bad.length > 0) throw badInput(`the simulation trace has rates that are negative or not finite (${bad.join(', ')}${bad.length === 5 ? ', …' : ''})`, 'input rates are events/s, ≥ 0');
}

function checkFailures(failures: readonly FailureSpec[], lengthSec: number): FailureSpec[] {
  const bad: string[] = [];
  for (const [i, f] of failures.entries()) {
    if (!(Number.isFinite(f.atSec) && f.atSec >= 0 && f.atSec < lengthSec)) bad.push(`failure ${i} at ${f.atSec} s is outside the trace [0, ${lengthSec}) s`);
    if (!FAILURE_TYPES.includes(f.type)) bad.push(`failure ${i} has unknown type "${f.type}" (use ${FAILURE_TYPES.join(', ')})`);
    if (f.freezeSec !== undefined && (!TIMED_FAILURE_TYPES.includes(f.type) || !(f.freezeSec > 0))) bad.push(`failure ${i}: freezeSec ${f.freezeSec} needs type ${TIMED_FAILURE_TYPES.join(' or ')} and a value > 0`);
  }
  if (bad.length > 0) throw badInput(`simulation failures: ${bad.join('; ')}`);
  return [...failures].sort((a, b) => a.atSec - b.atSec);
}

/**
 * Runs the trace through the fluid job under the policy. 1-second steps; a failure inside a
 * second splits it at its time. Throws `bad-input` for a bad trace, failure, policy name, option
 * or parameter.
 */
export function simulate(input: SimulationInput): SimulationResult {
  checkTrace(input.ratesEps);
  const N = input.ratesEps.length;
  const failures = checkFailures(input.failures ?? [], N);
  const control = resolveControl(input.control);
  const options: PolicyOptions = { ...DEFAULT_POLICY_OPTIONS, ...input.policyOptions };
  const policy = typeof input.policy === 'string' ? createPolicy(input.policy, options) : input.policy;
  const latencyTargetMs = input.qos?.latencyTargetMs ?? options.latencyTargetMs;
  const recoveryTargetS = input.qos?.recoveryTargetS ?? options.recoveryTargetS;
  const latencyWindowSec = input.qos?.latencyWindowSec ?? DEFAULT_LATENCY_WINDOW_SEC;
  if (!(Number.isInteger(latencyWindowSec) && latencyWindowSec >= 1)) throw badInput(`qos.latencyWindowSec must be a whole number ≥ 1, got ${latencyWindowSec}`);
  const params = input.params ?? DEFAULT_FLUID_PARAMS;
  const actuator = input.actuator;
  if (actuator !== 'paced' && actuator !== 'restart') throw badInput(`unknown actuator "${String(actuator)}"`, 'use paced or restart');
  const oracle = input.oracle;
  if (oracle && (policy || actuator !== 'paced')) throw badInput('the load oracle chooses the interval itself, with free (paced) changes', 'give it no policy and the paced actuator');
  // Time with a checkpoint in flight, from the job's own events: the fluid's checkpointingMs counts
  // only time spent processing, not a checkpoint left in flight by a failure until it is aborted.
  let inFlightSinceMs: number | undefined;
  let inFlightMs = 0;
  const on: FluidListener = (e) => {
    if (e.kind === 'checkpoint-triggered') inFlightSinceMs = e.atMs;
    else if ((e.kind === 'checkpoint-completed' || e.kind === 'checkpoint-aborted') && inFlightSinceMs !== undefined) {
      inFlightMs += e.atMs - inFlightSinceMs;
      inFlightSinceMs = undefined;
    }
    input.onEvent?.(e);
  };
  const job = createFluidJob(params, { actuator, intervalMs: input.initialIntervalMs, atMs: 0 });

  const series = newSeries(N);
  const phaseIndex = PHASE_INDEX;
  const runningReported = RUNNING_REPORTED;

  const observer = policy ? new SimObserver(control, N, 0, 0) : undefined;
  let policyState: PolicyState = initialPolicyState();
  const decisions = { waits: 0, evaluations: 0, changes: 0, failedChanges: 0 };
  const changes: SimChange[] = [];
  /** A restart reconfiguration under way: the controller waits for it, as for the real actuator. */
  let pending: { decision: Decision; before: PolicyState; atSec: number; failedBefore: number; downtimeBeforeMs: number } | undefined;
  let nextTickSec = control.tickSec;

  const outcomes: SimFailureOutcome[] = [];
  const open: { tracker: RecoveryTracker; outcome: SimFailureOutcome }[] = [];
  const totals: StepTotals = newStepTotals();
  let nextFailure = 0;

  for (let s = 0; s < N; s++) {
    if (oracle && s % oracle.windowSec === 0) {
      const to = oracleInterval(job, s, input.ratesEps, series, oracle, control.recovery);
      if (to.intervalMs !== job.intervalMs) {
        changes.push({ atSec: s, fromMs: job.intervalMs, toMs: to.intervalMs, outageMs: 0, reason: to.reason });
        decisions.changes++;
        setPacedInterval(job, to.intervalMs, on);
      }
      decisions.evaluations++;
    }
    const due: FailureSpec[] = [];
    while (nextFailure < failures.length && failures[nextFailure]!.atSec < s + 1) due.push(failures[nextFailure++]!);
    stepSecond(job, input.ratesEps[s]!, totals, due, on, (f, atMs) => {
      const outcome: SimFailureOutcome = { atSec: f.atSec, type: f.type, recoverySec: null };
      outcomes.push(outcome);
      open.push({ tracker: new RecoveryTracker(atMs, baselineOf(series, s, atMs, control.recovery.baselineMs, runningReported), { ...control.recovery, requireRestart: FAILURE_TYPE_REGISTRY[f.type].restarts }), outcome });
    });
    recordSecond(series, s, job, totals, phaseIndex, runningReported);
    const running = runningReported[series.phase[s]!]!;

    if (open.length > 0) {
      const sample = jobSampleAt(series, s);
      for (let k = open.length - 1; k >= 0; k--) {
        const o = open[k]!;
        if (o.tracker.push(sample.tMs, sample.state, sample.lag)) {
          o.outcome.recoverySec = o.tracker.recoverySec!;
          open.splice(k, 1);
          // As khaos+ does after each recovery (docs/control.md): a fresh restore point at once.
          if (oracle) requestCheckpoint(job);
        }
        if (o.tracker.detectedAtMs !== undefined) o.outcome.detectedAtSec = o.tracker.detectedAtMs / 1000;
        if (o.tracker.runningAtMs !== undefined) o.outcome.runningAtSec = o.tracker.runningAtMs / 1000;
      }
    }

    if (!observer || !policy) continue;
    if (pending && !job.reconfiguration) {
      // The actuator returned: applied, or failed (the savepoint failed with the job) and then not counted.
      const failed = job.counters.reconfigurationsFailed > pending.failedBefore;
      if (failed) {
        decisions.failedChanges++;
        policyState = { ...policyState, lastChangeMs: pending.before.lastChangeMs, changeTimesMs: pending.before.changeTimesMs };
      } else {
        decisions.changes++;
        const outageMs = job.counters.reconfigurationDowntimeMs - pending.downtimeBeforeMs;
        changes.push({ atSec: pending.atSec, fromMs: pending.decision.fromIntervalMs, toMs: pending.decision.toIntervalMs, outageMs, reason: pending.decision.reason });
      }
      pending = undefined;
      nextTickSec = s + 1;
    }
    if (pending || s + 1 < nextTickSec) continue;
    nextTickSec = s + 1 + control.tickSec;
    const sample = jobSampleAt(series, s);
    if (running) {
      sample.restarts = job.numRestarts;
      if (job.lastCompleted) sample.lastCheckpointMs = job.lastCompleted.completedAtMs - job.lastCompleted.triggeredAtMs;
    }
    const obs = observer.tick(sample, job.intervalMs);
    const { decision, state } = policy.decide(obs, policyState, { actuator, models: input.models });
    if (decision.checkpointNow && actuator === 'paced') requestCheckpoint(job);
    if (decision.action === 'wait') {
      decisions.waits++;
      policyState = state;
      continue;
    }
    decisions.evaluations++;
    input.onDecision?.(s + 1, decision);
    if (decision.action !== 'change') {
      policyState = state;
      continue;
    }
    if (actuator === 'paced') {
      setPacedInterval(job, decision.toIntervalMs, on);
      decisions.changes++;
      changes.push({ atSec: s + 1, fromMs: decision.fromIntervalMs, toMs: decision.toIntervalMs, outageMs: 0, reason: decision.reason });
      policyState = state;
    } else if (reconfigure(job, decision.toIntervalMs, on)) {
      pending = { decision, before: policyState, atSec: s + 1, failedBefore: job.counters.reconfigurationsFailed, downtimeBeforeMs: job.counters.reconfigurationDowntimeMs };
      policyState = state;
    } else {
      // Flink refuses a savepoint unless every task runs: the change fails and is not counted.
      decisions.failedChanges++;
      policyState = { ...state, lastChangeMs: policyState.lastChangeMs, changeTimesMs: policyState.changeTimesMs };
    }
  }

  const recovered = outcomes.flatMap((o) => (o.recoverySec === null ? [] : [o.recoverySec]));
  const latency = judgeLatency(judgedLatency(series, runningReported), latencyTargetMs, latencyWindowSec);
  const qos: RunQos = {
    latencyViolationShare: latency.perSecondShare,
    latencyWindowViolationShare: latency.windowShare,
    recoveryViolations: outcomes.filter((o) => o.recoverySec === null || o.recoverySec > recoveryTargetS).length,
    failures: outcomes.length,
    meanRecoveryS: recovered.length > 0 ? recovered.reduce((a, b) => a + b, 0) / recovered.length : null,
    maxRecoveryS: recovered.length > 0 ? Math.max(...recovered) : null,
    unrecovered: outcomes.length - recovered.length,
    checkpointOverhead: (inFlightMs + (inFlightSinceMs === undefined ? 0 : job.tMs - inFlightSinceMs)) / (N * 1000),
    reconfigurations: changes.length,
    reconfigurationDowntimeS: job.counters.reconfigurationDowntimeMs / 1000,
    violationSeconds: violationSeconds(latency.overPerSecond, outcomes, recoveryTargetS),
  };
  return {
    simulated: true,
    policy: policy?.name ?? (oracle ? 'oracle' : `none (interval ${input.initialIntervalMs} ms)`),
    actuator,
    durationSec: N,
    qos,
    failures: outcomes,
    changes,
    decisions,
    totals: {
      inputEvents: job.inputOffset,
      processedEvents: job.processedTotal,
      rewoundEvents: job.rewoundTotal,
      backlogAtEnd: job.inputOffset - job.consumed,
      checkpoints: job.counters.checkpointsCompleted,
      checkpointsAborted: job.counters.checkpointsAborted,
      restarts: job.counters.restarts,
    },
    series,
    job,
  };
}

/**
 * The per-second p99 series the QoS is judged on, as a real run's is (evaluation/violations.ts):
 * the p99 of each second the job reports RUNNING, DOWN_SECOND for the others (a real sampler
 * reads no latency then).
 */
export function judgedLatency(series: Pick<SimSeries, 'latencyMs' | 'phase'>, runningReported: readonly boolean[] = RUNNING_REPORTED): Float64Array {
  const out = new Float64Array(series.latencyMs.length);
  for (let s = 0; s < out.length; s++) out[s] = runningReported[series.phase[s]!] ? series.latencyMs[s]! : DOWN_SECOND;
  return out;
}
