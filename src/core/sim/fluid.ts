import { badInput, KhaosError } from '../errors.js';
import type { ActuatorKind } from '../control/policy.js';
import { FAILURE_TYPES, type FailureType } from '../failure-types.js';
import type { JobState } from '../job-state.js';

/**
 * SIMULATED: a fluid model of one checkpointed Flink job. Input arrives as a rate (events/s), the
 * job reads it from its topic at up to its capacity, checkpoints store the source offset, and a
 * failure rewinds the job to the last completed checkpoint (exactly-once: the input since then is
 * read again). No single event is ever represented: a step costs the same whatever the rate.
 *
 * `step` advances the state by dt at a constant input rate, firing every state change (checkpoint
 * trigger and completion, detection, restart, restore, savepoint, relaunch) at its exact time in
 * between. Commands between steps: `injectFailure`, `setPacedInterval`, `requestCheckpoint`,
 * `reconfigure` (or its two halves `stopWithSavepoint` + `relaunch`), `abortSavepoint`, `cancel`,
 * `setSlotsAvailable`. The state is mutated in place, for speed (a week is 604 800 steps);
 * everything is deterministic. The simulator and the test fake of Flink (test/fakes) both run on it.
 *
 * Units: times ms unless the name says otherwise, rates events/s, sizes bytes, amounts events.
 */


/** The physics of the job. */
export interface FluidParams {
  /** Events/s the job processes at most with no checkpoint in flight (what catch-up runs at). */
  capacityEps: number;
  checkpoint: {
    /** Fixed part of a checkpoint's duration (barrier travel, sync phase, metadata), ms. */
    baseMs: number;
    /** Snapshot upload bandwidth, bytes/s: duration = baseMs + 1000 · stateBytes / bytesPerSec. */
    bytesPerSec: number;
    /** Share of capacity lost while a checkpoint is in flight (alignment, snapshot I/O), in [0, 1). */
    capacityLoss: number;
    /** Added to the p99 latency of a second in which a checkpoint runs, ms. */
    latencyMs: number;
  };
  /**
   * Failure → the job leaves RUNNING, s, per failure type: a kill is noticed by peers' broken
   * connections, a freeze only by the heartbeat timeout, a task exception at once.
   */
  detectionSec: Record<FailureType, number>;
  /** RESTARTING → tasks deployed again (restart delay, slot allocation, scheduling), s. */
  restartSec: number;
  /** Restoring state before processing resumes: baseSec + stateBytes / bytesPerSec, s. */
  restore: { baseSec: number; bytesPerSec: number };
  /** Stop-with-savepoint: savepoint.baseMs + 1000 · stateBytes / checkpoint.bytesPerSec (a full snapshot), ms. */
  savepoint: { baseMs: number };
  /** After the savepoint, a new JobManager and job are up (before the restore), s. */
  relaunchSec: number;
  /**
   * p99 latency with an empty backlog, as physicalLatencyMs: baseMs + perCiMs · CI + queueMsEps / (capacity − λ)
   * (the queueing denominator is floored at 1 % of capacity). Waiting in the topic comes on top.
   */
  latency: { baseMs: number; perCiMs: number; queueMsEps: number };
  /**
   * State size: baseBytes + bytesPerEvent · (events processed in the last windowSec), the window
   * approximated by an exponential average of the processing rate with time constant windowSec.
   */
  state: { baseBytes: number; bytesPerEvent: number; windowSec: number };
}

/**
 * Original-scale defaults, matching DEFAULT_SIMULATION of models/simulated-samples.ts
 * (capacity 12 000 ev/s, detection 8 s + restart and restore 12 s, the same latency equation),
 * with a 200 MB state, 2.5 s checkpoints costing 10 % of capacity, and a reconfiguration outage
 * of 2.5 s savepoint + 4 s relaunch + 2 s restore = 8.5 s (the local measurement).
 */
export const DEFAULT_FLUID_PARAMS: FluidParams = {
  capacityEps: 12_000,
  checkpoint: { baseMs: 500, bytesPerSec: 100_000_000, capacityLoss: 0.1, latencyMs: 50 },
  detectionSec: { kill: 8, freeze: 30, exception: 0.5 },
  restartSec: 10,
  restore: { baseSec: 0, bytesPerSec: 100_000_000 },
  savepoint: { baseMs: 500 },
  relaunchSec: 4,
  latency: { baseMs: 120, perCiMs: 0.002, queueMsEps: 1_000_000 },
  state: { baseBytes: 200_000_000, bytesPerEvent: 0, windowSec: 60 },
};

/** Overrides of some parameters, one level deep (`{ checkpoint: { capacityLoss: 0 } }`). */
export type FluidParamsOverrides = { [K in keyof FluidParams]?: FluidParams[K] extends number ? number : Partial<FluidParams[K]> };

/** DEFAULT_FLUID_PARAMS (or `base`) with `over` merged in, checked. Throws `bad-input` listing every bad value. */
export function fluidParams(over: FluidParamsOverrides = {}, base: FluidParams = DEFAULT_FLUID_PARAMS): FluidParams {
  const p: FluidParams = {
    capacityEps: over.capacityEps ?? base.capacityEps,
    checkpoint: { ...base.checkpoint, ...over.checkpoint },
    detectionSec: { ...base.detectionSec, ...over.detectionSec },
    restartSec: over.restartSec ?? base.restartSec,
    restore: { ...base.restore, ...over.restore },
    savepoint: { ...base.savepoint, ...over.savepoint },
    relaunchSec: over.relaunchSec ?? base.relaunchSec,
    latency: { ...base.latency, ...over.latency },
    state: { ...base.state, ...over.state },
  };
  checkParams(p);
  return p;
}

