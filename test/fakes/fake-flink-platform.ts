import { KhaosError } from '../../src/core/errors.js';
import type { JobKind } from '../../src/core/load/events.js';
import { abortSavepoint, cancel, injectFailure, relaunch, requestCheckpoint, setSlotsAvailable, stopWithSavepoint } from '../../src/core/sim/fluid-commands.js';
import { fluidParams, type FluidParams } from '../../src/core/sim/fluid-params.js';
import { backlog, createFluidJob, latencyP99Ms, newStepTotals, processing, type FluidCheckpoint, type FluidEvent, type FluidPhase, type FluidState, type StepTotals } from '../../src/core/sim/fluid-state.js';
import { step } from '../../src/core/sim/fluid.js';
import type { Clock } from '../../src/ports/clock.js';
import type { FailureInjector, InjectedFailure, TaskExceptionTarget } from '../../src/ports/failure-injector.js';
import type {
  AggregatedMetric,
  CheckpointConfig,
  CheckpointTriggerStatus,
  CheckpointStats,
  CompletedCheckpoint,
  FlinkEngine,
  JobDetails,
  JobException,
  JobState,
  JobSummary,
  RestoredCheckpoint,
  SubtaskLocation,
  TaskManagerInfo,
} from '../../src/ports/flink-engine.js';
import type { MessageBus, OutgoingRecord, ReadRecord } from '../../src/ports/message-bus.js';
import type { Orchestrator, Reconfiguration, ReplicaHandle, ReplicaRequest } from '../../src/ports/orchestrator.js';

/**
 * Options of the fake platform: the fluid job's parameters (replicaParams) and the platform's own
 * timings. Times are on the injected clock; the defaults follow the local stack's config defaults
 * (heartbeat.timeout 5 s, restart delay 1 s, one spare TaskManager).
 */
export interface FakeFlinkPlatformOptions {
  /** Events/s one replica processes while it has a backlog, whatever its parallelism. */
  capacityEps?: number;
  /** From a kill (or the start of a freeze that outlasts it) to the job leaving RUNNING, ms: heartbeat.timeout. */
  detectionDelayMs?: number;
  /**
   * For a freeze, when it differs (default: detectionDelayMs). On the local stack a killed
   * TaskManager is noticed in about a second by its peers' broken connections, a frozen one only
   * by the heartbeat timeout (bench/results/recovery-and-reconfiguration.json).
   */
  freezeDetectionDelayMs?: number;
  /** RESTARTING → RUNNING with every task deployed and the checkpoint restored, ms. */
  restartDelayMs?: number;
  /** End-to-end latency with an empty backlog (window wait, sink), ms. */
  baseLatencyMs?: number;
  /**
   * The per-second rate metrics average the processing over this window, ms (default 1000).
   * Flink's meters average over 60 s (updated every 5 s): 60 000 reproduces their lag and their
   * ramp-up after every (re)start.
   */
  rateWindowMs?: number;
  /** Trigger → completion of a checkpoint while every task runs, ms. */
  checkpointDurationMs?: number;
  /** Trigger → completion of a stop-with-savepoint, ms (sources stop at the trigger). */
  savepointMs?: number;
  /** After a stop-with-savepoint, how long until the resubmitted job runs, ms (the JobManager is gone meanwhile). */
  relaunchMs?: number;
  /** startReplica → job RUNNING with every task deployed, ms; startReplica sleeps this on the clock. */
  startupMs?: number;
  /**
   * Idle TaskManagers per replica beyond one per subtask (default 1, the local stack's default).
   * 0 plays Flink's native Kubernetes mode: no spare, a lost TaskManager's tasks wait for its
   * replacement.
   */
  spareTaskManagers?: number;
}

type Resolved = Required<Omit<FakeFlinkPlatformOptions, 'freezeDetectionDelayMs'>> & { freezeDetectionDelayMs?: number };

/** State size reported for every checkpoint and savepoint, bytes. */
const CHECKPOINT_SIZE_BYTES = 200_000;

const DEFAULTS: Resolved = {
  capacityEps: 10_000,
  detectionDelayMs: 5_000,
  restartDelayMs: 1_000,
  baseLatencyMs: 200,
  rateWindowMs: 1000,
  checkpointDurationMs: 100,
  savepointMs: 1_000,
  relaunchMs: 8_000,
  startupMs: 0,
  spareTaskManagers: 1,
};

type Role = 'source' | 'sink' | 'audit';

