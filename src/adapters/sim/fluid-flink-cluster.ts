import { FLINK_STATES } from '../../core/sim/flink-states.js';
import { abortSavepoint, cancel, injectFailure, relaunch, requestCheckpoint, setSlotsAvailable, stopWithSavepoint } from '../../core/sim/fluid-commands.js';
import type { FailureType } from '../../core/failure-types.js';
import type { FluidParams } from '../../core/sim/fluid-params.js';
import { backlog, createFluidJob, latencyP99Ms, newStepTotals, type FluidCheckpoint, type FluidEvent, type FluidState, type StepTotals } from '../../core/sim/fluid-state.js';
import { step } from '../../core/sim/fluid.js';
import type { CompletedCheckpoint, JobException, JobState, RestoredCheckpoint } from '../../ports/flink-engine.js';
import { EXCEPTION, hex32, METRIC, type SampleJob, type VertexRole } from './sample-jobs.js';

/** The input topic as the cluster's job reads it: its rate, and when that next changes by itself. */
export interface InputRate {
  /** Events/s arriving just after `tMs`. */
  rateAt(tMs: number): number;
  /** When the rate next changes by itself after `tMs`, ms (undefined: not before it is set again). */
  changeAfter(tMs: number): number | undefined;
}

export interface FluidFlinkClusterOptions {
  /** Names the cluster's TaskManagers, job ids and checkpoint paths (unique among clusters). */
  name: string;
  job: SampleJob;
  parallelism: number;
  /** The job's physics; detectionSec.kill and .freeze also time when a lost TaskManager is dropped. */
  params: FluidParams;
  /** The job's checkpoint interval (Flink's periodic checkpoints), ms. */
  intervalMs: number;
  /** Submission time of the job, ms. */
  atMs: number;
  /** Submission → every task deployed, ms (default 0). */
  startupMs?: number;
  /** Records already in the topic at atMs, read from the earliest offset (default 0). */
  inputOffset?: number;
  /** Idle TaskManagers beyond one per subtask (default 1). */
  spareTaskManagers?: number;
  /** The per-second rate meters average over this window, ms (default 1000; Flink's own average over 60 s). */
  rateWindowMs?: number;
  /** Suffix of the sink's p99 latency gauge (default e2eLatencyP99Ms). */
  latencyMetric?: string;
  /** execution.checkpointing.tolerable-failed-checkpoints (default 3). */
  tolerableFailures?: number;
  /** Process ids of the TaskManagers as they start (default 1, 2, 3, …). */
  nextPid?: () => number;
}

/** One TaskManager process with one slot. */
export interface TaskManagerSim {
  id: string;
  slot: number;
  pid: number;
  alive: boolean;
  diedAtMs?: number;
  frozenFromMs?: number;
  frozenUntilMs?: number;
}

/** A completed checkpoint or savepoint as Flink's REST API shows it, with the source offset it stored. */
export interface ShownCheckpoint extends CompletedCheckpoint {
  position: number;
  externalPath: string;
}

/** What Flink's REST API shows of one job of the cluster (a relaunch submits a new one). */
export interface ShownJob {
  id: string;
  /** The fluid job it shows (FluidJobCounts.number). */
  number: number;
  state: JobState;
  startTimeMs: number;
  timestamps: Partial<Record<JobState, number>>;
  intervalMs: number;
  completed: ShownCheckpoint[];
  latestRestored?: RestoredCheckpoint;
  /** Newest first, as Flink's exception history. */
  exceptions: JobException[];
}

/** What a checkpoint triggered over REST became. */
interface TriggerOutcome {
  checkpointId?: number;
  completed?: boolean;
  failure?: string;
}

/** Flink's operation cache keeps the answers of recent triggers only. */
const TRIGGERS_KEPT = 64;
const CHECKPOINT_EXCEPTION = 'org.apache.flink.runtime.checkpoint.CheckpointException';

/**
 * A SIMULATED Flink cluster in application mode: one JobManager running one job, whose physics is
 * a fluid job (src/core/sim/fluid.ts), and TaskManagers with one slot each. The fluid job is
 * advanced lazily to a time by whoever looks at it; this class keeps what Flink shows of it: job
 * ids and state timestamps (the phase → state mapping is core/sim/flink-states.ts), completed and
 * restored checkpoints with their paths, checkpoints triggered over REST, the exception history,
 * the TaskManagers and where the subtasks run, and the metrics the tasks report. FluidFlinkEngine
 * answers Flink's REST API from it; the simulator's SimFlinkEngine and the test fake of the local
 * platform both run on it.
 */