/** Throws `bad-input` naming every parameter out of range. */
export function checkParams(p: FluidParams): void {
  const problems: string[] = [];
  const need = (ok: boolean, what: string, v: number) => {
    if (!ok || Number.isNaN(v)) problems.push(`${what} ${v}`);
  };
  const finite = Number.isFinite;
  need(finite(p.capacityEps) && p.capacityEps > 0, 'capacityEps must be > 0, got', p.capacityEps);
  need(finite(p.checkpoint.baseMs) && p.checkpoint.baseMs >= 0, 'checkpoint.baseMs must be ≥ 0, got', p.checkpoint.baseMs);
  need(p.checkpoint.bytesPerSec > 0, 'checkpoint.bytesPerSec must be > 0, got', p.checkpoint.bytesPerSec);
  need(p.checkpoint.capacityLoss >= 0 && p.checkpoint.capacityLoss < 1, 'checkpoint.capacityLoss must be in [0, 1), got', p.checkpoint.capacityLoss);
  need(finite(p.checkpoint.latencyMs) && p.checkpoint.latencyMs >= 0, 'checkpoint.latencyMs must be ≥ 0, got', p.checkpoint.latencyMs);
  for (const t of FAILURE_TYPES) need(finite(p.detectionSec[t]) && p.detectionSec[t] >= 0, `detectionSec.${t} must be ≥ 0, got`, p.detectionSec[t]);
  need(finite(p.restartSec) && p.restartSec >= 0, 'restartSec must be ≥ 0, got', p.restartSec);
  need(finite(p.restore.baseSec) && p.restore.baseSec >= 0, 'restore.baseSec must be ≥ 0, got', p.restore.baseSec);
  need(p.restore.bytesPerSec > 0, 'restore.bytesPerSec must be > 0, got', p.restore.bytesPerSec);
  need(finite(p.savepoint.baseMs) && p.savepoint.baseMs >= 0, 'savepoint.baseMs must be ≥ 0, got', p.savepoint.baseMs);
  need(finite(p.relaunchSec) && p.relaunchSec >= 0, 'relaunchSec must be ≥ 0, got', p.relaunchSec);
  need(finite(p.latency.baseMs) && p.latency.baseMs >= 0, 'latency.baseMs must be ≥ 0, got', p.latency.baseMs);
  need(finite(p.latency.perCiMs), 'latency.perCiMs must be finite, got', p.latency.perCiMs);
  need(finite(p.latency.queueMsEps) && p.latency.queueMsEps >= 0, 'latency.queueMsEps must be ≥ 0, got', p.latency.queueMsEps);
  need(finite(p.state.baseBytes) && p.state.baseBytes >= 0, 'state.baseBytes must be ≥ 0, got', p.state.baseBytes);
  need(finite(p.state.bytesPerEvent) && p.state.bytesPerEvent >= 0, 'state.bytesPerEvent must be ≥ 0, got', p.state.bytesPerEvent);
  need(finite(p.state.windowSec) && p.state.windowSec > 0, 'state.windowSec must be > 0, got', p.state.windowSec);
  if (problems.length > 0) throw badInput(`simulation parameters: ${problems.join('; ')}`, 'fix the fluid model parameters');
}

// ---------------------------------------------------------------------------------------------
// Durations from the physics

/** Trigger → completion of a checkpoint of `stateBytes`, ms. */
export const checkpointDurationMs = (p: FluidParams, stateBytes: number): number => p.checkpoint.baseMs + (1000 * stateBytes) / p.checkpoint.bytesPerSec;
/** Trigger → completion of a (full, canonical) savepoint of `stateBytes`, ms. */
export const savepointDurationMs = (p: FluidParams, stateBytes: number): number => p.savepoint.baseMs + (1000 * stateBytes) / p.checkpoint.bytesPerSec;
/** Restoring `stateBytes` before processing resumes, s. */
export const restoreSec = (p: FluidParams, stateBytes: number): number => p.restore.baseSec + stateBytes / p.restore.bytesPerSec;
/** Failure → processing again after a restart from a checkpoint of `stateBytes` (D of physicalRecoverySec), s. */
export const downtimeSec = (p: FluidParams, type: FailureType, stateBytes: number): number => p.detectionSec[type] + p.restartSec + restoreSec(p, stateBytes);
/** Request → processing again of a stop-with-savepoint and relaunch at `stateBytes`, s. */
export const reconfigurationOutageSec = (p: FluidParams, stateBytes: number): number => savepointDurationMs(p, stateBytes) / 1000 + p.relaunchSec + restoreSec(p, stateBytes);

/** The queueing term of the latency, ms: queueMsEps / (capacity − λ), the spare capacity floored at 1 % of capacity. */
export const queueingMs = (p: FluidParams, inputEps: number): number => p.latency.queueMsEps / Math.max(p.capacityEps - inputEps, 0.01 * p.capacityEps);

// ---------------------------------------------------------------------------------------------
// State

/**
 * Where the job is. `failed`: a failure not yet detected (Flink still says RUNNING, nothing is
 * processed). `frozen`: a frozen TaskManager (likewise; ends by a thaw, or by detection when it
 * lasts long enough). `restarting` → `restoring` → `running` after detection. A reconfiguration:
 * `savepointing` (sources stopped) → `relaunching` (no JobManager) → `restoring` → `running`;
 * `stopped` after a savepoint with no relaunch asked for, or a cancel. `starting`: a new job
 * submitted, its tasks not yet deployed (CreateFluidJob.startupMs). `scheduled`: a start, restart
 * or relaunch ended without enough free slots (setSlotsAvailable): Flink says RUNNING, its tasks
 * wait SCHEDULED and nothing is processed until slots are free.
 */
export const FLUID_PHASES = ['running', 'failed', 'frozen', 'restarting', 'restoring', 'savepointing', 'stopped', 'relaunching', 'starting', 'scheduled'] as const;
export type FluidPhase = (typeof FLUID_PHASES)[number];

