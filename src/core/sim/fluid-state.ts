import { badInput } from '../errors.js';
import type { ActuatorKind } from '../control/policy.js';
import type { FailureType } from '../failure-types.js';
import { checkParams, queueingMs, type FluidParams } from './fluid-params.js';

/**
 * SIMULATED: the state of the fluid model of one Flink job (src/core/sim/fluid.ts steps it,
 * src/core/sim/fluid-commands.ts changes it between steps), how a job is created, what can be read
 * of it, and the events its changes fire.
 *
 * Units: times ms unless the name says otherwise, rates events/s, sizes bytes, amounts events.
 */


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

export const newJobCounts = (number: number): FluidJobCounts => ({ number, checkpointsCompleted: 0, checkpointsFailed: 0, restored: 0 });

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

export function checkInterval(ms: number): void {
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