export class FluidFlinkCluster {
  readonly fluid: FluidState;
  readonly parallelism: number;
  readonly o: Required<FluidFlinkClusterOptions>;
  tms: TaskManagerSim[] = [];
  job: ShownJob;
  /** TaskManager of each subtask index (one slot per TaskManager, all vertices share it) while the tasks are deployed. */
  placement?: string[];
  /** Where the subtasks ran last: Flink prefers the previous slots on a restart. */
  preferred: string[];
  /** Savepoints the cluster completed, any job of it, oldest first. */
  readonly savepoints: ShownCheckpoint[] = [];
  /** Trigger times of Flink's own periodic checkpoints (those no REST trigger asked for), ms. */
  readonly periodicTriggersMs: number[] = [];
  private readonly savepointFrom = new Map<string, FluidCheckpoint>();
  private readonly triggers = new Map<string, TriggerOutcome>();
  /** REST triggers not yet given a checkpoint. */
  private waiting: string[] = [];
  private triggerCount = 0;
  /** Path of the savepoint under way. */
  private savepointPath = '';
  private stoppedAs: 'FINISHED' | 'CANCELED' = 'FINISHED';
  /** Failed TaskManagers of the deployed tasks, first first, until the job notices: the exception Flink will record. */
  private undetected: { taskManagerId: string; cause: FailureType }[] = [];
  private generation = 0;
  private readonly startMs: number;
  /** When the tasks were last deployed, and how much had been processed: Flink's record counters and meters start again then. */
  private deployedAtMs: number;
  private recordsOutBase = 0;
  /** Processing so far at recent times, for the rate meters. */
  private readonly meter: { tMs: number; processed: number }[] = [];
  /** The latency gauge's window: the current second since the cluster started. */
  private gauge: StepTotals = newStepTotals();
  private readonly onEvent = (e: FluidEvent) => this.event(e);
  /** Something happened since the last advance (every command fires an event): what it made due now has to fire. */
  private changed = true;

  constructor(
    options: FluidFlinkClusterOptions,
    private readonly input: InputRate,
  ) {
    let pid = 0;
    this.o = { startupMs: 0, inputOffset: 0, spareTaskManagers: 1, rateWindowMs: 1000, latencyMetric: 'e2eLatencyP99Ms', tolerableFailures: 3, nextPid: () => ++pid, ...options };
    const { atMs } = this.o;
    this.startMs = atMs;
    this.deployedAtMs = atMs;
    this.parallelism = this.o.parallelism;
    for (let slot = 0; slot < this.parallelism + this.o.spareTaskManagers; slot++) this.tms.push(this.newTaskManager(slot));
    this.preferred = this.tms.slice(0, this.parallelism).map((t) => t.id);
    // Flink's own periodic checkpoints ('restart': the interval changes only with a new job), REST triggers on top.
    this.fluid = createFluidJob(this.o.params, {
      actuator: 'restart', intervalMs: this.o.intervalMs, atMs, startupMs: this.o.startupMs, inputOffset: this.o.inputOffset, checkpointsUntilDetected: true,
    });
    this.job = this.newJob(atMs);
    this.meter.push({ tMs: atMs, processed: 0 });
    if (this.fluid.phase === 'running') this.deployed(atMs);
    this.stamp(atMs);
  }

  get name(): string {
    return this.o.name;
  }

  get nowMs(): number {
    return this.fluid.tMs;
  }

  /** The JobManager answers: not once its job has ended (application mode), nor while a relaunched one starts. */
  get jobManagerUp(): boolean {
    return FLINK_STATES[this.fluid.phase].job !== 'ended';
  }

  /** A relaunch is under way: the new JobManager process runs, its job not yet. */
  get relaunching(): boolean {
    return this.fluid.phase === 'relaunching';
  }

  private newTaskManager(slot: number): TaskManagerSim {
    return { id: `${this.name}-tm${slot}-g${this.generation}`, slot, pid: this.o.nextPid(), alive: true };
  }