/** What the controller's sampler reports in each phase (see app/observe.ts: tasks not all running read INITIALIZING). */
export function reportedState(phase: FluidPhase): JobState | 'UNREACHABLE' {
  switch (phase) {
    case 'running':
    case 'failed':
    case 'frozen':
    case 'savepointing':
      return 'RUNNING';
    case 'restarting':
      return 'RESTARTING';
    case 'restoring':
    case 'starting':
    case 'scheduled':
      return 'INITIALIZING';
    case 'stopped':
    case 'relaunching':
      return 'UNREACHABLE';
  }
}

/** A completed checkpoint or savepoint. */
export interface FluidCheckpoint {
  id: number;
  triggeredAtMs: number;
  completedAtMs: number;
  /** Source offset stored: a restore reads again from here. */
  position: number;
  stateBytes: number;
  savepoint: boolean;
}

/** Running totals since the job was created. */
export interface FluidCounters {
  checkpointsCompleted: number;
  /** Failed with the job, or lost with a finished one. */
  checkpointsAborted: number;
  savepoints: number;
  failures: number;
  /** Restarts after detected failures, over every job (numRestarts of Flink counts the current job only: `numRestarts`). */
  restarts: number;
  /** Reconfigurations that ended with the job running at the new interval, and their outage (request → processing again), ms. */
  reconfigurations: number;
  reconfigurationsFailed: number;
  reconfigurationDowntimeMs: number;
  /** Time with a checkpoint in flight while processing, ms, and the capacity it cost, events. */
  checkpointingMs: number;
  lostCapacityEvents: number;
  /** Tasks (re)deployed: Flink's record counters start again from 0. */
  deployments: number;
}

/**
 * The current Flink job's own counts, as Flink reports them per job id: a relaunch submits a new
 * job, which starts again from 0 (numRestarts, on FluidState, is per job too).
 */
export interface FluidJobCounts {
  /** 1 for the first job, +1 per relaunch. */
  number: number;
  /** Checkpoints and savepoints completed. */
  checkpointsCompleted: number;
  /** Checkpoints aborted and savepoints that failed or were aborted. */
  checkpointsFailed: number;
  /** Restores from a checkpoint or savepoint (a restart with none restores nothing). */
  restored: number;
}

const newJobCounts = (number: number): FluidJobCounts => ({ number, checkpointsCompleted: 0, checkpointsFailed: 0, restored: 0 });

export interface FluidState {
  readonly params: FluidParams;
  /** `paced`: Khaos triggers checkpoints at `intervalMs`; `restart`: Flink's own periodic checkpoints. */
  readonly actuator: ActuatorKind;
  tMs: number;
  phase: FluidPhase;
  /** End of the current timed phase (detection for failed/frozen), ms; Infinity when none. */
  phaseEndsAtMs: number;
  /** frozen: when the TaskManager continues (Infinity when detection comes first), and since when it is frozen. */
  thawAtMs: number;
  frozenSinceMs: number;
  /** The interval in force: the pacer's (paced) or the running job's (restart), ms. */
  intervalMs: number;
  /** Input rate of the step under way, events/s. */
  inputEps: number;
  /** Events produced into the topic so far (its end offset). */
  inputOffset: number;
  /** Offset the source has read up to; rewinds on a restore. */
  consumed: number;
  /** Every event processed, replays included. */
  processedTotal: number;
  /** Events processed and then given up by a rewind (processed − rewound = consumed). */
  rewoundTotal: number;
  /** Exponential average of the processing rate (the state size model), events/s. */
  rateEma: number;
  /** The restore point: the last completed checkpoint or savepoint; undefined before the first. */
  restorePoint?: FluidCheckpoint;
  /** The last completed checkpoint or savepoint (Flink's lastCheckpointDuration comes from it). */
  lastCompleted?: FluidCheckpoint;
  inFlight?: { id: number; triggeredAtMs: number; completesAtMs: number; position: number; stateBytes: number };
  /** restart actuator: Flink's periodic timer, ms. */
  nextPeriodicAtMs: number;
  /** paced: trigger time of the last completed checkpoint, whoever triggered it (the pacer's clock). */
  lastCompletedTriggerMs: number;
  /** A checkpoint asked for now (paced `checkpointNow`, or a REST trigger). */
  checkpointRequested: boolean;
  /** Numbering of checkpoints and savepoints. */
  nextCheckpointId: number;
  /** The current job's numRestarts (0 again after a relaunch). */
  numRestarts: number;
  job: FluidJobCounts;
  /** Enough free TaskManager slots for the job's tasks: without them a deployment waits (`scheduled`). */
  slotsAvailable: boolean;
  /** scheduled: whether the tasks restore the restore point once deployed (restart, relaunch) or start empty (a new job). */
  restoreOnDeploy: boolean;
  /** See CreateFluidJob.checkpointsUntilDetected. */
  readonly checkpointsUntilDetected: boolean;
  /** A stop-with-savepoint under way or done: the savepoint, and the interval to relaunch with (undefined: stay stopped). */
  reconfiguration?: { requestedAtMs: number; toIntervalMs?: number; savepoint?: FluidCheckpoint };
  counters: FluidCounters;
  /** When the input offsets were reached, for the waiting time of the event at the head of the backlog. */
  arrivals: Arrivals;
}

/** Input history as segments of constant rate: from tMs[i], offset offset[i], rate eps[i]. */
interface Arrivals {
  tMs: number[];
  offset: number[];
  eps: number[];
  /** First segment still needed (older ones precede every offset a restore could go back to). */
  start: number;
  /** Segment of the last lookup (the head of the backlog moves forward except on a rewind). */
  head: number;
}

