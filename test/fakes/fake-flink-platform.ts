import { FluidFlinkCluster, type ShownCheckpoint } from '../../src/adapters/sim/fluid-flink-cluster.js';
import { simulatedJob } from '../../src/adapters/sim/sample-jobs.js';
import { KhaosError } from '../../src/core/errors.js';
import { fluidParams, type FluidParams } from '../../src/core/sim/fluid-params.js';
import { backlog, processing } from '../../src/core/sim/fluid-state.js';
import type { Clock } from '../../src/ports/clock.js';
import type { JobState } from '../../src/ports/flink-engine.js';
import type { MessageBus } from '../../src/ports/message-bus.js';
import type { Orchestrator, Reconfiguration, ReplicaHandle, ReplicaRequest } from '../../src/ports/orchestrator.js';
import { FakeFailureInjector } from './fake-failure-injector.js';
import { FakeFlinkEngine, type RecordedCall } from './fake-flink-engine.js';
import { InputFeedingBus, InputTopic } from './input-topic.js';

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
  checkpoints: ShownCheckpoint[];
  taskManagers: { id: string; pid: number; alive: boolean; frozenUntilMs?: number }[];
}

/**
 * A fake local Flink platform (an Orchestrator) for unit tests, driven by an injected clock
 * (normally a ManualClock): each replica is the simulator's Flink cluster
 * (src/adapters/sim/fluid-flink-cluster.ts), whose job is a fluid job of src/core/sim/fluid.ts
 * advanced lazily to clock.now() whenever anything looks at it, and whose REST API is the
 * simulator's FluidFlinkEngine (FakeFlinkEngine adds switches and a recorder). This file only
 * adds the platform: replicas started, stopped and reconfigured, their REST URLs, the input topic.
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
  /** Each replica is a simulated Flink cluster, reached at its REST URL. */
  private readonly models = new Map<string, FluidFlinkCluster>();
  private readonly restUrls = new Map<string, string>();
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

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args, atMs: this.clock.now() });
  }

  private model(name: string): FluidFlinkCluster {
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
    const o = this.options;
    const cluster = new FluidFlinkCluster(
      {
        name: request.name, job: simulatedJob(request.job), parallelism: request.parallelism, params: replicaParams(o), intervalMs: request.checkpointIntervalMs, atMs: this.clock.now(),
        startupMs: o.startupMs, inputOffset: this.input.endOffsetAt(this.clock.now()), spareTaskManagers: o.spareTaskManagers, rateWindowMs: o.rateWindowMs, nextPid: () => this.pid++,
      },
      this.input,
    );
    this.models.set(request.name, cluster);
    this.restUrls.set(request.name, restUrl);
    if (this.options.startupMs > 0) await this.clock.sleep(this.options.startupMs);
    return this.handle(this.model(request.name));
  }

  replica(name: string): ReplicaHandle {
    return this.handle(this.model(name));
  }

  private handle(m: FluidFlinkCluster): ReplicaHandle {
    return { name: m.name, restUrl: this.restUrls.get(m.name)!, checkpointIntervalMs: m.job.intervalMs, taskManagers: m.tms.filter((t) => t.alive).map(({ id }) => ({ id })) };
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
    this.model(name);
    const flink = this.flinkAt(this.restUrls.get(name)!);
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

  async savepoints(name: string): Promise<{ path: string; completedAtMs: number }[]> {
    return this.model(name).savepoints.map((sp) => ({ path: sp.externalPath, completedAtMs: sp.latestAckTimestampMs })).reverse();
  }

  async jobManagerAlive(name: string): Promise<boolean> {
    const m = this.model(name);
    return m.jobManagerUp || m.relaunching;
  }

  async restartDeadTaskManagers(name: string): Promise<string[]> {
    this.record('restartDeadTaskManagers', [name]);
    return this.model(name).restartDeadTaskManagers();
  }

  async stopReplica(name: string): Promise<void> {
    this.record('stopReplica', [name]);
    this.model(name);
    this.models.delete(name);
    this.restUrls.delete(name);
  }

  /** The replica's FlinkEngine (one per URL, so switches set on it stay set). */
  flinkAt(restUrl: string): FakeFlinkEngine {
    let e = this.engines.get(restUrl);
    if (!e) {
      e = new FakeFlinkEngine(restUrl, (url) => [...this.models.values()].find((m) => this.restUrls.get(m.name) === url), this.clock);
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