  private newJob(atMs: number): ShownJob {
    const number = this.fluid.job.number;
    return { id: hex32(`${this.name}/job/${number}`), number, state: 'INITIALIZING', startTimeMs: atMs, timestamps: { INITIALIZING: atMs }, intervalMs: this.fluid.intervalMs, completed: [], exceptions: [] };
  }

  // ---- time ------------------------------------------------------------------------------

  /** Runs the fluid job to `toMs` at the input's rates, one second at a time, thawing TaskManagers on time, then fires what is due then. */
  advanceTo(toMs: number): void {
    const s = this.fluid;
    if (s.tMs >= toMs && !this.changed) return;
    while (s.tMs < toMs) {
      const second = this.startMs + Math.floor((s.tMs - this.startMs) / 1000) * 1000;
      // The latency gauge reports over the current second (a partial one continues its totals).
      if (s.tMs === second) this.gauge = newStepTotals();
      let thaw = Infinity;
      for (const tm of this.tms) if (tm.frozenUntilMs !== undefined) thaw = Math.min(thaw, tm.frozenUntilMs);
      const end = Math.min(toMs, second + 1000, this.input.changeAfter(s.tMs) ?? Infinity, thaw);
      step(s, end - s.tMs, this.input.rateAt(s.tMs), this.gauge, this.onEvent);
      this.meter.push({ tMs: s.tMs, processed: s.processedTotal });
      for (const tm of this.tms) if (tm.frozenUntilMs !== undefined && tm.frozenUntilMs <= s.tMs) this.thaw(tm);
    }
    this.settle();
    this.changed = false;
    while (this.meter.length > 2 && this.meter[1]!.tMs <= toMs - this.o.rateWindowMs) this.meter.shift();
  }

  /** Fires what is due now (a command's consequences at the same instant). */
  private settle(): void {
    step(this.fluid, 0, this.input.rateAt(this.fluid.tMs), this.gauge, this.onEvent);
  }

  // ---- what the fluid job does, as Flink shows it --------------------------------------

  private event(e: FluidEvent): void {
    this.changed = true;
    // A relaunched job exists once its JobManager is up.
    if (this.fluid.phase !== 'relaunching' && this.fluid.job.number !== this.job.number) this.job = this.newJob(e.atMs);
    switch (e.kind) {
      case 'checkpoint-triggered':
        if (this.waiting.length === 0) this.periodicTriggersMs.push(e.atMs);
        for (const id of this.waiting) this.triggers.set(id, { checkpointId: e.id });
        this.waiting = [];
        break;
      case 'checkpoint-completed':
        this.job.completed.push(this.shown(e.checkpoint, `file:/sim/${this.name}/checkpoints/${this.job.id}/chk-${e.checkpoint.id}`));
        for (const t of this.triggers.values()) if (t.checkpointId === e.checkpoint.id) t.completed = true;
        break;
      case 'checkpoint-aborted':
        for (const [id, t] of this.triggers) if (t.checkpointId === e.id) this.triggers.set(id, { failure: `${CHECKPOINT_EXCEPTION} ${e.why}` });
        break;
      case 'detected':
        this.job.exceptions.unshift(this.exceptionFor(e.atMs));
        this.undetected = [];
        this.undeployed('the job failed');
        break;
      case 'restore-started':
        this.deployed(e.atMs);
        if (e.from) this.job.latestRestored = { id: e.from.id, restoreTimestampMs: e.atMs, isSavepoint: e.from.savepoint, externalPath: this.pathOf(e.from) };
        break;
      case 'running':
        if (!this.placement) this.deployed(e.atMs); // a new job: nothing to restore
        break;
      case 'savepoint-completed': {
        const sp = this.shown(e.checkpoint, this.savepointPath);
        this.savepoints.push(sp);
        this.savepointFrom.set(sp.externalPath, e.checkpoint);
        this.job.completed.push(sp);
        this.undeployed('the job finished');
        break;
      }
      case 'canceled':
        this.undeployed('the job was canceled');
        break;
      default:
        break;
    }
    this.stamp(e.atMs);
  }

  /** Records the job's state changes with their times, as Flink's job details do. */
  private stamp(atMs: number): void {
    if (this.relaunching) return;
    const state = this.jobState();
    const j = this.job;
    if (j.state === state) return;
    if (state === 'RUNNING') j.timestamps.CREATED ??= atMs;
    j.timestamps[state] = atMs;
    j.state = state;
  }