export interface CreateFluidJob {
  actuator: ActuatorKind;
  /** Starting interval, ms. */
  intervalMs: number;
  /** Submission time, ms (default 0): the job is deployed and RUNNING from then (after startupMs), with no checkpoint yet. */
  atMs?: number;
  /** Submission → tasks deployed, ms (default 0): `starting` meanwhile, then RUNNING with empty state (nothing to restore). */
  startupMs?: number;
  /** Events already in the topic at atMs (default 0): the job reads them from the earliest offset, as having arrived at atMs. */
  inputOffset?: number;
  /**
   * Checkpoints as Flink's checkpoint coordinator runs them, unaware of a failure until it is
   * detected (default false): a checkpoint falling due while a failure is undetected is triggered
   * anyway, completes after a thaw or is aborted at detection, and a requested checkpoint not yet
   * triggered dies with the job at detection. The simulator's model (false) holds checkpoints
   * back meanwhile and keeps a request across the restart.
   */
  checkpointsUntilDetected?: boolean;
}

/** A job RUNNING from `atMs` (or `starting` until atMs + startupMs). Throws `bad-input` for bad parameters, interval or start. */
export function createFluidJob(params: FluidParams, o: CreateFluidJob): FluidState {
  checkParams(params);
  checkInterval(o.intervalMs);
  const t = o.atMs ?? 0;
  const startupMs = o.startupMs ?? 0;
  const offset = o.inputOffset ?? 0;
  if (!(startupMs >= 0 && Number.isFinite(startupMs))) throw badInput(`startupMs must be a finite number ≥ 0, got ${startupMs}`);
  if (!(offset >= 0 && Number.isFinite(offset))) throw badInput(`inputOffset must be a finite number ≥ 0, got ${offset}`);
  return {
    params,
    actuator: o.actuator,
    tMs: t,
    phase: startupMs > 0 ? 'starting' : 'running',
    phaseEndsAtMs: startupMs > 0 ? t + startupMs : Infinity,
    thawAtMs: Infinity,
    frozenSinceMs: NaN,
    intervalMs: o.intervalMs,
    inputEps: 0,
    inputOffset: offset,
    consumed: 0,
    processedTotal: 0,
    rewoundTotal: 0,
    rateEma: 0,
    restorePoint: undefined,
    lastCompleted: undefined,
    inFlight: undefined,
    nextPeriodicAtMs: t + o.intervalMs,
    lastCompletedTriggerMs: -Infinity,
    checkpointRequested: false,
    nextCheckpointId: 1,
    numRestarts: 0,
    job: newJobCounts(1),
    slotsAvailable: true,
    restoreOnDeploy: false,
    checkpointsUntilDetected: o.checkpointsUntilDetected ?? false,
    reconfiguration: undefined,
    counters: {
      checkpointsCompleted: 0, checkpointsAborted: 0, savepoints: 0, failures: 0, restarts: 0, reconfigurations: 0, reconfigurationsFailed: 0,
      reconfigurationDowntimeMs: 0, checkpointingMs: 0, lostCapacityEvents: 0, deployments: startupMs > 0 ? 0 : 1,
    },
    // Events already there arrived at once: a jump of the offset at t.
    arrivals: offset > 0 ? { tMs: [t, t], offset: [0, offset], eps: [0, 0], start: 0, head: 0 } : { tMs: [t], offset: [0], eps: [0], start: 0, head: 0 },
  };
}

function checkInterval(ms: number): void {
  if (!(Number.isFinite(ms) && ms > 0)) throw badInput(`checkpoint interval must be a positive number of ms, got ${ms}`);
}

/** Events waiting in the topic for this job (its consumer lag). */
export const backlog = (s: FluidState): number => Math.max(0, s.inputOffset - s.consumed);

/** State size now, bytes. */
export const stateBytes = (s: FluidState): number => s.params.state.baseBytes + s.params.state.bytesPerEvent * s.rateEma * s.params.state.windowSec;

/** The job processes input now. */
export const processing = (s: FluidState): boolean => s.phase === 'running';

/**
 * How long the event at the head of the backlog has waited, ms: now − when the topic reached the
 * offset the source reads next (FIFO), 0 with no backlog. It is the source-to-sink latency of the
 * events output now (replayed ones keep their creation time), and, during an outage, the age the
 * oldest waiting event has when it is finally output.
 */
export function headAgeMs(s: FluidState): number {
  if (!(s.inputOffset - s.consumed > 0)) return 0;
  const a = s.arrivals;
  const last = a.tMs.length - 1;
  if (a.head < a.start || a.head > last || a.offset[a.head]! > s.consumed) a.head = a.start;
  while (a.head < last && a.offset[a.head + 1]! <= s.consumed) a.head++;
  const i = a.head;
  const eps = a.eps[i]!;
  const arrivedMs = eps > 0 ? a.tMs[i]! + ((s.consumed - a.offset[i]!) * 1000) / eps : a.tMs[i]!;
  return Math.max(0, s.tMs - arrivedMs);
}

// ---------------------------------------------------------------------------------------------
// Events

export type FluidEvent =
  | { kind: 'checkpoint-triggered'; atMs: number; id: number; position: number }
  | { kind: 'checkpoint-completed'; atMs: number; checkpoint: FluidCheckpoint }
  | { kind: 'checkpoint-aborted'; atMs: number; id: number; why: string }
  | { kind: 'failure'; atMs: number; type: FailureType }
  | { kind: 'detected'; atMs: number }
  | { kind: 'thawed'; atMs: number }
  | { kind: 'restore-started'; atMs: number; from?: FluidCheckpoint; rewound: number }
  | { kind: 'running'; atMs: number }
  | { kind: 'savepoint-triggered'; atMs: number; id: number; position: number }
  | { kind: 'savepoint-completed'; atMs: number; checkpoint: FluidCheckpoint }
  | { kind: 'relaunch-started'; atMs: number; intervalMs: number }
  | { kind: 'reconfigured'; atMs: number; intervalMs: number; outageMs: number }
  | { kind: 'reconfiguration-failed'; atMs: number; why: string }
  | { kind: 'interval-changed'; atMs: number; fromMs: number; toMs: number }
  | { kind: 'scheduled'; atMs: number }
  | { kind: 'canceled'; atMs: number };

