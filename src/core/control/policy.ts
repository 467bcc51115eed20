import type { IntervalModel } from '../models/regression.js';

/**
 * Phase 3 policies: from what the controller observed of a running job, choose its checkpoint
 * interval. Pure: time arrives in the observation, state is passed in and returned, never kept.
 * Units: intervals and times in ms, throughput in events/s, latency in ms, recovery in s.
 */

/** How an interval change reaches the job: it decides what a change costs. */
export type ActuatorKind = 'paced' | 'restart';

/** The latency and recovery models a decision uses, and where they came from. */
export interface ControlModels {
  latency: IntervalModel;
  recovery: IntervalModel;
  /** Names the model files (or online refit) the predictions came from; recorded with every decision. */
  version: string;
  /** Checkpoint intervals the models were trained on, ms. */
  trainedCiMs: { min: number; max: number };
  /** Throughputs the models were trained on, events/s. */
  trainedThroughputEps: { min: number; max: number };
}

/** What the controller saw of the job over the last observation window. */
export interface Observation {
  atMs: number;
  /** The interval the job is checkpointing at now (paced: the pacer's; restart: the job's), ms. */
  intervalMs: number;
  /** Mean input throughput over the window, events/s: what the job processed (the source's record counter). */
  throughputEps: number;
  /**
   * Mean arrival rate over the window, events/s: the throughput plus the growth of the consumer
   * lag (arrival.ts). Above the throughput while a backlog grows, below it while one drains;
   * undefined when the lag is not reported.
   */
  arrivalEps?: number;
  /** Mean of the p99 latency over the window, ms. */
  latencyMs: number;
  /** Highest forecast input rate over the forecast horizon, events/s; undefined when forecasting is off or not ready. */
  forecastEps?: number;
  /** How long the job has been RUNNING without interruption, ms. */
  uptimeMs: number;
  /** Duration of the last completed checkpoint, ms (Young/Daly). */
  checkpointDurationMs?: number;
  /** Failures observed since control began and over how long, for an observed MTBF. */
  failuresSeen: number;
  observedForMs: number;
  /** Consumer lag now, records (the flink-backlog emulation). */
  lagRecords?: number;
  /** True while a failure's recovery is under way: policies keep the interval then. */
  recovering: boolean;
  /**
   * True on the first observation after a recovery completed. With the paced actuator `khaos+`
   * then asks for a checkpoint at once, so that a second failure does not replay the first one's
   * backlog as well.
   */
  recoveryJustEnded?: boolean;
  /**
   * True while the observation window still holds seconds of a recovery that has ended: its
   * latency and rates are of the catch-up (latencies of the replayed backlog, tens of seconds), not
   * of the interval. Policies do not evaluate on such a window. Undefined: false.
   */
  windowHasRecovery?: boolean;
}

/** Memory a policy carries from one evaluation to the next (stored with each decision). */
export interface PolicyState {
  /** When the policy last evaluated (made a keep/change decision), ms. */
  lastEvaluationMs?: number;
  /** When it last changed the interval, ms. */
  lastChangeMs?: number;
  /** Times of recent changes, ms, for the rate limit. */
  changeTimesMs: number[];
  /** Observed / predicted latency of recent evaluations, newest last (the `khaos` correction). */
  latencyRatios: number[];
  /**
   * khaos+: whether the interval in force after its last evaluation was predicted to meet each
   * target. Between evaluations it re-checks that interval every tick, and evaluates at once when a
   * target met then is crossed now (docs/control.md, "Cadence").
   */
  met?: { latency: boolean; recovery: boolean };
}

export const initialPolicyState = (): PolicyState => ({ changeTimesMs: [], latencyRatios: [] });