  private jobState(): JobState {
    const { job } = FLINK_STATES[this.fluid.phase];
    return job === 'ended' ? this.stoppedAs : job;
  }

  private shown(c: FluidCheckpoint, externalPath: string): ShownCheckpoint {
    return {
      id: c.id,
      triggerTimestampMs: c.triggeredAtMs,
      latestAckTimestampMs: c.completedAtMs,
      endToEndDurationMs: c.completedAtMs - c.triggeredAtMs,
      stateSizeBytes: c.stateBytes,
      // An incremental checkpoint uploads less than its full state; a savepoint is always full.
      checkpointedSizeBytes: c.savepoint ? c.stateBytes : Math.round(c.stateBytes * 0.75),
      isSavepoint: c.savepoint,
      position: c.position,
      externalPath,
    };
  }

  private pathOf(c: FluidCheckpoint): string | undefined {
    return (c.savepoint ? this.savepoints : this.job.completed).find((x) => x.id === c.id)?.externalPath;
  }

  /** Places every subtask in a usable slot, the previous ones first (the fluid job deploys only when there are enough). */
  private deployed(atMs: number): void {
    const usable = this.tms.filter((tm) => this.usable(tm)).sort((a, b) => a.slot - b.slot);
    const placement: (string | undefined)[] = this.preferred.map((id) => (usable.some((tm) => tm.id === id) ? id : undefined));
    const free = usable.filter((tm) => !placement.includes(tm.id));
    for (let i = 0; i < this.parallelism; i++) placement[i] = placement[i] ?? free.shift()!.id;
    this.placement = placement as string[];
    this.preferred = this.placement;
    this.deployedAtMs = atMs;
    this.recordsOutBase = this.fluid.processedTotal;
    this.meter.push({ tMs: atMs, processed: this.fluid.processedTotal });
  }

  /** The tasks are gone: REST triggers not yet started fail with them. */
  private undeployed(why: string): void {
    this.placement = undefined;
    for (const id of this.waiting) this.triggers.set(id, { failure: `${CHECKPOINT_EXCEPTION} ${why}` });
    this.waiting = [];
  }

  /**
   * As in test/fixtures/flink-2.2.1/exceptions.json: a killed TaskManager is reported by a peer
   * whose network connection to it broke (taskManagerId is the reporter's); a frozen one, or a
   * killed one without peers, by the heartbeat timeout (taskManagerId is the lost one's).
   */
  private exceptionFor(atMs: number): JobException {
    const placement = this.placement ?? [];
    const f = this.undetected[0] ?? { taskManagerId: placement[0] ?? '(unknown)', cause: 'kill' };
    if (f.cause === 'exception') {
      const source = this.o.job.vertices.find((v) => v.role === 'source')!.name;
      return { timestampMs: atMs, exceptionName: EXCEPTION.task, taskName: `${source} (1/${this.parallelism}) - execution #${this.fluid.numRestarts}`, taskManagerId: f.taskManagerId };
    }
    const sink = this.o.job.vertices.find((v) => v.role === 'sink')!.name;
    const peer = placement.findIndex((id) => id !== f.taskManagerId);
    const index = f.cause === 'kill' && peer >= 0 ? peer : Math.max(0, placement.indexOf(f.taskManagerId));
    return {
      timestampMs: atMs,
      exceptionName: f.cause === 'kill' && peer >= 0 ? EXCEPTION.kill : EXCEPTION.heartbeat,
      taskName: `${sink} (${index + 1}/${this.parallelism}) - execution #${this.fluid.numRestarts}`,
      taskManagerId: placement[index] ?? f.taskManagerId,
    };
  }

  private usable(tm: TaskManagerSim): boolean {
    return tm.alive && tm.frozenUntilMs === undefined;
  }

  private updateSlots(): void {
    setSlotsAvailable(this.fluid, this.tms.filter((tm) => this.usable(tm)).length >= this.parallelism, this.onEvent);
  }

  private thaw(tm: TaskManagerSim): void {
    tm.frozenFromMs = undefined;
    tm.frozenUntilMs = undefined;
    this.undetected = this.undetected.filter((u) => u.taskManagerId !== tm.id || u.cause === 'kill');
    this.updateSlots();
  }

