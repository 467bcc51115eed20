import { KhaosError } from '../../src/core/errors.js';
import type { JobKind } from '../../src/core/load/events.js';
import type { Clock } from '../../src/ports/clock.js';
import type { FailureInjector, InjectedFailure } from '../../src/ports/failure-injector.js';
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
 * Options of the fake platform. Times are on the injected clock; the defaults follow the local
 * stack's config defaults (heartbeat.timeout 5 s, restart delay 1 s, one spare TaskManager).
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
}

type Resolved = Required<Omit<FakeFlinkPlatformOptions, 'freezeDetectionDelayMs'>> & { freezeDetectionDelayMs?: number };

/** Idle TaskManagers per replica beyond one per subtask (the local stack's default). */
const SPARE_TASK_MANAGERS = 1;
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
};

type Role = 'source' | 'sink' | 'audit';

/** Vertex names and ids as the sample jobs chain them (ids of the iot job as recorded in test/fixtures/flink-2.2.1). */
const JOBS: Record<JobKind, { name: string; vertices: { role: Role; id: string; name: string }[] }> = {
  iot: {
    name: 'khaos-iot-vehicles',
    vertices: [
      { role: 'source', id: 'e5a72f353fc1e6bbf3bd96a41384998c', name: 'Source: kafka-source -> parse -> area-filter' },
      { role: 'sink', id: '41eb0513d1ea10154d8a9802a0a9cf10', name: 'speed-window -> speeders -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: 'b676783076363a44e25ad3d5e735255f', name: 'audit-window -> audit-sink: Writer -> audit-sink: Committer' },
    ],
  },
  ysb: {
    name: 'khaos-ysb-advertising',
    vertices: [
      { role: 'source', id: '6d2677a0ecc3fd8df0b72ec675edf8f4', name: 'Source: kafka-source -> parse -> view-filter -> project -> campaign-join' },
      { role: 'sink', id: '3ce5bf1b5b6d0b3a4c4a0b2e3f0f8a11', name: 'campaign-window -> latency -> kafka-sink: Writer -> kafka-sink: Committer' },
      { role: 'audit', id: '9a1f0c4b2d7e4e38b1c0f5d6a7e8b9c0', name: 'audit-window -> audit-sink: Writer -> audit-sink: Committer' },
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
 * Records processed in `dtSec` from a backlog `b` with input `inEps` and capacity `capEps`:
 * at capacity while there is a backlog, then at the input rate (exact for constant rates).
 */
function drained(b: number, inEps: number, capEps: number, dtSec: number): number {
  if (inEps >= capEps) return capEps * dtSec;
  const emptyAfter = b / (capEps - inEps);
  return emptyAfter >= dtSec ? capEps * dtSec : capEps * emptyAfter + inEps * (dtSec - emptyAfter);
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

/** A completed checkpoint or savepoint with the source offset it stored. */
interface CheckpointSim extends CompletedCheckpoint {
  /** The replica's input offset (records) when the barrier left the source. */
  position: number;
  externalPath: string;
}

interface PendingFailure {
  detectAtMs: number;
  taskManagerId: string;
  cause: 'kill' | 'freeze';
}

interface JobSim {
  id: string;
  state: JobState;
  startTimeMs: number;
  timestamps: Partial<Record<JobState, number>>;
  intervalMs: number;
  runningAtMs?: number;
  restartAtMs?: number;
  /** TaskManager of each subtask index (one slot per TaskManager, all vertices share it); undefined while not deployed. */
  placement?: string[];
  /** Where the subtasks ran last: Flink prefers the previous slots on a restart. */
  preferred: string[];
  nextCheckpointAtMs?: number;
  inFlight?: { id: number; triggerMs: number; position: number; triggerId?: string };
  /** Checkpoints triggered over REST waiting behind the one in flight (max-concurrent-checkpoints 1). */
  queued: string[];
  completed: CheckpointSim[];
  counts: { completed: number; failed: number; restored: number };
  restorePoint?: CheckpointSim;
  latestRestored?: RestoredCheckpoint;
  numRestarts: number;
  /** Newest first, as Flink's exception history. */
  exceptions: JobException[];
  pending: PendingFailure[];
  stopping?: { savepoint: CheckpointSim; completesAtMs: number };
}

/**
 * One replica's fluid model, advanced lazily to the clock by whoever looks at it. Exposed for
 * FakeFlinkEngine/FakeFailureInjector; tests use FakeFlinkPlatform's helpers instead.
 */
class ReplicaModel {
  readonly parallelism: number;
  readonly kind: (typeof JOBS)[JobKind];
  tms: TaskManagerSim[] = [];
  job: JobSim;
  intervalMs: number;
  jobManagerUp = true;
  /** Input offset (records) the source has read up to; rewinds on a restore. */
  consumed = 0;
  /** Every record processed, replays included. */
  processedTotal = 0;
  /** Records processed by the deployed tasks: Flink's record counters, which start at 0 with every deployment. */
  processedSinceDeploy = 0;
  private t: number;
  private generation = 0;
  private checkpointIds = 0;
  private jobCount = 0;
  private relaunch?: { atMs: number; intervalMs: number; from: CheckpointSim };
  /** Recent stretches of constant processing rate, for the rate metrics; gaps processed nothing. */
  private meter: { fromMs: number; toMs: number; eps: number }[] = [];

  constructor(
    readonly request: ReplicaRequest,
    readonly restUrl: string,
    private readonly input: InputTopic,
    private readonly o: Resolved,
    nowMs: number,
    private readonly nextPid: () => number,
  ) {
    this.t = nowMs;
    this.parallelism = request.parallelism;
    this.kind = JOBS[request.job];
    this.intervalMs = request.checkpointIntervalMs;
    for (let slot = 0; slot < request.parallelism + SPARE_TASK_MANAGERS; slot++) this.tms.push(this.newTaskManager(slot));
    this.job = this.newJob(nowMs, this.intervalMs);
    this.job.state = 'INITIALIZING';
    this.job.timestamps = { INITIALIZING: nowMs };
    this.job.runningAtMs = nowMs + o.startupMs;
  }

  get name(): string {
    return this.request.name;
  }

  get nowMs(): number {
    return this.t;
  }

  private newTaskManager(slot: number): TaskManagerSim {
    return { id: `${this.name}-tm${slot}-g${this.generation}`, slot, pid: this.nextPid(), alive: true };
  }

  private newJob(atMs: number, intervalMs: number): JobSim {
    return {
      id: hex32(`${this.name}/job/${++this.jobCount}`),
      state: 'RUNNING',
      startTimeMs: atMs,
      timestamps: { INITIALIZING: atMs, CREATED: atMs, RUNNING: atMs },
      intervalMs,
      preferred: this.tms.slice(0, this.parallelism).map((t) => t.id),
      completed: [],
      counts: { completed: 0, failed: 0, restored: 0 },
      numRestarts: 0,
      exceptions: [],
      pending: [],
      queued: [],
    };
  }

  // ---- the fluid -------------------------------------------------------------------------

  backlogAt(): number {
    return Math.max(0, this.input.endOffsetAt(this.t) - this.consumed);
  }

  /** Every subtask deployed on a live TaskManager that is not frozen. */
  healthy(): boolean {
    const p = this.job.placement;
    return p !== undefined && p.every((id) => {
      const tm = this.tms.find((t) => t.id === id);
      return tm !== undefined && tm.alive && tm.frozenUntilMs === undefined;
    });
  }

  processing(): boolean {
    return this.jobManagerUp && this.job.state === 'RUNNING' && !this.job.stopping && this.healthy();
  }

  /** Records/s the source emitted, averaged over the last `rateWindowMs` (like a Flink meter). */
  processingRateEps(): number {
    const from = this.t - this.o.rateWindowMs;
    const records = this.meter.reduce((n, m) => n + (m.eps * Math.max(0, Math.min(m.toMs, this.t) - Math.max(m.fromMs, from))) / 1000, 0);
    return (records * 1000) / this.o.rateWindowMs;
  }

  private integrate(toMs: number): void {
    if (toMs <= this.t) return;
    if (this.processing()) {
      const inEps = this.input.rateAt(this.t);
      const capEps = this.o.capacityEps;
      const backlog = this.backlogAt();
      const done = Math.min(drained(backlog, inEps, capEps, (toMs - this.t) / 1000), this.input.endOffsetAt(toMs) - this.consumed);
      const emptyAtMs = inEps >= capEps ? toMs : Math.min(toMs, this.t + (backlog / (capEps - inEps)) * 1000);
      if (emptyAtMs > this.t) this.meter.push({ fromMs: this.t, toMs: emptyAtMs, eps: capEps });
      if (toMs > emptyAtMs) this.meter.push({ fromMs: emptyAtMs, toMs, eps: inEps });
      this.meter = this.meter.filter((m) => m.toMs > toMs - this.o.rateWindowMs);
      this.consumed += done;
      this.processedTotal += done;
      this.processedSinceDeploy += done;
    }
    this.t = toMs;
  }

  /** Runs the model to `toMs`, firing state changes at their exact times. */
  advanceTo(toMs: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = this.nextEvent();
      if (!next || next.at > toMs) {
        this.integrate(toMs);
        return;
      }
      this.integrate(next.at);
      next.fire();
    }
    throw new KhaosError('bug', `FakeFlinkPlatform: replica ${this.name} does not settle at ${toMs}`);
  }

  /** The earliest due state change; on ties the first listed wins (thaw before detection, detection before a trigger). */
  private nextEvent(): { at: number; fire: () => void } | undefined {
    const j = this.job;
    const c: { at: number; fire: () => void }[] = [];
    // The input rate changing by itself only splits the integration (rates are constant between events).
    const inputChange = this.input.changeAfter(this.t);
    if (inputChange !== undefined) c.push({ at: inputChange, fire: () => {} });
    if (this.relaunch) c.push({ at: this.relaunch.atMs, fire: () => this.relaunchNow() });
    for (const tm of this.tms) if (tm.frozenUntilMs !== undefined) c.push({ at: tm.frozenUntilMs, fire: () => this.thaw(tm) });
    if (this.jobManagerUp) {
      if (j.state === 'INITIALIZING' && j.runningAtMs !== undefined) c.push({ at: j.runningAtMs, fire: () => this.enterRunning() });
      if (j.state === 'RESTARTING' && j.restartAtMs !== undefined) c.push({ at: j.restartAtMs, fire: () => this.restart() });
      if (j.state === 'RUNNING') {
        for (const f of j.pending) c.push({ at: f.detectAtMs, fire: () => this.detect(f) });
        if (j.stopping) c.push({ at: j.stopping.completesAtMs, fire: () => this.finishStop() });
        if (j.inFlight && this.healthy()) c.push({ at: Math.max(j.inFlight.triggerMs + this.o.checkpointDurationMs, this.t), fire: () => this.completeCheckpoint() });
        if (j.placement && !j.stopping && j.nextCheckpointAtMs !== undefined) c.push({ at: j.nextCheckpointAtMs, fire: () => this.triggerCheckpoint() });
      }
    }
    return c.reduce<{ at: number; fire: () => void } | undefined>((best, e) => (best === undefined || e.at < best.at ? e : best), undefined);
  }

  // ---- state changes ---------------------------------------------------------------------

  private enterRunning(): void {
    this.job.state = 'RUNNING';
    this.job.runningAtMs = undefined;
    this.job.timestamps.CREATED = this.job.timestamps.CREATED ?? this.t;
    this.job.timestamps.RUNNING = this.t;
    this.deploy();
  }

  private usable(tm: TaskManagerSim): boolean {
    return tm.alive && tm.frozenUntilMs === undefined;
  }

  /** Places every subtask in a free slot (previous slots first); without enough slots the tasks stay SCHEDULED. */
  deploy(): void {
    const j = this.job;
    if (j.placement || j.state !== 'RUNNING' || !this.jobManagerUp) return;
    const usable = this.tms.filter((tm) => this.usable(tm)).sort((a, b) => a.slot - b.slot);
    if (usable.length < this.parallelism) return;
    const placement: (string | undefined)[] = j.preferred.map((id) => (usable.some((tm) => tm.id === id) ? id : undefined));
    const free = usable.filter((tm) => !placement.includes(tm.id));
    for (let i = 0; i < this.parallelism; i++) placement[i] = placement[i] ?? free.shift()!.id;
    j.placement = placement as string[];
    j.preferred = j.placement;
    this.processedSinceDeploy = 0;
    this.meter = [];
    j.nextCheckpointAtMs = this.t + j.intervalMs;
  }

  private detect(f: PendingFailure): void {
    const j = this.job;
    j.pending = j.pending.filter((p) => p !== f);
    const tm = this.tms.find((t) => t.id === f.taskManagerId);
    if (!j.placement?.includes(f.taskManagerId)) return;
    if (f.cause === 'freeze' && tm?.frozenUntilMs === undefined) return;
    j.exceptions.unshift(this.exceptionFor(f));
    j.state = 'RESTARTING';
    j.timestamps.RESTARTING = this.t;
    if (j.inFlight) j.counts.failed++;
    if (j.stopping) j.counts.failed++;
    this.failTriggers('the job failed while the checkpoint was in progress');
    j.inFlight = undefined;
    j.stopping = undefined;
    j.placement = undefined;
    j.nextCheckpointAtMs = undefined;
    j.pending = [];
    j.restartAtMs = this.t + this.o.restartDelayMs;
  }

  /**
   * As in test/fixtures/flink-2.2.1/exceptions.json: a killed TaskManager is reported by a peer
   * whose network connection to it broke (taskManagerId is the reporter's); a frozen one, or a
   * killed one without peers, by the heartbeat timeout (taskManagerId is the lost one's).
   */
  private exceptionFor(f: PendingFailure): JobException {
    const placement = this.job.placement ?? [];
    const sink = this.kind.vertices.find((v) => v.role === 'sink')!.name;
    const peer = placement.findIndex((id) => id !== f.taskManagerId);
    const index = f.cause === 'kill' && peer >= 0 ? peer : Math.max(0, placement.indexOf(f.taskManagerId));
    return {
      timestampMs: this.t,
      exceptionName: f.cause === 'kill' && peer >= 0 ? KILL_EXCEPTION : HEARTBEAT_EXCEPTION,
      taskName: `${sink} (${index + 1}/${this.parallelism}) - execution #${this.job.numRestarts}`,
      taskManagerId: placement[index] ?? f.taskManagerId,
    };
  }

  private restore(from: CheckpointSim | undefined): void {
    const j = this.job;
    if (!from) {
      // No checkpoint: the consumer group never committed, so the source starts at the earliest offset.
      this.consumed = 0;
      return;
    }
    this.consumed = from.position;
    j.counts.restored++;
    j.latestRestored = { id: from.id, restoreTimestampMs: this.t, isSavepoint: from.isSavepoint, externalPath: from.externalPath };
  }

  private restart(): void {
    const j = this.job;
    j.restartAtMs = undefined;
    j.numRestarts++;
    this.restore(j.restorePoint);
    j.state = 'RUNNING';
    j.timestamps.RUNNING = this.t;
    this.deploy();
  }

  private triggerCheckpoint(): void {
    const j = this.job;
    j.nextCheckpointAtMs = j.nextCheckpointAtMs! + j.intervalMs;
    if (j.inFlight) return; // max-concurrent-checkpoints 1: this trigger is skipped
    j.inFlight = { id: ++this.checkpointIds, triggerMs: this.t, position: this.consumed };
  }

  private completeCheckpoint(): void {
    const j = this.job;
    const f = j.inFlight!;
    j.inFlight = undefined;
    const cp: CheckpointSim = {
      id: f.id,
      triggerTimestampMs: f.triggerMs,
      latestAckTimestampMs: this.t,
      endToEndDurationMs: this.t - f.triggerMs,
      stateSizeBytes: CHECKPOINT_SIZE_BYTES,
      checkpointedSizeBytes: Math.round(CHECKPOINT_SIZE_BYTES * 0.75),
      isSavepoint: false,
      position: f.position,
      externalPath: `file:/fake/${this.name}/checkpoints/${j.id}/chk-${f.id}`,
    };
    j.completed.push(cp);
    j.counts.completed++;
    j.restorePoint = cp;
    const next = j.queued.shift();
    if (next !== undefined) this.startTriggered(next);
  }

  /** Outcomes of checkpoints triggered over REST, by trigger id. */
  readonly triggers = new Map<string, { checkpointId?: number; failure?: string }>();

  /** POST /jobs/:id/checkpoints: like Flink, the request is accepted and fails asynchronously when tasks are not running. */
  requestCheckpoint(triggerId: string): void {
    const j = this.job;
    this.triggers.set(triggerId, {});
    if (j.state !== 'RUNNING' || !j.placement || j.stopping) {
      this.triggers.set(triggerId, { failure: 'org.apache.flink.runtime.checkpoint.CheckpointException Checkpoint triggering task is not being executed at the moment. Not all required tasks are currently running.' });
    } else if (j.inFlight) j.queued.push(triggerId);
    else this.startTriggered(triggerId);
  }

  private startTriggered(triggerId: string): void {
    const j = this.job;
    j.inFlight = { id: ++this.checkpointIds, triggerMs: this.t, position: this.consumed, triggerId };
    this.triggers.set(triggerId, { checkpointId: j.inFlight.id });
  }

  private failTriggers(why: string): void {
    const j = this.job;
    for (const id of [...(j.inFlight?.triggerId ? [j.inFlight.triggerId] : []), ...j.queued]) this.triggers.set(id, { failure: `org.apache.flink.runtime.checkpoint.CheckpointException ${why}` });
    j.queued = [];
  }

  private thaw(tm: TaskManagerSim): void {
    tm.frozenFromMs = undefined;
    tm.frozenUntilMs = undefined;
    this.deploy();
  }

  private finishStop(): void {
    const j = this.job;
    const sp = j.stopping!.savepoint;
    j.stopping = undefined;
    sp.latestAckTimestampMs = this.t;
    sp.endToEndDurationMs = this.t - sp.triggerTimestampMs;
    this.savepoints.push(sp);
    j.completed.push(sp);
    j.counts.completed++;
    j.restorePoint = sp;
    this.terminate('FINISHED');
  }

  /** A job in a terminal state ends the application-mode JobManager: its REST endpoint is gone. */
  private terminate(state: 'FINISHED' | 'CANCELED'): void {
    const j = this.job;
    if (j.inFlight) j.counts.failed++;
    this.failTriggers(`the job was ${state.toLowerCase()}`);
    j.inFlight = undefined;
    j.state = state;
    j.timestamps[state] = this.t;
    j.placement = undefined;
    j.nextCheckpointAtMs = undefined;
    j.pending = [];
    this.jobManagerUp = false;
  }

  private relaunchNow(): void {
    const { intervalMs, from } = this.relaunch!;
    this.relaunch = undefined;
    this.intervalMs = intervalMs;
    this.job = this.newJob(this.t, intervalMs);
    this.job.restorePoint = from;
    this.jobManagerUp = true;
    this.restore(from);
    this.deploy();
  }

  // ---- operations (the caller has advanced the model to now) -----------------------------

  kill(tm: TaskManagerSim): void {
    tm.alive = false;
    tm.diedAtMs = this.t;
    tm.frozenFromMs = undefined;
    tm.frozenUntilMs = undefined;
    // A frozen TaskManager killed before its heartbeat timed out is still detected as lost.
    for (const p of this.job.pending) if (p.taskManagerId === tm.id) p.cause = 'kill';
    this.schedule(tm.id, this.t + this.o.detectionDelayMs, 'kill');
  }

  freeze(tm: TaskManagerSim, durationMs: number): void {
    tm.frozenFromMs = tm.frozenFromMs ?? this.t;
    tm.frozenUntilMs = Math.max(tm.frozenUntilMs ?? 0, this.t + durationMs);
    const detection = this.o.freezeDetectionDelayMs ?? this.o.detectionDelayMs;
    if (tm.frozenUntilMs - tm.frozenFromMs > detection) this.schedule(tm.id, tm.frozenFromMs + detection, 'freeze');
  }

  private schedule(taskManagerId: string, detectAtMs: number, cause: PendingFailure['cause']): void {
    const j = this.job;
    if (!this.jobManagerUp || j.state !== 'RUNNING' || !j.placement?.includes(taskManagerId)) return;
    if (j.pending.some((p) => p.taskManagerId === taskManagerId)) return;
    j.pending.push({ detectAtMs, taskManagerId, cause });
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
    this.deploy();
    return started;
  }

  startStop(targetDirectory: string): CheckpointSim {
    const j = this.job;
    const id = ++this.checkpointIds;
    const savepoint: CheckpointSim = {
      id,
      triggerTimestampMs: this.t,
      latestAckTimestampMs: this.t,
      endToEndDurationMs: 0,
      stateSizeBytes: CHECKPOINT_SIZE_BYTES,
      checkpointedSizeBytes: CHECKPOINT_SIZE_BYTES,
      isSavepoint: true,
      position: this.consumed,
      externalPath: `${targetDirectory.replace(/\/$/, '')}/savepoint-${j.id.slice(0, 6)}-${hex32(`${j.id}/sp/${id}`).slice(0, 12)}`,
    };
    j.stopping = { savepoint, completesAtMs: this.t + this.o.savepointMs };
    return savepoint;
  }

  abortStop(): void {
    if (!this.job.stopping) return;
    this.job.stopping = undefined;
    this.job.counts.failed++;
  }

  cancel(): void {
    this.job.stopping = undefined;
    this.terminate('CANCELED');
  }

  scheduleRelaunch(intervalMs: number, from: CheckpointSim): void {
    this.relaunch = { atMs: this.t + this.o.relaunchMs, intervalMs, from };
  }

  /** A relaunch is under way: the new JobManager process runs, its job not yet. */
  get relaunching(): boolean {
    return this.relaunch !== undefined;
  }

  /** Savepoints this replica completed, any job of it, with completion times. */
  readonly savepoints: CheckpointSim[] = [];

  // ---- what Flink's REST API would show --------------------------------------------------

  /** Known to the ResourceManager: not yet declared lost after a kill, or a freeze longer than the heartbeat timeout. */
  registered(tm: TaskManagerSim): boolean {
    if (!tm.alive) return tm.diedAtMs !== undefined && this.t < tm.diedAtMs + this.o.detectionDelayMs;
    return tm.frozenFromMs === undefined || this.t < tm.frozenFromMs + (this.o.freezeDetectionDelayMs ?? this.o.detectionDelayMs);
  }

  taskStatus(): string {
    const j = this.job;
    switch (j.state) {
      case 'INITIALIZING':
        return 'CREATED';
      case 'RUNNING':
        return j.placement ? 'RUNNING' : 'SCHEDULED';
      case 'RESTARTING':
        return 'CANCELED';
      default:
        return j.state;
    }
  }

  /** Metrics are read from running tasks: absent while the job is not RUNNING with its tasks deployed. */
  reportsMetrics(): boolean {
    return this.jobManagerUp && this.job.state === 'RUNNING' && this.job.placement !== undefined;
  }

  /**
   * Per-subtask value of each metric of a vertex role (subtasks share the load evenly). Record
   * counters count (fluid, fractional) records since the tasks were deployed; every vertex
   * passes on what the source read (selectivity 1).
   */
  metricValues(role: Role): Record<string, number> {
    const p = this.parallelism;
    const rate = this.processingRateEps();
    const backlog = this.backlogAt();
    const busy = Math.min(1000, (1000 * rate) / this.o.capacityEps);
    const latency = this.o.baseLatencyMs + (backlog / this.o.capacityEps) * 1000;
    const count = this.processedSinceDeploy / p;
    const task = { busyTimeMsPerSecond: busy, idleTimeMsPerSecond: 1000 - busy, backPressuredTimeMsPerSecond: 0 };
    const input = { numRecordsIn: count, numRecordsInPerSecond: rate / p };
    if (role === 'source') {
      return {
        [METRIC.pendingRecords]: backlog / p,
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
    if (this.unreachable || !m || !m.jobManagerUp) {
      throw new KhaosError('platform', `Flink REST ${http} ${this.restUrl} failed: fetch failed (connect ECONNREFUSED)`, 'is the JobManager running? `khaos stack status`');
    }
    m.advanceTo(this.clock.now());
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
    const where = j.placement ?? (j.state === 'RESTARTING' ? j.preferred : []);
    return Array.from({ length: m.parallelism }, (_, i) => ({ subtask: i, status, taskManagerId: where[i] ?? '(unassigned)' }));
  }

  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const m = this.model('checkpoints', [jobId], `GET /jobs/${jobId}/checkpoints`);
    const j = this.jobOf(m, jobId);
    const inProgress = (j.inFlight ? 1 : 0) + (j.stopping ? 1 : 0);
    const latest = [...j.completed].reverse().find((c) => !c.isSavepoint);
    return {
      counts: { ...j.counts, inProgress, total: j.counts.completed + j.counts.failed + inProgress },
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
    const used = new Set(m.job.placement ?? []);
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
    const inProgress = (j.inFlight ? 1 : 0) + (j.stopping ? 1 : 0);
    const all: Record<string, number> = {
      numRestarts: j.numRestarts,
      lastCheckpointDuration: last?.endToEndDurationMs ?? -1,
      lastCheckpointSize: last?.stateSizeBytes ?? -1,
      numberOfCompletedCheckpoints: j.counts.completed,
      numberOfFailedCheckpoints: j.counts.failed,
      numberOfInProgressCheckpoints: inProgress,
      totalNumberOfCheckpoints: j.counts.completed + j.counts.failed + inProgress,
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
    const j = this.jobOf(m, jobId);
    const task = `${m.kind.vertices.find((v) => v.role === 'sink')!.name} (1/${m.parallelism})`;
    if (j.state !== 'RUNNING' || !m.healthy() || j.stopping) throw notBeingExecuted(jobId, task);
    if (this.failNextSavepoint) {
      this.failNextSavepoint = false;
      throw notBeingExecuted(jobId, task);
    }
    const savepoint = m.startStop(targetDirectory);
    const savepointMs = j.stopping!.completesAtMs - m.nowMs;
    await this.clock.sleep(Math.min(savepointMs, timeoutMs));
    m.advanceTo(this.clock.now());
    if (j.completed.includes(savepoint)) return savepoint.externalPath;
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
    private readonly inputTopic: string,
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
    if (topic === this.inputTopic && records.length > 0) this.arrived(records.length);
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
 * (normally a ManualClock): each replica is a fluid model of its job, advanced lazily to
 * clock.now() whenever anything looks at it.
 *
 * Model: every replica reads one shared input topic whose rate the test sets (`setInputRate`,
 * or a replay through `feedingBus`). A replica's backlog grows with the input and drains at
 * `capacityEps` while its job runs. Checkpoints are triggered every interval from the moment the
 * tasks are deployed and store the source offset. A kill of a TaskManager running tasks stops
 * processing at once; after `detectionDelayMs` the job is RESTARTING, after `restartDelayMs`
 * more it is RUNNING again from the latest completed checkpoint, so the source rewinds to that
 * checkpoint's offset and replays. A freeze stops processing too (checkpoints complete only
 * after the thaw); one longer than `freezeDetectionDelayMs` restarts the job as a kill does, a
 * shorter one only leaves a backlog. Subtask i of every vertex runs on `<replica>-tm<i>-g0`, one
 * slot per TaskManager plus `spareTaskManagers` idle ones; a dead TaskManager stays dead until
 * `restartDeadTaskManagers`, and a restart without enough free slots leaves the job RUNNING with
 * its tasks SCHEDULED and not processing (as Flink's default scheduler does) until slots return.
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
    return { name: m.name, restUrl: m.restUrl, checkpointIntervalMs: m.intervalMs, taskManagers: m.tms.filter((t) => t.alive).map(({ id, pid }) => ({ id, pid })) };
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
    m.advanceTo(this.clock.now());
    const from = m.savepoints.find((sp) => sp.externalPath === savepointPath);
    if (!from) throw new KhaosError('platform', `replica ${name}: no savepoint at ${savepointPath}`);
    if (m.jobManagerUp) throw new KhaosError('platform', `replica ${name}: its JobManager still runs; stop the job first`);
    m.scheduleRelaunch(checkpointIntervalMs, from);
    await this.clock.sleep(this.options.relaunchMs);
    m.advanceTo(this.clock.now());
    if (!m.job.placement) throw new KhaosError('timeout', `replica ${name} not running after relaunch: too few TaskManagers for parallelism ${m.parallelism}`);
    return { runningAtMs: this.clock.now() };
  }

  savepoints(name: string): { path: string; completedAtMs: number }[] {
    return this.model(name).savepoints.map((sp) => ({ path: sp.externalPath, completedAtMs: sp.latestAckTimestampMs })).reverse();
  }

  jobManagerAlive(name: string): boolean {
    const m = this.model(name);
    m.advanceTo(this.clock.now());
    return m.jobManagerUp || m.relaunching;
  }

  restartDeadTaskManagers(name: string): string[] {
    this.record('restartDeadTaskManagers', [name]);
    return this.model(name).restartDeadTaskManagers();
  }

  async stopReplica(name: string): Promise<void> {
    this.record('stopReplica', [name]);
    const m = this.model(name);
    m.jobManagerUp = false;
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
   */
  feedingBus(bus: MessageBus, inputTopic: string, sliceMs = 100): MessageBus {
    // Batches sent late arrive together: what an earlier slice still owed is added, so every record arrives.
    return new InputFeedingBus(bus, inputTopic, (n) => this.setInputRate(((n + this.input.owedAt(this.clock.now())) * 1000) / sliceMs, sliceMs));
  }

  /** Records produced into the shared input topic so far. */
  inputTotal(): number {
    return this.input.endOffsetAt(this.clock.now());
  }

  /** Records the replica has processed, replays included: ≥ inputTotal() once it caught up. */
  processedTotal(name: string): number {
    return this.model(name).processedTotal;
  }

  backlog(name: string): number {
    return this.model(name).backlogAt();
  }

  inspect(name: string): ReplicaSnapshot {
    const m = this.model(name);
    const j = m.job;
    return {
      jobId: j.id,
      jobState: j.state,
      placement: j.placement ? [...j.placement] : undefined,
      processing: m.processing(),
      backlog: m.backlogAt(),
      consumedOffset: m.consumed,
      numRestarts: j.numRestarts,
      nextCheckpointAtMs: j.nextCheckpointAtMs,
      checkpoints: j.completed.map((c) => ({ ...c })),
      taskManagers: m.tms.map((t) => ({ id: t.id, pid: t.pid, alive: t.alive, frozenUntilMs: t.frozenUntilMs })),
    };
  }
}