/** The predictions behind a decision, at the load it was judged on. */
export interface Predictions {
  /** The load the predictions are for (current, or the forecast when higher and forecasting is on). */
  throughputEps: number;
  /** Latency at the current interval (corrected where the policy corrects), ms. */
  latencyMs?: number;
  /** Recovery at the current interval: point and prediction interval, s. */
  recoveryS?: { low: number; mid: number; high: number };
  /** At the chosen interval, when it differs. */
  chosenLatencyMs?: number;
  chosenRecoveryS?: { low: number; mid: number; high: number };
  /** The candidate intervals weighed, when the policy weighed any (absent in decisions recorded before they were kept). */
  candidates?: CandidatesWeighed;
}

/** One candidate interval a policy weighed, with what its models predicted there. */
export interface CandidatePrediction {
  intervalMs: number;
  /** Latency predicted (corrected where the policy corrects), ms. */
  latencyMs: number;
  /** Recovery predicted: point and prediction interval, s. */
  recoveryS: { low: number; mid: number; high: number };
  /**
   * What the policy ranks by, lower is better: khaos, (lat/L + rec/R + |lat/L − rec/R|), only for
   * a candidate that meets both targets (else absent); khaos+, 2·max(lat/L, upper rec/R).
   */
  objective?: number;
  /** khaos+ with the expected-violation objective: the violation seconds expected over its cost horizon. */
  expectedViolationS?: number;
}

/**
 * The candidates a decision weighed: how many, the one ranked best (the interval may stay anyway:
 * minimum change, hysteresis, rate limit, restart cost; the reason says why), and some of them
 * with their predictions: the interval in force, the best, and others spread over the range
 * (at most CANDIDATES_KEPT, so that a record stays small).
 */
export interface CandidatesWeighed {
  count: number;
  bestMs?: number;
  kept: CandidatePrediction[];
}

/**
 * `wait`: not time to evaluate yet (cadence, uptime, recovery under way) — no evaluation happened.
 * `keep`: evaluated, interval stays. `change`: evaluated, move to `toIntervalMs`.
 */
export type DecisionAction = 'wait' | 'keep' | 'change';

export interface Decision {
  action: DecisionAction;
  fromIntervalMs: number;
  /** Equal to fromIntervalMs unless action is `change`. */
  toIntervalMs: number;
  /** One sentence for people: why. */
  reason: string;
  predictions?: Predictions;
  /** Only for the paced actuator: take a checkpoint now (e.g. right after a recovery). */
  checkpointNow?: boolean;
}

export interface PolicyContext {
  actuator: ActuatorKind;
  /** Undefined when no models are loaded: model-based policies then keep the interval and say why. */
  models?: ControlModels;
}

export interface Policy {
  /** `khaos+`, `khaos`, `static:5000`, `young-daly`, `flink-backlog`. */
  readonly name: string;
  decide(obs: Observation, state: PolicyState, ctx: PolicyContext): { decision: Decision; state: PolicyState };
}