  /** A failure of a TaskManager: a failure of the job when it runs some of its tasks. */
  private failed(tm: TaskManagerSim, cause: 'kill' | 'freeze', freezeMs?: number): void {
    if (this.placement?.includes(tm.id)) {
      const known = this.undetected.find((u) => u.taskManagerId === tm.id);
      if (!known) this.undetected.push({ taskManagerId: tm.id, cause });
      else if (cause === 'kill') known.cause = 'kill'; // a frozen TaskManager killed is lost all the same
      injectFailure(this.fluid, cause, freezeMs, this.onEvent);
      this.stamp(this.nowMs);
    }
    this.updateSlots();
  }

  // ---- operations (the caller has advanced the model to now) -----------------------------

  kill(tm: TaskManagerSim): void {
    tm.alive = false;
    tm.diedAtMs = this.nowMs;
    tm.frozenFromMs = undefined;
    tm.frozenUntilMs = undefined;
    this.failed(tm, 'kill');
  }

  /**
   * The parse subtasks read a task-exception marker for `failAtAttempt`: the job fails over at
   * once (every subtask shares the attempt `numRestarts`) when it matches; otherwise, or when the
   * tasks are not running, the marker is dropped. Returns whether the job failed.
   */
  taskException(failAtAttempt: number): boolean {
    if (!this.placement || this.taskStatus() !== 'RUNNING' || failAtAttempt !== this.fluid.numRestarts) return false;
    this.undetected.push({ taskManagerId: this.placement[0]!, cause: 'exception' });
    injectFailure(this.fluid, 'exception', undefined, this.onEvent);
    this.stamp(this.nowMs);
    return true;
  }

  freeze(tm: TaskManagerSim, durationMs: number): void {
    tm.frozenFromMs = tm.frozenFromMs ?? this.nowMs;
    tm.frozenUntilMs = Math.max(tm.frozenUntilMs ?? 0, this.nowMs + durationMs);
    this.failed(tm, 'freeze', durationMs);
  }

  restartDeadTaskManagers(): string[] {
    const started: string[] = [];
    this.tms = this.tms.map((tm) => {
      if (tm.alive) return tm;
      this.generation++;
      const next = this.newTaskManager(tm.slot);
      started.push(next.id);
      return next;
    });
    this.updateSlots();
    return started;
  }

  /** POST /jobs/:id/checkpoints: like Flink, the request is accepted and fails asynchronously when tasks are not running. Returns the trigger id. */
  triggerCheckpoint(): string {
    const id = hex32(`${this.name}/trigger/${++this.triggerCount}`);
    if (this.triggers.size >= TRIGGERS_KEPT) this.triggers.delete(this.triggers.keys().next().value!);
    if (!['running', 'failed', 'frozen'].includes(this.fluid.phase)) {
      this.triggers.set(id, { failure: `${CHECKPOINT_EXCEPTION} Checkpoint triggering task is not being executed at the moment. Not all required tasks are currently running.` });
      return id;
    }
    this.triggers.set(id, {});
    this.waiting.push(id);
    requestCheckpoint(this.fluid);
    this.settle();
    return id;
  }

  /** What a REST trigger became; undefined for an id Flink does not know (any more). */
  trigger(id: string): Readonly<TriggerOutcome> | undefined {
    return this.triggers.get(id);
  }

  /** Stop-with-savepoint: sources stop now; returns the savepoint's path and when it completes. */
  startStop(targetDirectory: string): { path: string; completesAtMs: number } {
    this.stoppedAs = 'FINISHED';
    stopWithSavepoint(this.fluid, undefined, this.onEvent);
    const id = this.fluid.reconfiguration!.savepoint!.id;
    this.savepointPath = `${targetDirectory.replace(/\/$/, '')}/savepoint-${this.job.id.slice(0, 6)}-${hex32(`${this.job.id}/sp/${id}`).slice(0, 12)}`;
    return { path: this.savepointPath, completesAtMs: this.fluid.phaseEndsAtMs };
  }

  abortStop(): void {
    abortSavepoint(this.fluid, this.onEvent);
  }

  cancel(): void {
    this.stoppedAs = 'CANCELED';
    cancel(this.fluid, this.onEvent);
  }