export type FluidListener = (e: FluidEvent) => void;

/** What happened over one step (or several, when the same object is passed again). */
export interface StepTotals {
  durationMs: number;
  inputEvents: number;
  /** Events read by the source, replays included. */
  processedEvents: number;
  /** Time with a checkpoint in flight while processing, ms. */
  checkpointingMs: number;
  /** Capacity the checkpoints cost, events. */
  lostCapacityEvents: number;
  /** Longest wait of the event at the head of the backlog seen over the step(s), ms. */
  maxHeadAgeMs: number;
  /** Tasks were (re)deployed: Flink's record counters started again. */
  redeployed: boolean;
}

export const newStepTotals = (): StepTotals => ({ durationMs: 0, inputEvents: 0, processedEvents: 0, checkpointingMs: 0, lostCapacityEvents: 0, maxHeadAgeMs: 0, redeployed: false });

/**
 * The job's p99 latency estimate over the step(s) of `t`, ms: baseMs + perCiMs · CI + queueing at
 * the step's input rate + the longest head-of-backlog wait, + the checkpoint bump when a
 * checkpoint ran for at least 1 % of the time (a p99 sees any delay that touches 1 % of the output).
 */
export function latencyP99Ms(s: FluidState, t: StepTotals): number {
  const p = s.params;
  const bump = t.durationMs > 0 && t.checkpointingMs >= 0.01 * t.durationMs ? p.checkpoint.latencyMs : 0;
  return Math.max(0, p.latency.baseMs + p.latency.perCiMs * s.intervalMs + queueingMs(p, s.inputEps) + t.maxHeadAgeMs + bump);
}

// ---------------------------------------------------------------------------------------------
// Step

/**
 * Advances the job by `dtMs` with input at `inputEps` throughout, firing every state change at
 * its time. Adds what happened to `into` (a fresh object unless given) and returns it. Throws
 * `bad-input` for a negative or non-finite dt or rate.
 */
export function step(s: FluidState, dtMs: number, inputEps: number, into: StepTotals = newStepTotals(), onEvent?: FluidListener): StepTotals {
  if (!(dtMs >= 0 && Number.isFinite(dtMs))) throw badInput(`step: dt must be a finite number ≥ 0 ms, got ${dtMs}`);
  if (!(inputEps >= 0 && Number.isFinite(inputEps))) throw badInput(`step: input rate must be a finite number ≥ 0 events/s, got ${inputEps}`);
  const end = s.tMs + dtMs;
  setRate(s, inputEps);
  into.durationMs += dtMs;
  into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  const deployments = s.counters.deployments;
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new KhaosError('bug', `fluid model does not settle at ${s.tMs} ms (phase ${s.phase})`);
    const at = nextEventAtMs(s);
    if (at > end) {
      integrate(s, end, into);
      break;
    }
    integrate(s, at, into);
    fire(s, onEvent);
    into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  }
  into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  if (s.counters.deployments !== deployments) into.redeployed = true;
  prune(s);
  return into;
}

function setRate(s: FluidState, eps: number): void {
  s.inputEps = eps;
  const a = s.arrivals;
  const last = a.tMs.length - 1;
  if (a.eps[last] === eps) return;
  if (a.tMs[last] === s.tMs) {
    a.eps[last] = eps;
    return;
  }
  a.tMs.push(s.tMs);
  a.offset.push(s.inputOffset);
  a.eps.push(eps);
}

/** Drops input history no restore can go back to. */
function prune(s: FluidState): void {
  const a = s.arrivals;
  const keep = Math.min(s.consumed, s.restorePoint?.position ?? 0);
  const last = a.tMs.length - 1;
  while (a.start < last && a.offset[a.start + 1]! <= keep) a.start++;
  if (a.start > 1024 && a.start * 2 > a.tMs.length) {
    a.tMs.splice(0, a.start);
    a.offset.splice(0, a.start);
    a.eps.splice(0, a.start);
    a.head = Math.max(0, a.head - a.start);
    a.start = 0;
  }
}

/** Moves the fluid to `toMs` at constant rates: input arrives, the source reads at most capacity. */
function integrate(s: FluidState, toMs: number, into: StepTotals): void {
  const dtMs = toMs - s.tMs;
  if (!(dtMs > 0)) return;
  const dt = dtMs / 1000;
  const p = s.params;
  const arriving = s.inputEps * dt;
  s.inputOffset += arriving;
  into.inputEvents += arriving;
  if (s.phase === 'running') {
    const checkpointing = s.inFlight !== undefined;
    const capacity = p.capacityEps * (checkpointing ? 1 - p.checkpoint.capacityLoss : 1);
    const available = s.inputOffset - s.consumed;
    const done = Math.min(capacity * dt, available);
    // An emptied backlog is set exactly, so that "no backlog" is exactly 0 and offsets do not drift.
    s.consumed = done >= available ? s.inputOffset : s.consumed + done;
    s.processedTotal += done;
    into.processedEvents += done;
    s.rateEma += (done / dt - s.rateEma) * (1 - Math.exp(-dt / p.state.windowSec));
    if (checkpointing) {
      const lost = p.capacityEps * p.checkpoint.capacityLoss * dt;
      s.counters.checkpointingMs += dtMs;
      s.counters.lostCapacityEvents += lost;
      into.checkpointingMs += dtMs;
      into.lostCapacityEvents += lost;
    }
  }
  s.tMs = toMs;
}

/** When a paced checkpoint is due, ms. */
const pacedDueMs = (s: FluidState): number => (s.checkpointRequested ? s.tMs : Math.max(s.tMs, s.lastCompletedTriggerMs + s.intervalMs));
/** When the next checkpoint is due (with none in flight): the pacer's, or Flink's periodic timer or a request, ms. */
const triggerDueMs = (s: FluidState): number => (s.actuator === 'paced' ? pacedDueMs(s) : s.checkpointRequested ? s.tMs : s.nextPeriodicAtMs);
/** A failure not yet detected, during which Flink's coordinator goes on triggering (checkpointsUntilDetected). */
const triggersUndetected = (s: FluidState): boolean => s.checkpointsUntilDetected && !s.inFlight;