/** Vertex names and ids as the sample jobs chain them (ids of the iot job as recorded in test/fixtures/flink-2.2.1). */
const JOBS: Record<JobKind, { name: string; vertices: { role: Role; id: string; name: string }[] }> = {
  iot: {
    name: 'khaos-iot-vehicles',
    vertices: [
      { role: 'source', id: 'e5a72f353fc1e6bbf3bd96a41384998c', name: 'Source: kafka-source -> parse -> area-filter' },
      { role: 'sink', id: '41eb0513d1ea10154d8a9802a0a9cf10', name: 'speed-window -> speeders -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: 'b676783076363a44e25ad3d5e735255f', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
  ysb: {
    name: 'khaos-ysb-advertising',
    vertices: [
      { role: 'source', id: '6d2677a0ecc3fd8df0b72ec675edf8f4', name: 'Source: kafka-source -> parse -> view-filter -> project -> campaign-join' },
      { role: 'sink', id: '3ce5bf1b5b6d0b3a4c4a0b2e3f0f8a11', name: 'campaign-window -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: '9a1f0c4b2d7e4e38b1c0f5d6a7e8b9c0', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
  dedup: {
    name: 'khaos-dedup',
    vertices: [
      { role: 'source', id: '2b8e61d0c4f94a7d9e3c5a1f0b6d8e42', name: 'Source: kafka-source -> parse' },
      { role: 'sink', id: '7c3d92e1a5b04f6e8d2c4b3a1f0e9d53', name: 'dedup -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: '5e4fa3b2c1d04e7f9a8b6c5d4e3f2a64', name: 'audit-count -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
};

/** Operator metric ids as Flink names them (operator name, spaces → `_`, then the metric). */
export const METRIC = {
  pendingRecords: 'Source__kafka-source.pendingRecords',
  sourceOut: 'Source__kafka-source.numRecordsOut',
  sourceOutRate: 'Source__kafka-source.numRecordsOutPerSecond',
  sourceInRate: 'Source__kafka-source.numRecordsInPerSecond',
  latencyP99: 'latency.e2eLatencyP99Ms',
  latencyP50: 'latency.e2eLatencyP50Ms',
  latencyMean: 'latency.e2eLatencyMeanMs',
} as const;

const TASK_METRICS = ['busyTimeMsPerSecond', 'idleTimeMsPerSecond', 'backPressuredTimeMsPerSecond'] as const;
const METRIC_NAMES: Record<Role, string[]> = {
  source: [METRIC.pendingRecords, METRIC.sourceOut, METRIC.sourceOutRate, 'Source__kafka-source.numRecordsIn', METRIC.sourceInRate, 'numRecordsOut', 'numRecordsOutPerSecond', ...TASK_METRICS],
  sink: [METRIC.latencyP99, METRIC.latencyP50, METRIC.latencyMean, 'numRecordsIn', 'numRecordsInPerSecond', ...TASK_METRICS],
  audit: ['numRecordsIn', 'numRecordsInPerSecond', ...TASK_METRICS],
};

const KILL_EXCEPTION = 'org.apache.flink.runtime.io.network.netty.exception.RemoteTransportException';
const HEARTBEAT_EXCEPTION = 'java.util.concurrent.TimeoutException';
/**
 * What Flink records for the parse operator's InjectedTaskFailure: the Kafka source's record
 * emitter runs the chained operators and wraps what they throw ("Failed to deserialize consumer
 * record due to"), as seen on the real stack.
 */
const TASK_EXCEPTION = 'java.io.IOException';

/** Deterministic 32-hex ids (FNV-1a), so runs repeat exactly. */
function hex32(seed: string): string {
  let out = '';
  for (let i = 0; out.length < 32; i++) {
    let h = 0x811c9dc5;
    for (const c of `${seed}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 32);
}

/**
 * The shared input topic as a fluid: its end offset grows at the input rate, which is constant
 * from `sinceMs` and, when `untilMs` is set, 0 from then on.
 */
class InputTopic {
  private base = 0;
  private rateEps = 0;
  private untilMs?: number;
  constructor(private sinceMs: number) {}
  endOffsetAt(tMs: number): number {
    const end = Math.min(tMs, this.untilMs ?? Infinity);
    return this.base + (this.rateEps * Math.max(0, end - this.sinceMs)) / 1000;
  }
  /** The rate in force just after `tMs`. */
  rateAt(tMs: number): number {
    return this.untilMs !== undefined && tMs >= this.untilMs ? 0 : this.rateEps;
  }
  /** Records still to arrive at `tMs` from a rate set for a while. */
  owedAt(tMs: number): number {
    return this.untilMs !== undefined && tMs < this.untilMs ? (this.rateEps * (this.untilMs - tMs)) / 1000 : 0;
  }
  /** When the rate next changes by itself after `tMs` (the end of a rate set for a while). */
  changeAfter(tMs: number): number | undefined {
    return this.untilMs !== undefined && this.untilMs > tMs ? this.untilMs : undefined;
  }
  setRate(tMs: number, eps: number, forMs?: number): void {
    this.base = this.endOffsetAt(tMs);
    this.sinceMs = tMs;
    this.rateEps = eps;
    this.untilMs = forMs === undefined ? undefined : tMs + forMs;
  }
}

interface TaskManagerSim {
  id: string;
  slot: number;
  pid: number;
  alive: boolean;
  diedAtMs?: number;
  frozenFromMs?: number;
  frozenUntilMs?: number;
}

/** A completed checkpoint or savepoint as Flink's REST API shows it, with the source offset it stored. */
interface CheckpointSim extends CompletedCheckpoint {
  position: number;
  externalPath: string;
}

/** What Flink's REST API shows of one job of the replica (a relaunch submits a new one). */
interface JobSim {
  id: string;
  /** The fluid job it shows (FluidJobCounts.number). */
  number: number;
  state: JobState;
  startTimeMs: number;
  timestamps: Partial<Record<JobState, number>>;
  intervalMs: number;
  completed: CheckpointSim[];
  latestRestored?: RestoredCheckpoint;
  /** Newest first, as Flink's exception history. */
  exceptions: JobException[];
}

/** How Flink shows each phase of the fluid job: the job's state and its tasks' ('ended': FINISHED or CANCELED, the JobManager gone). */
const SHOWN: Record<FluidPhase, [job: JobState | 'ended', tasks: string]> = {
  starting: ['INITIALIZING', 'CREATED'],
  running: ['RUNNING', 'RUNNING'],
  failed: ['RUNNING', 'RUNNING'], // not detected yet
  frozen: ['RUNNING', 'RUNNING'],
  savepointing: ['RUNNING', 'RUNNING'],
  scheduled: ['RUNNING', 'SCHEDULED'],
  restoring: ['RUNNING', 'INITIALIZING'],
  restarting: ['RESTARTING', 'CANCELED'],
  stopped: ['ended', 'ended'],
  relaunching: ['ended', 'ended'],
};

/** The physics of a replica with these options: no checkpoint cost, fixed checkpoint, savepoint and restart times, restore included in the restart. */
function replicaParams(o: Resolved): FluidParams {
  return fluidParams({
    capacityEps: o.capacityEps,
    checkpoint: { baseMs: o.checkpointDurationMs, bytesPerSec: Infinity, capacityLoss: 0, latencyMs: 0 },
    detectionSec: { kill: o.detectionDelayMs / 1000, freeze: (o.freezeDetectionDelayMs ?? o.detectionDelayMs) / 1000, exception: 0 },
    restartSec: o.restartDelayMs / 1000,
    restore: { baseSec: 0, bytesPerSec: Infinity },
    savepoint: { baseMs: o.savepointMs },
    relaunchSec: o.relaunchMs / 1000,
    latency: { baseMs: o.baseLatencyMs, perCiMs: 0, queueMsEps: 0 },
    state: { baseBytes: CHECKPOINT_SIZE_BYTES, bytesPerEvent: 0, windowSec: 60 },
  });
}

/**
 * One replica: its job's physics is a fluid job (src/core/sim/fluid.ts) advanced lazily to the
 * clock by whoever looks at it; this class adds what Flink and the machine show of it: job ids,
 * TaskManager processes and the slots they offer, subtask placement, checkpoint paths, REST
 * triggers, exceptions and metrics. Exposed for FakeFlinkEngine/FakeFailureInjector; tests use
 * FakeFlinkPlatform's helpers instead.
 */
class ReplicaModel {
  readonly parallelism: number;
  readonly kind: (typeof JOBS)[JobKind];
  readonly fluid: FluidState;
  tms: TaskManagerSim[] = [];
  job: JobSim;
  /** TaskManager of each subtask index (one slot per TaskManager, all vertices share it) while the tasks are deployed. */
  placement?: string[];
  /** Where the subtasks ran last: Flink prefers the previous slots on a restart. */
  preferred: string[];
  /** Outcomes of checkpoints triggered over REST, by trigger id. */
  readonly triggers = new Map<string, { checkpointId?: number; failure?: string }>();
  /** Savepoints this replica completed, any job of it, oldest first. */
  readonly savepoints: CheckpointSim[] = [];
  private readonly savepointFrom = new Map<string, FluidCheckpoint>();
  /** REST triggers not yet given a checkpoint. */
  private waiting: string[] = [];
  /** Path of the savepoint under way. */
  private savepointPath = '';
  private stoppedAs: 'FINISHED' | 'CANCELED' = 'FINISHED';
  /** Failed TaskManagers of the deployed tasks, first first, until the job notices: the exception Flink will record. */
  private undetected: { taskManagerId: string; cause: 'kill' | 'freeze' | 'exception' }[] = [];
  private generation = 0;
  private readonly startMs: number;
  /** When the tasks were last deployed, and how much had been processed: Flink's record counters and meters start again then. */
  private deployedAtMs: number;
  private recordsOutBase = 0;
  /** Processing so far at recent times, for the rate meters. */
  private meter: { tMs: number; processed: number }[] = [];
  /** The latency gauge's window: the current second since the replica started. */
  private gauge: StepTotals = newStepTotals();
  private readonly onEvent = (e: FluidEvent) => this.event(e);

  constructor(
    readonly request: ReplicaRequest,
    readonly restUrl: string,
    private readonly input: InputTopic,
    private readonly o: Resolved,
    nowMs: number,
    private readonly nextPid: () => number,
  ) {
    this.startMs = nowMs;
    this.deployedAtMs = nowMs;
    this.parallelism = request.parallelism;
    this.kind = JOBS[request.job];
    for (let slot = 0; slot < request.parallelism + o.spareTaskManagers; slot++) this.tms.push(this.newTaskManager(slot));
    this.preferred = this.tms.slice(0, this.parallelism).map((t) => t.id);
    // Flink's own periodic checkpoints ('restart': the interval changes only with a new job), REST triggers on top.
    this.fluid = createFluidJob(replicaParams(o), {
      actuator: 'restart', intervalMs: request.checkpointIntervalMs, atMs: nowMs, startupMs: o.startupMs, inputOffset: input.endOffsetAt(nowMs), checkpointsUntilDetected: true,
    });
    this.job = this.newJob(nowMs);
    this.meter.push({ tMs: nowMs, processed: 0 });
    if (this.fluid.phase === 'running') this.deployed(nowMs);
    this.stamp(nowMs);
  }

  get name(): string {
    return this.request.name;
  }

  get nowMs(): number {
    return this.fluid.tMs;
  }

  /** The JobManager answers: not once its job has ended (application mode), nor while a relaunched one starts. */
  get jobManagerUp(): boolean {
    return this.fluid.phase !== 'stopped' && this.fluid.phase !== 'relaunching';
  }

  /** A relaunch is under way: the new JobManager process runs, its job not yet. */
  get relaunching(): boolean {
    return this.fluid.phase === 'relaunching';
  }

  private newTaskManager(slot: number): TaskManagerSim {
    return { id: `${this.name}-tm${slot}-g${this.generation}`, slot, pid: this.nextPid(), alive: true };
  }

  private newJob(atMs: number): JobSim {
    const number = this.fluid.job.number;
    return { id: hex32(`${this.name}/job/${number}`), number, state: 'INITIALIZING', startTimeMs: atMs, timestamps: { INITIALIZING: atMs }, intervalMs: this.fluid.intervalMs, completed: [], exceptions: [] };
  }

  // ---- time ------------------------------------------------------------------------------

  /** Runs the fluid job to `toMs` at the topic's rates, thawing TaskManagers on time, then fires what is due then. */
  advanceTo(toMs: number): void {
    const s = this.fluid;
    while (s.tMs < toMs) {
      const second = this.startMs + Math.floor((s.tMs - this.startMs) / 1000) * 1000;
      // The latency gauge reports over the current second (a partial one continues its totals).
      if (s.tMs === second) this.gauge = newStepTotals();
      const thaw = Math.min(...this.tms.map((tm) => tm.frozenUntilMs ?? Infinity));
      const end = Math.min(toMs, second + 1000, this.input.changeAfter(s.tMs) ?? Infinity, thaw);
      step(s, end - s.tMs, this.input.rateAt(s.tMs), this.gauge, this.onEvent);
      this.meter.push({ tMs: s.tMs, processed: s.processedTotal });
      for (const tm of this.tms) if (tm.frozenUntilMs !== undefined && tm.frozenUntilMs <= s.tMs) this.thaw(tm);
    }
    this.settle();
    while (this.meter.length > 2 && this.meter[1]!.tMs <= toMs - this.o.rateWindowMs) this.meter.shift();
  }

  /** Fires what is due now (a command's consequences at the same instant). */
  private settle(): void {
    step(this.fluid, 0, this.input.rateAt(this.fluid.tMs), this.gauge, this.onEvent);
  }

  // ---- what the fluid job does, as Flink shows it --------------------------------------

  private event(e: FluidEvent): void {
    // A relaunched job exists once its JobManager is up.
    if (this.fluid.phase !== 'relaunching' && this.fluid.job.number !== this.job.number) this.job = this.newJob(e.atMs);
    switch (e.kind) {
      case 'checkpoint-triggered':
        for (const id of this.waiting) this.triggers.set(id, { checkpointId: e.id });
        this.waiting = [];
        break;
      case 'checkpoint-completed':
        this.job.completed.push(this.shown(e.checkpoint, `file:/fake/${this.name}/checkpoints/${this.job.id}/chk-${e.checkpoint.id}`));
        break;
      case 'checkpoint-aborted':
        for (const [id, t] of this.triggers) if (t.checkpointId === e.id) this.triggers.set(id, { failure: `org.apache.flink.runtime.checkpoint.CheckpointException ${e.why}` });
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
    const [job] = SHOWN[this.fluid.phase];
    return job === 'ended' ? this.stoppedAs : job;
  }

  private shown(c: FluidCheckpoint, externalPath: string): CheckpointSim {
    return {
      id: c.id,
      triggerTimestampMs: c.triggeredAtMs,
      latestAckTimestampMs: c.completedAtMs,
      endToEndDurationMs: c.completedAtMs - c.triggeredAtMs,
      stateSizeBytes: c.stateBytes,
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
    for (const id of this.waiting) this.triggers.set(id, { failure: `org.apache.flink.runtime.checkpoint.CheckpointException ${why}` });
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
      const source = this.kind.vertices.find((v) => v.role === 'source')!.name;
      return { timestampMs: atMs, exceptionName: TASK_EXCEPTION, taskName: `${source} (1/${this.parallelism}) - execution #${this.fluid.numRestarts}`, taskManagerId: f.taskManagerId };
    }
    const sink = this.kind.vertices.find((v) => v.role === 'sink')!.name;
    const peer = placement.findIndex((id) => id !== f.taskManagerId);
    const index = f.cause === 'kill' && peer >= 0 ? peer : Math.max(0, placement.indexOf(f.taskManagerId));
    return {
      timestampMs: atMs,
      exceptionName: f.cause === 'kill' && peer >= 0 ? KILL_EXCEPTION : HEARTBEAT_EXCEPTION,
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

  /** POST /jobs/:id/checkpoints: like Flink, the request is accepted and fails asynchronously when tasks are not running. */
  requestCheckpoint(triggerId: string): void {
    if (!['running', 'failed', 'frozen'].includes(this.fluid.phase)) {
      this.triggers.set(triggerId, { failure: 'org.apache.flink.runtime.checkpoint.CheckpointException Checkpoint triggering task is not being executed at the moment. Not all required tasks are currently running.' });
      return;
    }
    this.triggers.set(triggerId, {});
    this.waiting.push(triggerId);
    requestCheckpoint(this.fluid);
    this.settle();
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
    if (!tm.alive) return tm.diedAtMs !== undefined && this.nowMs < tm.diedAtMs + this.o.detectionDelayMs;
    return tm.frozenFromMs === undefined || this.nowMs < tm.frozenFromMs + (this.o.freezeDetectionDelayMs ?? this.o.detectionDelayMs);
  }

  taskStatus(): string {
    const [, tasks] = SHOWN[this.fluid.phase];
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
   * passes on what the source read (selectivity 1). The latency gauge is the fluid job's p99 over
   * the current second: the age of the events output (those waiting in the topic included).
   */
  metricValues(role: Role): Record<string, number> {
    const p = this.parallelism;
    const rate = this.processingRateEps();
    const lag = backlog(this.fluid);
    const busy = Math.min(1000, (1000 * rate) / this.o.capacityEps);
    const latency = latencyP99Ms(this.fluid, this.gauge);
    const count = (this.fluid.processedTotal - this.recordsOutBase) / p;
    const task = { busyTimeMsPerSecond: busy, idleTimeMsPerSecond: 1000 - busy, backPressuredTimeMsPerSecond: 0 };
    const input = { numRecordsIn: count, numRecordsInPerSecond: rate / p };
    if (role === 'source') {
      return {
        [METRIC.pendingRecords]: lag / p,
        [METRIC.sourceOut]: count,
        [METRIC.sourceOutRate]: rate / p,
        'Source__kafka-source.numRecordsIn': count,
        [METRIC.sourceInRate]: rate / p,
        numRecordsOut: count,
        numRecordsOutPerSecond: rate / p,
        ...task,
      };
    }
    if (role === 'sink') return { [METRIC.latencyP99]: latency, [METRIC.latencyP50]: latency, [METRIC.latencyMean]: latency, ...input, ...task };
    return { ...input, ...task };
  }
}

/** One recorded call: which method, its arguments, and the clock's time. */
interface RecordedCall {
  method: string;
  args: unknown[];
  atMs: number;
}

const notBeingExecuted = (jobId: string, task: string) =>
  new KhaosError(
    'platform',
    `stop-with-savepoint of job ${jobId} failed: java.util.concurrent.CompletionException org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task ${task} of job ${jobId} is not being executed at the moment. Aborting checkpoint. Failure reason: Not all required tasks are currently running.`,
    'the job keeps running; see the JobManager log',
  );

/**
 * The FlinkEngine of one fake replica, found by its REST URL at every call (like an HTTP client:
 * a replica stopped or relaunched answers, or not, as the real JobManager would).
 *
 * Switches: `unreachable` makes every call fail like a dead JobManager; `failNextSavepoint`
 * makes the next stopWithSavepoint fail with Flink's CheckpointException while the job keeps
 * running. `calls` records every call.
 */
class FakeFlinkEngine implements FlinkEngine {
  unreachable = false;
  failNextSavepoint = false;
  readonly calls: RecordedCall[] = [];

  constructor(
    readonly restUrl: string,
    private readonly lookup: (restUrl: string) => ReplicaModel | undefined,
    private readonly clock: Clock,
  ) {}

  /** Records the call and answers the live, advanced model, or throws as a refused connection would. */
  private model(method: string, args: unknown[], http: string): ReplicaModel {
    this.calls.push({ method, args, atMs: this.clock.now() });
    const m = this.lookup(this.restUrl);
    m?.advanceTo(this.clock.now());
    if (this.unreachable || !m || !m.jobManagerUp) {
      throw new KhaosError('platform', `Flink REST ${http} ${this.restUrl} failed: fetch failed (connect ECONNREFUSED)`, 'is the JobManager running? `khaos stack status`');
    }
    return m;
  }

  private jobOf(m: ReplicaModel, jobId: string): JobSim {
    if (m.job.id !== jobId) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId} answered 404: {"errors":["Job ${jobId} not found"]}`);
    return m.job;
  }

  private vertexOf(m: ReplicaModel, jobId: string, vertexId: string) {
    const v = m.kind.vertices.find((x) => x.id === vertexId);
    if (!v) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/vertices/${vertexId} answered 404: {"errors":["No vertex with ID '${vertexId}' exists."]}`);
    return v;
  }

  async isReachable(): Promise<boolean> {
    try {
      this.model('isReachable', [], 'GET /overview');
      return true;
    } catch {
      return false;
    }
  }

  async listJobs(): Promise<JobSummary[]> {
    const m = this.model('listJobs', [], 'GET /jobs/overview');
    return [{ id: m.job.id, name: m.kind.name, state: m.job.state, startTimeMs: m.job.startTimeMs }];
  }

  async job(jobId: string): Promise<JobDetails> {
    const m = this.model('job', [jobId], `GET /jobs/${jobId}`);
    const j = this.jobOf(m, jobId);
    const status = m.taskStatus();
    return {
      id: j.id,
      name: m.kind.name,
      state: j.state,
      startTimeMs: j.startTimeMs,
      timestamps: { ...j.timestamps },
      vertices: m.kind.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: m.parallelism, status })),
    };
  }

  async subtasks(jobId: string, vertexId: string): Promise<SubtaskLocation[]> {
    const m = this.model('subtasks', [jobId, vertexId], `GET /jobs/${jobId}/vertices/${vertexId}`);
    const j = this.jobOf(m, jobId);
    this.vertexOf(m, jobId, vertexId);
    const status = m.taskStatus();
    const where = m.placement ?? (j.state === 'RESTARTING' ? m.preferred : []);
    return Array.from({ length: m.parallelism }, (_, i) => ({ subtask: i, status, taskManagerId: where[i] ?? '(unassigned)', attempt: m.fluid.numRestarts }));
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const m = this.model('checkpoints', [jobId], `GET /jobs/${jobId}/checkpoints`);
    const j = this.jobOf(m, jobId);
    const { completed, failed, restored, inProgress } = m.checkpointCounts();
    const latest = [...j.completed].reverse().find((c) => !c.isSavepoint);
    return {
      counts: { completed, failed, restored, inProgress, total: completed + failed + inProgress },
      latestCompleted: latest ? strip(latest) : undefined,
      latestRestored: j.latestRestored ? { ...j.latestRestored } : undefined,
    };
  }

  async checkpointConfig(jobId: string): Promise<CheckpointConfig> {
    const m = this.model('checkpointConfig', [jobId], `GET /jobs/${jobId}/checkpoints/config`);
    const j = this.jobOf(m, jobId);
    return { intervalMs: j.intervalMs, timeoutMs: 120_000, minPauseMs: 0, mode: 'exactly_once', tolerableFailures: 3 };
  }

  async exceptions(jobId: string): Promise<JobException[]> {
    const m = this.model('exceptions', [jobId], `GET /jobs/${jobId}/exceptions`);
    return this.jobOf(m, jobId).exceptions.map((e) => ({ ...e }));
  }

  async taskManagers(): Promise<TaskManagerInfo[]> {
    const m = this.model('taskManagers', [], 'GET /taskmanagers');
    const used = new Set(m.placement ?? []);
    return m.tms.filter((tm) => m.registered(tm)).map((tm) => ({ id: tm.id, slots: 1, freeSlots: used.has(tm.id) ? 0 : 1 }));
  }

  async vertexMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    const m = this.model('vertexMetricNames', [jobId, vertexId], `GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`);
    this.jobOf(m, jobId);
    const v = this.vertexOf(m, jobId, vertexId);
    return m.reportsMetrics() ? [...METRIC_NAMES[v.role]] : [];
  }

  async vertexMetrics(jobId: string, vertexId: string, names: string[]): Promise<Record<string, AggregatedMetric>> {
    const m = this.model('vertexMetrics', [jobId, vertexId, names], `GET /jobs/${jobId}/vertices/${vertexId}/subtasks/metrics`);
    this.jobOf(m, jobId);
    const v = this.vertexOf(m, jobId, vertexId);
    if (!m.reportsMetrics()) return {};
    const values = m.metricValues(v.role);
    const out: Record<string, AggregatedMetric> = {};
    for (const n of names) {
      const x = values[n];
      if (x !== undefined) out[n] = { min: x, max: x, avg: x, sum: x * m.parallelism };
    }
    return out;
  }

  async jobMetrics(jobId: string, names: string[]): Promise<Record<string, number>> {
    const m = this.model('jobMetrics', [jobId, names], `GET /jobs/${jobId}/metrics`);
    const j = this.jobOf(m, jobId);
    const last = j.completed.at(-1);
    const { completed, failed, inProgress } = m.checkpointCounts();
    const all: Record<string, number> = {
      numRestarts: m.fluid.numRestarts,
      lastCheckpointDuration: last?.endToEndDurationMs ?? -1,
      lastCheckpointSize: last?.stateSizeBytes ?? -1,
      numberOfCompletedCheckpoints: completed,
      numberOfFailedCheckpoints: failed,
      numberOfInProgressCheckpoints: inProgress,
      totalNumberOfCheckpoints: completed + failed + inProgress,
    };
    return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]!]));
  }

  /**
   * Sleeps the savepoint time on the clock (sources stop at the trigger). Fails like Flink while
   * any task is not running, and after `timeoutMs` when the savepoint takes longer (it is then
   * abandoned and the job runs on).
   */
  async stopWithSavepoint(jobId: string, targetDirectory: string, timeoutMs: number): Promise<string> {
    const m = this.model('stopWithSavepoint', [jobId, targetDirectory, timeoutMs], `POST /jobs/${jobId}/stop`);
    this.jobOf(m, jobId);
    const task = `${m.kind.vertices.find((v) => v.role === 'sink')!.name} (1/${m.parallelism})`;
    if (!processing(m.fluid)) throw notBeingExecuted(jobId, task);
    if (this.failNextSavepoint) {
      this.failNextSavepoint = false;
      throw notBeingExecuted(jobId, task);
    }
    const { path, completesAtMs } = m.startStop(targetDirectory);
    const savepointMs = completesAtMs - m.nowMs;
    await this.clock.sleep(Math.min(savepointMs, timeoutMs));
    m.advanceTo(this.clock.now());
    if (m.savepoints.some((sp) => sp.externalPath === path)) return path;
    if (savepointMs > timeoutMs) {
      m.abortStop();
      throw new KhaosError('timeout', `stop-with-savepoint of job ${jobId} did not complete within ${timeoutMs} ms`, 'check checkpoint durations: a savepoint needs an aligned snapshot');
    }
    throw new KhaosError('platform', `stop-with-savepoint of job ${jobId} failed: the job failed while the savepoint was taken`, 'the job keeps running; see the JobManager log');
  }

  async cancel(jobId: string): Promise<void> {
    const m = this.model('cancel', [jobId], `PATCH /jobs/${jobId}`);
    this.jobOf(m, jobId);
    m.cancel();
  }

  private triggerCount = 0;

  async triggerCheckpoint(jobId: string): Promise<string> {
    const m = this.model('triggerCheckpoint', [jobId], `POST /jobs/${jobId}/checkpoints`);
    this.jobOf(m, jobId);
    const id = hex32(`${this.restUrl}/trigger/${++this.triggerCount}`);
    m.requestCheckpoint(id);
    return id;
  }

  async checkpointTriggerStatus(jobId: string, triggerId: string): Promise<CheckpointTriggerStatus> {
    const m = this.model('checkpointTriggerStatus', [jobId, triggerId], `GET /jobs/${jobId}/checkpoints/${triggerId}`);
    const j = this.jobOf(m, jobId);
    const t = m.triggers.get(triggerId);
    if (!t) throw new KhaosError('platform', `Flink REST GET /jobs/${jobId}/checkpoints/${triggerId} answered 404: {"errors":["Operation not found under key"]}`);
    if (t.failure) return { state: 'FAILED', cause: t.failure };
    return j.completed.some((c) => c.id === t.checkpointId) ? { state: 'COMPLETED', checkpointId: t.checkpointId! } : { state: 'IN_PROGRESS' };
  }
}

/** See FakeFlinkPlatform.feedingBus. */
class InputFeedingBus implements MessageBus {
  constructor(
    private readonly bus: MessageBus,
    private readonly isInput: (topic: string) => boolean,
    private readonly arrived: (records: number) => void,
  ) {}
  ensureTopic(topic: string, partitions: number): Promise<void> {
    return this.bus.ensureTopic(topic, partitions);
  }
  partitions(topic: string): Promise<number> {
    return this.bus.partitions(topic);
  }
  async produce(topic: string, records: OutgoingRecord[]): Promise<void> {
    await this.bus.produce(topic, records);
    if (this.isInput(topic) && records.length > 0) this.arrived(records.length);
  }
  endOffsetTotal(topic: string): Promise<number> {
    return this.bus.endOffsetTotal(topic);
  }
  readAllCommitted(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<ReadRecord[]> {
    return this.bus.readAllCommitted(topic, opts);
  }
  readTimestamps(topic: string, opts: { idleMs: number; timeoutMs: number }): Promise<number[]> {
    return this.bus.readTimestamps(topic, opts);
  }
  tailCommitted(topic: string, onRecord: (value: string, seenAtMs: number) => void): Promise<{ close(): Promise<void> }> {
    return this.bus.tailCommitted(topic, onRecord);
  }
  close(): Promise<void> {
    return this.bus.close();
  }
}

function strip(c: CheckpointSim): CompletedCheckpoint {
  return {
    id: c.id,
    triggerTimestampMs: c.triggerTimestampMs,
    latestAckTimestampMs: c.latestAckTimestampMs,
    endToEndDurationMs: c.endToEndDurationMs,
    stateSizeBytes: c.stateSizeBytes,
    checkpointedSizeBytes: c.checkpointedSizeBytes,
    isSavepoint: c.isSavepoint,
  };
}

/**
 * Kills or freezes a fake TaskManager. Like ProcessFailureInjector: an unknown or dead id is
 * KhaosError('bad-input') (handles list live TaskManagers only), and freeze resolves after sleeping
 * its duration on the clock. `injected` records what was done.
 */
class FakeFailureInjector implements FailureInjector {
  readonly injected: InjectedFailure[] = [];

  constructor(
    private readonly model: () => ReplicaModel,
    private readonly clock: Clock,
    readonly replica: string,
  ) {}

  private target(taskManagerId: string): { m: ReplicaModel; tm: TaskManagerSim } {
    const m = this.model();
    m.advanceTo(this.clock.now());
    const tm = m.tms.find((t) => t.id === taskManagerId);
    if (!tm || !tm.alive) throw new KhaosError('bad-input', `TaskManager ${taskManagerId} is not a live process of replica ${this.replica}`, 'its live TaskManagers: `khaos stack status`');
    return { m, tm };
  }

  async kill(taskManagerId: string): Promise<InjectedFailure> {
    const { m, tm } = this.target(taskManagerId);
    m.kill(tm);
    const f: InjectedFailure = { type: 'kill', taskManagerId, pid: tm.pid, injectedAtMs: this.clock.now() };
    this.injected.push(f);
    return f;
  }

  async freeze(taskManagerId: string, durationMs: number): Promise<InjectedFailure> {
    const { m, tm } = this.target(taskManagerId);
    const injectedAtMs = this.clock.now();
    m.freeze(tm, durationMs);
    await this.clock.sleep(durationMs);
    m.advanceTo(this.clock.now());
    const f: InjectedFailure = { type: 'freeze', taskManagerId, pid: tm.pid, injectedAtMs, resumedAtMs: this.clock.now() };
    this.injected.push(f);
    return f;
  }

  /**
   * Like app/task-exception.ts on the real platform: the parse subtasks' attempt is read, the
   * marker written (the job is not given the target: the fake's input is one topic) and read at
   * once. KhaosError('platform') when the tasks are not all RUNNING.
   */
  async exception(target: TaskExceptionTarget): Promise<InjectedFailure> {
    void target;
    const m = this.model();
    m.advanceTo(this.clock.now());
    if (!m.placement || m.taskStatus() !== 'RUNNING') throw new KhaosError('platform', `the parse subtasks of replica ${this.replica} are not all RUNNING`, 'wait until every task runs, then try again');
    const failAtAttempt = m.fluid.numRestarts;
    const taskManagerId = m.placement[0]!;
    const f: InjectedFailure = { type: 'exception', taskManagerId, pid: m.tms.find((t) => t.id === taskManagerId)?.pid ?? 0, injectedAtMs: this.clock.now(), failAtAttempt };
    m.taskException(failAtAttempt);
    this.injected.push(f);
    return f;
  }
}

/** What a test can see of one replica's model (a snapshot, advanced to the clock). */
export interface ReplicaSnapshot {
  jobId: string;
  jobState: JobState;
  /** Subtask index → TaskManager id; undefined while the tasks are not deployed. */
  placement?: string[];
  /** Records are being processed now (RUNNING, deployed, no task dead or frozen, not stopping). */
  processing: boolean;
  /** Input records not yet read by this replica (its consumer lag). */
  backlog: number;
  /** Offset this replica has read up to (records). */
  consumedOffset: number;
  numRestarts: number;
  /** When the next periodic checkpoint is due, ms (undefined while not deployed). */
  nextCheckpointAtMs?: number;
  /** Completed checkpoints and savepoints of the current job with the offsets they stored, oldest first. */
  checkpoints: CheckpointSim[];
  taskManagers: { id: string; pid: number; alive: boolean; frozenUntilMs?: number }[];
}

/**
 * A fake local Flink platform (an Orchestrator) for unit tests, driven by an injected clock
 * (normally a ManualClock): each replica's job is a fluid job of src/core/sim/fluid.ts — the
 * simulator's physics, tested there — advanced lazily to clock.now() whenever anything looks at
 * it. This file only adapts it: ids, REST-shaped answers, processes, slots, the input topic.
 *
 * Model: every replica reads one shared input topic whose rate the test sets (`setInputRate`,
 * or a replay through `feedingBus`). A replica's backlog grows with the input and drains at
 * `capacityEps` while its job runs. Flink's own checkpoints are triggered every interval from
 * the moment the tasks are deployed (REST triggers on top) and store the source offset. A kill
 * of a TaskManager running tasks stops processing at once; after `detectionDelayMs` the job is
 * RESTARTING, after `restartDelayMs` more it is RUNNING again from the latest completed
 * checkpoint, so the source rewinds to that checkpoint's offset and replays. A freeze stops
 * processing too (checkpoints complete only after the thaw); one longer than
 * `freezeDetectionDelayMs` restarts the job as a kill does, a shorter one only leaves a backlog.
 * Subtask i of every vertex runs on `<replica>-tm<i>-g0`, one slot per TaskManager plus one idle
 * spare; a dead TaskManager stays dead until `restartDeadTaskManagers`, and a restart without
 * enough free slots leaves the job RUNNING with its tasks SCHEDULED and not processing (as
 * Flink's default scheduler does) until slots return.
 *
 * Time: the model only reads the clock, except where the real adapter takes time: startReplica
 * (`startupMs`), stopWithSavepoint (`savepointMs`), reconfigure (savepoint, retries, relaunch)
 * and freeze sleep on it (a ManualClock runs concurrent sleepers in time order).
 */
export class FakeFlinkPlatform implements Orchestrator {
  readonly options: Readonly<Resolved>;
  readonly calls: RecordedCall[] = [];
  private readonly input: InputTopic;
  private readonly models = new Map<string, ReplicaModel>();
  private readonly engines = new Map<string, FakeFlinkEngine>();
  private readonly injectors = new Map<string, FakeFailureInjector>();
  private nextPort = 8081;
  private pid = 40_000;

  constructor(
    private readonly clock: Clock,
    options: FakeFlinkPlatformOptions = {},
  ) {
    this.options = Object.freeze({ ...DEFAULTS, ...options });
    this.input = new InputTopic(clock.now());
  }

  get bootstrap(): string {
    return 'fake-kafka:9092';
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args, atMs: this.clock.now() });
  }

  private model(name: string): ReplicaModel {
    const m = this.models.get(name);
    if (!m) throw new KhaosError('bad-input', `no replica "${name}" in the fake platform`, `replicas: ${[...this.models.keys()].join(', ') || 'none'}`);
    m.advanceTo(this.clock.now());
    return m;
  }

  async startReplica(request: ReplicaRequest): Promise<ReplicaHandle> {
    this.record('startReplica', [request]);
    if (this.models.has(request.name)) throw new KhaosError('bad-input', `replica "${request.name}" already runs on the fake platform`);
    if (!Number.isInteger(request.parallelism) || request.parallelism < 1) throw new KhaosError('bad-input', `parallelism must be a positive integer, got ${request.parallelism}`);
    if (!(request.checkpointIntervalMs > 0)) throw new KhaosError('bad-input', `checkpointIntervalMs must be positive, got ${request.checkpointIntervalMs}`);
    const restUrl = `http://127.0.0.1:${this.nextPort++}`;
    this.models.set(request.name, new ReplicaModel({ ...request }, restUrl, this.input, this.options, this.clock.now(), () => this.pid++));
    if (this.options.startupMs > 0) await this.clock.sleep(this.options.startupMs);
    return this.handle(this.model(request.name));
  }

  replica(name: string): ReplicaHandle {
    return this.handle(this.model(name));
  }

  private handle(m: ReplicaModel): ReplicaHandle {
    return { name: m.name, restUrl: m.restUrl, checkpointIntervalMs: m.job.intervalMs, taskManagers: m.tms.filter((t) => t.alive).map(({ id, pid }) => ({ id, pid })) };
  }

  /** As LocalStack: stop-with-savepoint (retried while tasks redeploy), then relaunch from it with the new interval. */
  async reconfigure(name: string, checkpointIntervalMs: number): Promise<Reconfiguration> {
    this.record('reconfigure', [name, checkpointIntervalMs]);
    const requestedAtMs = this.clock.now();
    const { savepointPath, stoppedAtMs } = await this.stopWithSavepoint(name);
    const { runningAtMs } = await this.relaunch(name, savepointPath, checkpointIntervalMs);
    return { savepointPath, requestedAtMs, stoppedAtMs, runningAtMs };
  }

  async stopWithSavepoint(name: string): Promise<{ savepointPath: string; stoppedAtMs: number }> {
    this.record('stopWithSavepoint', [name]);
    const m = this.model(name);
    const flink = this.flinkAt(m.restUrl);
    const running = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
    if (!running) throw new KhaosError('platform', `replica ${name} has no RUNNING job to reconfigure`, 'wait until it recovers, then try again');
    for (let attempt = 1; ; attempt++) {
      try {
        const savepointPath = await flink.stopWithSavepoint(running.id, `file:/fake/${name}/savepoints`, 120_000);
        return { savepointPath, stoppedAtMs: this.clock.now() };
      } catch (e) {
        const transient = e instanceof KhaosError && e.kind === 'platform' && /not being executed|Not all required tasks/.test(e.message);
        if (!transient || attempt >= 5) throw e;
        await this.clock.sleep(2000);
      }
    }
  }

  async relaunch(name: string, savepointPath: string, checkpointIntervalMs: number): Promise<{ runningAtMs: number }> {
    this.record('relaunch', [name, savepointPath, checkpointIntervalMs]);
    const m = this.model(name);
    if (!m.savepoints.some((sp) => sp.externalPath === savepointPath)) throw new KhaosError('platform', `replica ${name}: no savepoint at ${savepointPath}`);
    if (!m.relaunch(savepointPath, checkpointIntervalMs)) throw new KhaosError('platform', `replica ${name}: its JobManager still runs; stop the job first`);
    await this.clock.sleep(this.options.relaunchMs);
    m.advanceTo(this.clock.now());
    if (!m.placement) throw new KhaosError('timeout', `replica ${name} not running after relaunch: too few TaskManagers for parallelism ${m.parallelism}`);
    return { runningAtMs: this.clock.now() };
  }

  savepoints(name: string): { path: string; completedAtMs: number }[] {
    return this.model(name).savepoints.map((sp) => ({ path: sp.externalPath, completedAtMs: sp.latestAckTimestampMs })).reverse();
  }

  jobManagerAlive(name: string): boolean {
    const m = this.model(name);
    return m.jobManagerUp || m.relaunching;
  }

  restartDeadTaskManagers(name: string): string[] {
    this.record('restartDeadTaskManagers', [name]);
    return this.model(name).restartDeadTaskManagers();
  }

  async stopReplica(name: string): Promise<void> {
    this.record('stopReplica', [name]);
    this.model(name);
    this.models.delete(name);
  }

  /** The replica's FlinkEngine (one per URL, so switches set on it stay set). */
  flinkAt(restUrl: string): FakeFlinkEngine {
    let e = this.engines.get(restUrl);
    if (!e) {
      e = new FakeFlinkEngine(restUrl, (url) => [...this.models.values()].find((m) => m.restUrl === url), this.clock);
      this.engines.set(restUrl, e);
    }
    return e;
  }

  /** The replica's FailureInjector (one per replica, so `injected` accumulates). */
  injectorFor(replica: string): FakeFailureInjector {
    let i = this.injectors.get(replica);
    if (!i) {
      i = new FakeFailureInjector(() => this.model(replica), this.clock, replica);
      this.injectors.set(replica, i);
    }
    return i;
  }

  // ---- test helpers ----------------------------------------------------------------------

  /**
   * Input events/s into the shared topic from now on (every replica reads all of it), for
   * `forMs` when given (then 0), else until set again.
   */
  setInputRate(eps: number, forMs?: number): void {
    if (!(eps >= 0)) throw new KhaosError('bad-input', `input rate must be ≥ 0, got ${eps}`);
    if (forMs !== undefined && !(forMs > 0)) throw new KhaosError('bad-input', `forMs must be > 0, got ${forMs}`);
    const now = this.clock.now();
    for (const m of this.models.values()) m.advanceTo(now);
    this.input.setRate(now, eps, forMs);
  }

  get inputRateEps(): number {
    return this.input.rateAt(this.clock.now());
  }

  /**
   * A MessageBus that forwards everything to `bus` and turns each batch produced to
   * `inputTopic` into the input rate for the next `sliceMs` (the replayer and the profile flow
   * send a second's events in 10 slices of 100 ms): how a replayed trace reaches the replicas.
   * `inputTopic` may be a test of the name, for runs that replay into several topics (one at a
   * time: the fake has one input that every replica reads).
   */
  feedingBus(bus: MessageBus, inputTopic: string | ((topic: string) => boolean), sliceMs = 100): MessageBus {
    // Batches sent late arrive together: what an earlier slice still owed is added, so every record arrives.
    return new InputFeedingBus(bus, typeof inputTopic === 'string' ? (t) => t === inputTopic : inputTopic, (n) => this.setInputRate(((n + this.input.owedAt(this.clock.now())) * 1000) / sliceMs, sliceMs));
  }

  /** Records produced into the shared input topic so far. */
  inputTotal(): number {
    return this.input.endOffsetAt(this.clock.now());
  }

  /** Records the replica has processed, replays included: ≥ inputTotal() once it caught up. */
  processedTotal(name: string): number {
    return this.model(name).fluid.processedTotal;
  }

  backlog(name: string): number {
    return backlog(this.model(name).fluid);
  }

  inspect(name: string): ReplicaSnapshot {
    const m = this.model(name);
    const j = m.job;
    return {
      jobId: j.id,
      jobState: j.state,
      placement: m.placement ? [...m.placement] : undefined,
      processing: processing(m.fluid),
      backlog: backlog(m.fluid),
      consumedOffset: m.fluid.consumed,
      numRestarts: m.fluid.numRestarts,
      nextCheckpointAtMs: m.nextCheckpointAtMs(),
      checkpoints: j.completed.map((c) => ({ ...c })),
      taskManagers: m.tms.map((t) => ({ id: t.id, pid: t.pid, alive: t.alive, frozenUntilMs: t.frozenUntilMs })),
    };
  }
}