  /** A new job from savepoint `path` with `intervalMs`; false when the job has not stopped (or a relaunch is under way). */
  relaunch(path: string, intervalMs: number): boolean {
    return relaunch(this.fluid, intervalMs, this.onEvent, this.savepointFrom.get(path));
  }

  // ---- what Flink's REST API would show --------------------------------------------------

  /** Known to the ResourceManager: not yet declared lost after a kill, or a freeze longer than the heartbeat timeout. */
  registered(tm: TaskManagerSim): boolean {
    const { kill, freeze } = this.o.params.detectionSec;
    if (!tm.alive) return tm.diedAtMs !== undefined && this.nowMs < tm.diedAtMs + kill * 1000;
    return tm.frozenFromMs === undefined || this.nowMs < tm.frozenFromMs + freeze * 1000;
  }

  taskStatus(): string {
    const { tasks } = FLINK_STATES[this.fluid.phase];
    return tasks === 'ended' ? this.job.state : tasks;
  }

  /** Metrics are read from running tasks: absent while they are not all RUNNING. */
  reportsMetrics(): boolean {
    return this.jobManagerUp && this.taskStatus() === 'RUNNING';
  }

  /** Flink's checkpoint counts of the current job (a savepoint under way is in progress too). */
  checkpointCounts(): { completed: number; failed: number; restored: number; inProgress: number } {
    const f = this.fluid;
    return { completed: f.job.checkpointsCompleted, failed: f.job.checkpointsFailed, restored: f.job.restored, inProgress: (f.inFlight ? 1 : 0) + (f.phase === 'savepointing' ? 1 : 0) };
  }

  /** When the next periodic checkpoint is due while the tasks are deployed, ms. */
  nextCheckpointAtMs(): number | undefined {
    return this.placement && this.fluid.phase !== 'savepointing' ? this.fluid.nextPeriodicAtMs : undefined;
  }

  /** Records/s the source emitted, averaged over the last `rateWindowMs` since the deployment (like a Flink meter). */
  processingRateEps(): number {
    const from = Math.max(this.nowMs - this.o.rateWindowMs, this.deployedAtMs);
    const m = this.meter;
    let i = m.length - 1;
    while (i > 0 && m[i]!.tMs > from) i--;
    const a = m[i]!;
    const b = m[i + 1];
    const before = b && b.tMs > a.tMs && from > a.tMs ? a.processed + ((b.processed - a.processed) * (from - a.tMs)) / (b.tMs - a.tMs) : a.processed;
    return ((this.fluid.processedTotal - before) * 1000) / this.o.rateWindowMs;
  }

  /**
   * Per-subtask value of each metric of a vertex role (subtasks share the load evenly). Record
   * counters count (fluid, fractional) records since the tasks were deployed; every vertex
   * passes on what the source read (selectivity 1). The latency gauges are the fluid job's p99
   * over the current second: the age of the events output (those waiting in the topic included).
   */
  metricValues(role: VertexRole): Record<string, number> {
    const p = this.parallelism;
    const rate = this.processingRateEps();
    const busy = Math.min(1000, (1000 * rate) / this.o.params.capacityEps);
    const count = (this.fluid.processedTotal - this.recordsOutBase) / p;
    const task = { busyTimeMsPerSecond: busy, idleTimeMsPerSecond: 1000 - busy, backPressuredTimeMsPerSecond: 0 };
    const input = { numRecordsIn: count, numRecordsInPerSecond: rate / p };
    if (role === 'source') {
      return {
        [METRIC.pendingRecords]: backlog(this.fluid) / p,
        [METRIC.sourceOut]: count,
        [METRIC.sourceOutRate]: rate / p,
        [METRIC.sourceIn]: count,
        [METRIC.sourceInRate]: rate / p,
        [METRIC.sourceGroupCommits]: this.checkpointCounts().completed,
        [METRIC.sourceCommitsSucceeded]: this.checkpointCounts().completed,
        numRecordsOut: count,
        numRecordsOutPerSecond: rate / p,
        ...task,
      };
    }
    if (role === 'audit') return { ...input, ...task };
    const latency = latencyP99Ms(this.fluid, this.gauge);
    return { [METRIC.sinkTxnInitNs]: 2_000_000, [`latency.${this.o.latencyMetric}`]: latency, [METRIC.latencyP50]: latency, [METRIC.latencyMean]: latency, ...input, ...task };
  }
}