/** The time of the next state change (≥ now), Infinity when none. */
function nextEventAtMs(s: FluidState): number {
  let at = Infinity;
  switch (s.phase) {
    case 'failed':
      at = triggersUndetected(s) ? Math.min(s.phaseEndsAtMs, triggerDueMs(s)) : s.phaseEndsAtMs;
      break;
    case 'restarting':
    case 'restoring':
    case 'relaunching':
    case 'starting':
      at = s.phaseEndsAtMs;
      break;
    case 'frozen':
      at = Math.min(s.phaseEndsAtMs, s.thawAtMs, triggersUndetected(s) ? triggerDueMs(s) : Infinity);
      break;
    case 'savepointing':
      at = s.phaseEndsAtMs;
      if (s.inFlight) at = Math.min(at, s.inFlight.completesAtMs);
      break;
    case 'running':
      at = s.inFlight ? s.inFlight.completesAtMs : triggerDueMs(s);
      break;
    case 'stopped':
    case 'scheduled':
      break;
  }
  return Math.max(s.tMs, at);
}

/** Fires the state change due now (phase changes before checkpoint completion before a trigger). */
function fire(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  const p = s.params;
  switch (s.phase) {
    case 'failed':
    case 'frozen':
      if (s.phase === 'frozen' && s.thawAtMs <= now) {
        s.phase = 'running';
        s.thawAtMs = Infinity;
        on?.({ kind: 'thawed', atMs: now });
        return;
      }
      if (s.phaseEndsAtMs <= now) {
        abortInFlight(s, 'the job failed', on);
        s.phase = 'restarting';
        s.thawAtMs = Infinity;
        s.phaseEndsAtMs = now + p.restartSec * 1000;
        // Flink's coordinator drops what it had not triggered yet with the failed job.
        if (s.checkpointsUntilDetected) s.checkpointRequested = false;
        on?.({ kind: 'detected', atMs: now });
        return;
      }
      if (triggersUndetected(s) && triggerDueMs(s) <= now) {
        trigger(s, on);
        return;
      }
      break;
    case 'restarting':
      if (s.phaseEndsAtMs <= now) {
        s.numRestarts++;
        s.counters.restarts++;
        deploy(s, true, on);
        return;
      }
      break;
    case 'relaunching':
      if (s.phaseEndsAtMs <= now) {
        deploy(s, true, on);
        return;
      }
      break;
    case 'starting':
      if (s.phaseEndsAtMs <= now) {
        deploy(s, false, on);
        return;
      }
      break;
    case 'restoring':
      if (s.phaseEndsAtMs <= now) {
        startRunning(s, on);
        return;
      }
      break;
    case 'savepointing':
      if (s.phaseEndsAtMs <= now) {
        completeSavepoint(s, on);
        return;
      }
      if (s.inFlight && s.inFlight.completesAtMs <= now) {
        completeCheckpoint(s, on);
        return;
      }
      break;
    case 'running':
      if (s.inFlight) {
        if (s.inFlight.completesAtMs <= now) {
          completeCheckpoint(s, on);
          return;
        }
        break;
      }
      if (triggerDueMs(s) <= now) {
        trigger(s, on);
        return;
      }
      break;
    case 'stopped':
    case 'scheduled':
      break;
  }
  throw new KhaosError('bug', `fluid model: nothing due at ${now} ms in phase ${s.phase}`);
}

/** Tasks deployed once slots are free: they restore the restore point (restart, relaunch) or start empty (a new job). */
function deploy(s: FluidState, restore: boolean, on?: FluidListener): void {
  if (!s.slotsAvailable) {
    s.phase = 'scheduled';
    s.phaseEndsAtMs = Infinity;
    s.restoreOnDeploy = restore;
    on?.({ kind: 'scheduled', atMs: s.tMs });
    return;
  }
  if (restore) beginRestore(s, on);
  else startRunning(s, on);
}

function startRunning(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  s.phase = 'running';
  s.phaseEndsAtMs = Infinity;
  s.counters.deployments++;
  // Flink's periodic timer starts with the deployed job (the pacer keeps its own clock).
  s.nextPeriodicAtMs = now + s.intervalMs;
  on?.({ kind: 'running', atMs: now });
  const r = s.reconfiguration;
  if (r?.savepoint && r.toIntervalMs !== undefined) {
    const outageMs = now - r.requestedAtMs;
    s.counters.reconfigurations++;
    s.counters.reconfigurationDowntimeMs += outageMs;
    s.reconfiguration = undefined;
    on?.({ kind: 'reconfigured', atMs: now, intervalMs: s.intervalMs, outageMs });
  }
}

function trigger(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  const bytes = stateBytes(s);
  const id = s.nextCheckpointId++;
  s.inFlight = { id, triggeredAtMs: now, completesAtMs: now + checkpointDurationMs(s.params, bytes), position: s.consumed, stateBytes: bytes };
  // A periodic trigger due while another checkpoint is in flight is skipped (max-concurrent-checkpoints 1).
  if (s.actuator === 'restart' && s.nextPeriodicAtMs <= now) s.nextPeriodicAtMs += Math.floor((now - s.nextPeriodicAtMs) / s.intervalMs + 1) * s.intervalMs;
  s.checkpointRequested = false;
  on?.({ kind: 'checkpoint-triggered', atMs: now, id, position: s.consumed });
}