/** Every number of every policy (the config's `control.policy` section, resolved to ms). */
export interface PolicyOptions {
  /** Latency target: mean of p99 over the observation window, ms (original 1000). */
  latencyTargetMs: number;
  /** Recovery-time target, s (original 240). */
  recoveryTargetS: number;
  /** Evaluate this often, ms (original 300 s). */
  evaluateEveryMs: number;
  /** After a change, wait this long before the next evaluation, ms (original 600 s). */
  afterChangeMs: number;
  /** Do not evaluate before the job has been up this long, ms (original 600 s). */
  minUptimeMs: number;
  /** Latency correction: mean observed/predicted ratio over this many evaluations (original 6). */
  correctionEvaluations: number;
  /** Candidate intervals: min..max in steps, ms (original 10–119 s, 1 s steps). */
  candidateMinMs: number;
  candidateMaxMs: number;
  candidateStepMs: number;
  /** Changes smaller than this are not applied, ms (original 5 s). */
  minChangeMs: number;
  /** khaos+: recovery is judged by the upper bound of this central prediction interval (e.g. 0.8). */
  recoveryIntervalLevel: number;
  /** khaos+: judge recovery at the forecast input rate when it is above the current one. */
  useForecast: boolean;
  /**
   * khaos+: how candidates are ranked. `expected-violation`: by the violation seconds expected over
   * `costHorizonMs` (latency over its target for the whole horizon; recovery beyond its target once
   * per expected failure), the minimax breaking ties (among candidates that meet both, it balances
   * the margins). `minimax`: by 2·max(lat/L, rec/R) alone, the original's objective.
   */
  objective: 'expected-violation' | 'minimax';
  /** khaos+: a change must improve the objective by at least this fraction (hysteresis). */
  hysteresis: number;
  /** khaos+: at most this many changes in any `rateWindowMs`. */
  maxChanges: number;
  rateWindowMs: number;
  /** khaos+ with the restart actuator: the outage of one reconfiguration (savepoint → running again), ms. */
  restartDowntimeMs: number;
  /** khaos+: horizon over which expected violations are weighed (the objective; with the restart actuator, against a change's outage), ms. */
  costHorizonMs: number;
  /** young-daly: mean time between failures, ms; undefined = observed (with this as the prior until a failure is seen). */
  mtbfMs?: number;
  mtbfPriorMs: number;
  /** flink-backlog emulation: the normal interval, the long interval used while lag is above the threshold. */
  backlogBaseIntervalMs: number;
  backlogIntervalMs: number;
  /** Lag threshold in seconds of current input (lag / throughput), s. */
  backlogLagThresholdS: number;
}

/** The config's control.policy defaults (src/config/schema.ts), resolved to ms: what a run gets unless told otherwise. */
export const DEFAULT_POLICY_OPTIONS: PolicyOptions = {
  latencyTargetMs: 1000,
  recoveryTargetS: 240,
  evaluateEveryMs: 300_000,
  afterChangeMs: 600_000,
  minUptimeMs: 600_000,
  correctionEvaluations: 6,
  candidateMinMs: 10_000,
  candidateMaxMs: 119_000,
  candidateStepMs: 1000,
  minChangeMs: 5000,
  recoveryIntervalLevel: 0.8,
  useForecast: true,
  objective: 'expected-violation',
  hysteresis: 0.1,
  maxChanges: 4,
  rateWindowMs: 3_600_000,
  restartDowntimeMs: 8500,
  costHorizonMs: 3_600_000,
  mtbfPriorMs: 86_400_000,
  backlogBaseIntervalMs: 30_000,
  backlogIntervalMs: 119_000,
  backlogLagThresholdS: 10,
};

/** A policy name as written, parsed by its registry entry (src/core/control/policies.ts). */
export interface PolicySpec {
  /** Canonical name, as createPolicy and the records take it: `khaos+`, `static:30000`. */
  policy: string;
  /** Name for people and the evaluation's JSON: `khaos+`, `static:30s`. */
  label: string;
  /** The fixed interval of a static policy, ms. */
  staticMs?: number;
}

/**
 * One policy in the registry (src/core/control/policies.ts): everything the config schema, the
 * CLI, the controller, the simulator and the evaluation need to know of it. A new policy is a
 * file exporting one of these and one line in the registry.
 */
export interface PolicyEntry {
  /** How its name is written, for help and messages: `khaos+`, `static:<duration>`. */
  grammar: string;
  /** One line for help text. */
  description: string;
  /**
   * The spec of `name` when it names this policy, undefined when it does not; throws `bad-input`
   * when it does but is malformed (`static:0s`), so the message names the real problem.
   */
  parse(name: string): PolicySpec | undefined;
  /** The actuator it runs with unless `@paced` or `@restart` follows its name; undefined when it never changes the interval (it then takes no actuator). */
  defaultActuator?: ActuatorKind;
  /** True when it decides from latency and recovery models; without them it keeps the interval. */
  needsModels: boolean;
  /** False when the controller must not refit its models online (control.learning): the original fits once. */
  learnsOnline: boolean;
  /** Its decisions with `options` (already checked by createPolicy). */
  create(spec: PolicySpec, options: PolicyOptions): Policy['decide'];
}