function completeCheckpoint(s: FluidState, on?: FluidListener): void {
  const f = s.inFlight!;
  s.inFlight = undefined;
  const cp: FluidCheckpoint = { id: f.id, triggeredAtMs: f.triggeredAtMs, completedAtMs: s.tMs, position: f.position, stateBytes: f.stateBytes, savepoint: false };
  s.lastCompleted = cp;
  s.lastCompletedTriggerMs = Math.max(s.lastCompletedTriggerMs, f.triggeredAtMs);
  if (!s.restorePoint || cp.position >= s.restorePoint.position) s.restorePoint = cp;
  s.counters.checkpointsCompleted++;
  s.job.checkpointsCompleted++;
  if (s.actuator === 'restart' && s.nextPeriodicAtMs < s.tMs) s.nextPeriodicAtMs += Math.ceil((s.tMs - s.nextPeriodicAtMs) / s.intervalMs) * s.intervalMs;
  on?.({ kind: 'checkpoint-completed', atMs: s.tMs, checkpoint: cp });
}

function abortInFlight(s: FluidState, why: string, on?: FluidListener): void {
  if (!s.inFlight) return;
  const id = s.inFlight.id;
  s.inFlight = undefined;
  s.counters.checkpointsAborted++;
  s.job.checkpointsFailed++;
  on?.({ kind: 'checkpoint-aborted', atMs: s.tMs, id, why });
}

/** Tasks restore the restore point: the source rewinds to its offset (the whole topic without one). */
function beginRestore(s: FluidState, on?: FluidListener): void {
  const from = s.restorePoint;
  const position = from?.position ?? 0;
  const rewound = Math.max(0, s.consumed - position);
  s.rewoundTotal += rewound;
  s.consumed = position;
  s.arrivals.head = s.arrivals.start;
  if (from) s.job.restored++;
  s.phase = 'restoring';
  s.phaseEndsAtMs = s.tMs + restoreSec(s.params, from?.stateBytes ?? s.params.state.baseBytes) * 1000;
  on?.({ kind: 'restore-started', atMs: s.tMs, from, rewound });
}

function completeSavepoint(s: FluidState, on?: FluidListener): void {
  const r = s.reconfiguration!;
  const sp = r.savepoint!;
  sp.completedAtMs = s.tMs;
  s.counters.savepoints++;
  s.job.checkpointsCompleted++;
  s.lastCompleted = sp;
  s.restorePoint = sp;
  // The job is FINISHED: a checkpoint still in flight is lost with it.
  abortInFlight(s, 'the job finished with a savepoint', on);
  on?.({ kind: 'savepoint-completed', atMs: s.tMs, checkpoint: sp });
  if (r.toIntervalMs === undefined) {
    s.phase = 'stopped';
    s.phaseEndsAtMs = Infinity;
    return;
  }
  startRelaunch(s, r.toIntervalMs, on);
}

function startRelaunch(s: FluidState, intervalMs: number, on?: FluidListener): void {
  s.phase = 'relaunching';
  s.phaseEndsAtMs = s.tMs + s.params.relaunchSec * 1000;
  s.numRestarts = 0;
  s.job = newJobCounts(s.job.number + 1);
  if (s.intervalMs !== intervalMs) on?.({ kind: 'interval-changed', atMs: s.tMs, fromMs: s.intervalMs, toMs: intervalMs });
  s.intervalMs = intervalMs;
  on?.({ kind: 'relaunch-started', atMs: s.tMs, intervalMs });
}

// ---------------------------------------------------------------------------------------------
// Commands (between steps)

/**
 * A failure now. A kill or an exception stops processing at once and is detected after
 * `detectionSec[type]`; a freeze stops it for `freezeMs` (default: until detected) and restarts
 * the job only when it outlasts `detectionSec.freeze`, else the job simply continues. Overlaps:
 * a failure while one is still undetected joins its restart (a kill during a freeze may be noticed
 * sooner); one during a restart, restore or relaunch starts the restart over; one during a
 * savepoint aborts it (the reconfiguration fails, the job keeps its interval); a stopped job, or
 * one with no task deployed (starting, scheduled), has nothing to fail. Throws `bad-input` for an
 * unknown type or a bad freeze duration.
 */
export function injectFailure(s: FluidState, type: FailureType, freezeMs?: number, on?: FluidListener): void {
  if (!FAILURE_TYPES.includes(type)) throw badInput(`unknown failure type "${type}"`, `use one of: ${FAILURE_TYPES.join(', ')}`);
  if (freezeMs !== undefined && !(freezeMs > 0)) throw badInput(`a freeze must last > 0 ms, got ${freezeMs}`);
  const now = s.tMs;
  const p = s.params;
  const detectAt = now + p.detectionSec[type] * 1000;
  s.counters.failures++;
  on?.({ kind: 'failure', atMs: now, type });
  switch (s.phase) {
    case 'stopped':
    case 'starting':
    case 'scheduled':
      return;
    case 'failed':
      s.phaseEndsAtMs = Math.min(s.phaseEndsAtMs, detectAt);
      return;
    case 'frozen':
      if (type === 'freeze') {
        // Frozen longer: detected once the whole freeze outlasts the heartbeat timeout.
        if (s.thawAtMs === Infinity) return;
        s.thawAtMs = Math.max(s.thawAtMs, now + (freezeMs ?? Infinity));
        if (s.thawAtMs - s.frozenSinceMs > p.detectionSec.freeze * 1000) {
          s.phaseEndsAtMs = s.frozenSinceMs + p.detectionSec.freeze * 1000;
          s.thawAtMs = Infinity;
        }
        return;
      }
      s.phase = 'failed';
      s.thawAtMs = Infinity;
      s.phaseEndsAtMs = Math.min(s.phaseEndsAtMs, detectAt);
      return;
    case 'restarting':
    case 'restoring':
    case 'relaunching':
      // The restart starts over; a relaunch in progress completes as a restart from the savepoint.
      if (s.reconfiguration?.savepoint && s.reconfiguration.toIntervalMs !== undefined) {
        s.counters.reconfigurations++;
        s.counters.reconfigurationDowntimeMs += now - s.reconfiguration.requestedAtMs;
        s.reconfiguration = undefined;
      }
      s.phase = 'failed';
      s.phaseEndsAtMs = detectAt;
      return;
    case 'savepointing':
      failSavepoint(s, 'the job failed while the savepoint was taken', on);
      break;
    case 'running':
      break;
  }
  if (type === 'freeze') {
    const d = freezeMs ?? Infinity;
    s.phase = 'frozen';
    s.frozenSinceMs = now;
    if (d > p.detectionSec.freeze * 1000) {
      s.phaseEndsAtMs = detectAt;
      s.thawAtMs = Infinity;
    } else {
      s.phaseEndsAtMs = Infinity;
      s.thawAtMs = now + d;
    }
    return;
  }
  s.phase = 'failed';
  s.phaseEndsAtMs = detectAt;
}

/** paced: checkpoints every `intervalMs` from now on (due at the last completed trigger + interval), no outage. */
export function setPacedInterval(s: FluidState, intervalMs: number, on?: FluidListener): void {
  checkInterval(intervalMs);
  if (s.actuator !== 'paced') throw badInput('setPacedInterval needs the paced actuator', 'use reconfigure (savepoint and relaunch) with the restart actuator');
  if (s.intervalMs !== intervalMs) on?.({ kind: 'interval-changed', atMs: s.tMs, fromMs: s.intervalMs, toMs: intervalMs });
  s.intervalMs = intervalMs;
}

/** A checkpoint as soon as the job runs with none in flight (the pacer's `requestCheckpoint`, or a REST trigger). */
export function requestCheckpoint(s: FluidState): void {
  s.checkpointRequested = true;
}

/**
 * Stop-with-savepoint: sources stop now, the savepoint completes after savepointDurationMs, then
 * the job is FINISHED (`stopped`), or relaunched at once with `relaunchIntervalMs` when given.
 * False (nothing changes) unless the job is running: Flink refuses a savepoint then.
 */
export function stopWithSavepoint(s: FluidState, relaunchIntervalMs?: number, on?: FluidListener): boolean {
  if (relaunchIntervalMs !== undefined) checkInterval(relaunchIntervalMs);
  if (s.phase !== 'running' || s.reconfiguration) return false;
  const bytes = stateBytes(s);
  const id = s.nextCheckpointId++;
  const savepoint: FluidCheckpoint = { id, triggeredAtMs: s.tMs, completedAtMs: NaN, position: s.consumed, stateBytes: bytes, savepoint: true };
  s.reconfiguration = { requestedAtMs: s.tMs, toIntervalMs: relaunchIntervalMs, savepoint };
  s.phase = 'savepointing';
  s.phaseEndsAtMs = s.tMs + savepointDurationMs(s.params, bytes);
  on?.({ kind: 'savepoint-triggered', atMs: s.tMs, id, position: s.consumed });
  return true;
}

/**
 * A stopped job (after a savepoint, or cancelled): a new job with `intervalMs` from savepoint
 * `from` (default: the one that stopped it), relaunched, then restored. False (nothing changes)
 * unless stopped with a savepoint to start from.
 */
export function relaunch(s: FluidState, intervalMs: number, on?: FluidListener, from = s.reconfiguration?.savepoint): boolean {
  checkInterval(intervalMs);
  if (s.phase !== 'stopped' || !from) return false;
  s.restorePoint = from;
  s.reconfiguration = { requestedAtMs: s.reconfiguration?.requestedAtMs ?? s.tMs, toIntervalMs: intervalMs, savepoint: from };
  startRelaunch(s, intervalMs, on);
  return true;
}

function failSavepoint(s: FluidState, why: string, on?: FluidListener): void {
  s.reconfiguration = undefined;
  s.counters.reconfigurationsFailed++;
  s.job.checkpointsFailed++;
  on?.({ kind: 'reconfiguration-failed', atMs: s.tMs, why });
}

/** A stop-with-savepoint given up (its caller timed out): the savepoint is aborted and the job runs on at its interval. False unless one is under way. */
export function abortSavepoint(s: FluidState, on?: FluidListener): boolean {
  if (s.phase !== 'savepointing') return false;
  failSavepoint(s, 'the savepoint was aborted', on);
  s.phase = 'running';
  s.phaseEndsAtMs = Infinity;
  return true;
}

/**
 * Cancels the job (CANCELED: nothing restarts it, an application-mode JobManager exits): it is
 * `stopped`, a checkpoint in flight is aborted and a savepoint under way fails. `relaunch` can
 * start a new job from an earlier savepoint. False when already stopped.
 */
export function cancel(s: FluidState, on?: FluidListener): boolean {
  if (s.phase === 'stopped') return false;
  if (s.phase === 'savepointing') failSavepoint(s, 'the job was cancelled', on);
  abortInFlight(s, 'the job was cancelled', on);
  s.reconfiguration = undefined;
  s.phase = 'stopped';
  s.phaseEndsAtMs = Infinity;
  s.thawAtMs = Infinity;
  on?.({ kind: 'canceled', atMs: s.tMs });
  return true;
}

/**
 * Whether enough free TaskManager slots exist for the job's tasks (true at creation). It only
 * gates deployments: a start, restart or relaunch that ends without slots leaves the job
 * `scheduled`, deployed once they are back (now, when this makes them so). Losing a TaskManager
 * that runs tasks is a failure: `injectFailure`.
 */
export function setSlotsAvailable(s: FluidState, available: boolean, on?: FluidListener): void {
  s.slotsAvailable = available;
  if (available && s.phase === 'scheduled') deploy(s, s.restoreOnDeploy, on);
}

/** The restart actuator: stop-with-savepoint, relaunch with `intervalMs`, restore. False (no change) unless running. */
export const reconfigure = (s: FluidState, intervalMs: number, on?: FluidListener): boolean => stopWithSavepoint(s, intervalMs, on);
