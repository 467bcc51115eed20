import { FAILURE_TYPE_REGISTRY } from '../core/failure-types.js';
import { builtInJob, requireSampleJob, sampleIdField } from '../core/jobs.js';
import { eventGenerator, type DedupOptions, type JobKind } from '../core/load/events.js';
import { seededRandom } from '../core/random.js';
import type { FirstOccurrences, Reconciliation } from '../core/reconcile.js';
import { detectorOptions, recoveryTimeline, type JobSample, type RecoveryOptions, type RecoveryTimeline } from '../core/profiling/recovery.js';
import { replaySchedule, type ReplayPlan, type Trace } from '../core/load/trace.js';
import type { FailureType, InjectedFailure } from '../ports/failure-injector.js';
import { JobSampler, taskManagerRunning } from './observe.js';
import { awaitReconciliation, checkFirstOccurrences, flushWindows, notingIds } from './reconcile-output.js';
import { armDueInjections, injectFailure, injectionFailed, sampleAndRevive, type WatchedReplica } from './replica-watch.js';
import { replayWorkload, type ReplayResult } from './replay.js';
import { RunScope, tickEvery } from './run-scope.js';
import type { Platform } from './platform.js';
import type { KhaosConfig } from '../config/schema.js';
import type { ReplicaHandle } from '../ports/orchestrator.js';

export interface DemoOptions extends ReplayPlan {
  job: JobKind;
  /** The dedup job's settings (defaults when unset). */
  dedup?: DedupOptions;
  /** job.flinkConf: Flink options merged over Khaos's own (core/jobs.ts mergeFlinkConf); absent: none. */
  flinkConf?: Readonly<Record<string, string>>;
  trace: Trace;
  seed: number;
  checkpointIntervalMs: number;
  parallelism: number;
  partitions: number;
  /** Replay second at which the failure is injected. */
  failAtSec: number;
  failure: FailureType;
  freezeMs: number;
  /** How long to keep watching after the replay for the recovery to finish, ms. */
  recoveryTimeoutMs: number;
}

export interface DemoResult {
  replay: ReplayResult;
  failure?: InjectedFailure;
  restoredCheckpointId?: number;
  timeline?: RecoveryTimeline;
  reconciliation: Reconciliation;
  /** The dedup job only: each distinct id sent, once in the committed main output. */
  firstOccurrences?: FirstOccurrences;
}

const fmt = (ms: number | undefined, from: number) => (ms === undefined ? 'not reached' : `+${((ms - from) / 1000).toFixed(1)} s`);

/** The watch samples the job once a second. */
const TICK_MS = 1000;

/** What one tick of the demo's watch saw and did. */
export interface DemoTick {
  sample: JobSample;
  /** The job's state, when it differs from the last tick's (and was logged). */
  stateChange?: string;
  /** TaskManagers started in place of dead ones. */
  replacements: string[];
  /** The injection was armed at this tick (it goes out at its own time, within the next tick). */
  armed: boolean;
  /** The recovery so far, once the failure is on record. */
  timeline?: RecoveryTimeline;
  /** The replay is over, the injection settled, and the recovery held (or timed out): the watch ends. */
  done: boolean;
}

/**
 * The demo's watch over its replica while the replay runs and after it, until the recovery is
 * seen: one tick = sample → detect (log a state change) → bring back dead TaskManagers → maybe
 * arm the injection → record the recovery so far. A thin scheduler ticks it once a second.
 */
export class DemoWatch {
  /** Set by the replay when it is over. */
  replayDone = false;
  private lastState = 'RUNNING';
  private deadlineMs?: number;
  private timelineNow?: RecoveryTimeline;
  private readonly recovery: RecoveryOptions;

  constructor(
    private readonly deps: Platform,
    private readonly o: DemoOptions,
    readonly replica: WatchedReplica,
    private readonly run: RunScope,
  ) {
    this.recovery = detectorOptions(20_000, FAILURE_TYPE_REGISTRY[o.failure].restarts);
  }

  get timeline(): RecoveryTimeline | undefined {
    return this.timelineNow;
  }

  async tick(): Promise<DemoTick> {
    const { clock, log } = this.deps;
    const r = this.replica;
    const [look] = await sampleAndRevive(this.deps.orchestrator, [r]);
    const { sample, replacements } = look!;
    const stateChange = sample.state !== this.lastState ? sample.state : undefined;
    if (stateChange) log(`flink: job ${stateChange}${r.failure ? ` (${fmt(sample.tMs, r.failure.injectedAtMs)} after the ${r.failure.type})` : ''}`);
    this.lastState = sample.state;
    for (const id of replacements) log(`supervisor: started replacement TaskManager ${id}`);
    const armed = armDueInjections(this.run, clock, [r], TICK_MS, () => this.inject()).length > 0;

    let recovered = false;
    if (r.failure) {
      const t = recoveryTimeline(r.samples, r.failure.injectedAtMs, this.recovery);
      recovered = t.recoveredAtMs !== undefined; // set only once sustained
      this.timelineNow = t;
    }
    // After the replay (and the injection's settling) the recovery has recoveryTimeoutMs to show.
    let done = false;
    if (this.replayDone && (!r.target || r.injection === 'settled')) {
      this.deadlineMs ??= clock.now() + this.o.recoveryTimeoutMs;
      done = !r.failure || recovered || clock.now() > this.deadlineMs;
    }
    return { sample, stateChange, replacements, armed, timeline: this.timelineNow, done };
  }

  /** Breaks the TaskManager running the sink's first subtask; an error names the failure and ends the run. */
  private async inject(): Promise<void> {
    const { clock, log } = this.deps;
    try {
      const target = await taskManagerRunning(this.replica.flink);
      const injector = this.deps.injectorFor(this.replica.name);
      const type = FAILURE_TYPE_REGISTRY[this.o.failure];
      log(type.strikes === 'job-input' ? `chaos: ${type.title} (marker on ${this.replica.input?.inputTopic})` : `chaos: ${this.o.failure} TaskManager ${target.taskManagerId} (runs ${target.vertex})`);
      const f = await injectFailure(injector, clock, this.replica, this.o.failure, target.taskManagerId, this.o.freezeMs);
      log(`chaos: ${f.type} at ${new Date(f.injectedAtMs).toISOString()} (${type.strikes === 'job-input' ? `fails attempt ${f.failAtAttempt}` : `pid ${f.pid}`})`);
    } catch (e) {
      throw injectionFailed(this.o.failure, '', e, 'check the replica’s processes (`khaos stack status`)');
    }
  }
}

/**
 * The main job end to end: deploy a replica, replay a real trace, break a TaskManager mid-run,
 * watch detection → restart → catch-up, and reconcile input with committed output.
 * The replay and the watch run side by side in one RunScope: an error of either (an injection,
 * the supervisor) stops both at once and rejects, so the caller's teardown runs with nothing left
 * touching the platform.
 */
export async function runDemo(deps: Platform, o: DemoOptions): Promise<DemoResult> {
  const { bus, clock, log } = deps;
  const topics = { input: `khaos-${o.job}-input`, output: `khaos-${o.job}-output`, audit: `khaos-${o.job}-audit` };
  for (const t of Object.values(topics)) await bus.ensureTopic(t, o.partitions);
  const schedule = replaySchedule(o.trace, o);
  log(`workload: ${o.trace.name}, ${o.durationSec} s at ×${o.compression} from +${o.startOffsetSec} s, peak ${o.peakRateEps} ev/s → ${schedule.reduce((a, b) => a + b, 0)} events`);

  const groupId = `khaos-${o.job}-1`;
  const replica = await deps.orchestrator.startReplica({
    name: `${o.job}-1`, job: builtInJob(o.job, o.dedup, o.flinkConf), checkpointIntervalMs: o.checkpointIntervalMs, parallelism: o.parallelism,
    inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId,
  });
  log(`replica ${replica.name} RUNNING at ${replica.restUrl} with checkpoint interval ${o.checkpointIntervalMs} ms`);
  const flink = deps.flinkAt(replica.restUrl);
  const watched: WatchedReplica = { name: replica.name, flink, sampler: new JobSampler(flink, clock), samples: [], input: { markerField: sampleIdField(o.job), inputTopic: topics.input, groupId } };
  const run = new RunScope();
  const watch = new DemoWatch(deps, o, watched, run);
  // The failure goes out once replay second failAtSec is over (none when the replay is shorter).
  const replayStartMs = clock.now();
  if (o.failAtSec < schedule.length) watched.target = { atMs: replayStartMs + (o.failAtSec + 1) * 1000 };

  let replay: ReplayResult | undefined;
  // The dedup job's output is checked against the ids sent; the others' only through the audit.
  const base = eventGenerator(o.job, seededRandom(o.seed), o.dedup);
  const generator = o.job === 'dedup' ? notingIds(base) : { generate: base, ids: new Set<string>() };
  run.loop(() => tickEvery(clock, TICK_MS, () => watch.tick(), () => run.stopped));
  run.loop(async () => {
    replay = await replayWorkload({
      bus, clock, topic: topics.input, schedule, generate: generator.generate,
      shouldStop: () => run.stopped,
      onSecond: (s) => {
        if (s.second % 10 === 0) log(`replay: second ${s.second}/${schedule.length}, ${s.produced}/${s.scheduled} events${s.lateMs > 0 ? `, ${s.lateMs} ms late` : ''}`);
      },
    });
    if (!run.stopped) log(`replay done: ${replay.producedTotal}/${replay.scheduledTotal} events in ${(replay.wallMs / 1000).toFixed(1)} s`);
    watch.replayDone = true;
  });
  await run.join();
  const failure = watched.failure;
  const timeline = watch.timeline;

  let restoredCheckpointId: number | undefined;
  const jobs = await flink.listJobs();
  if (jobs[0]) {
    const cps = await flink.checkpoints(jobs[0].id);
    restoredCheckpointId = cps.latestRestored?.id;
    if (cps.latestRestored) log(`flink: restored checkpoint ${cps.latestRestored.id} (${cps.latestRestored.isSavepoint ? 'savepoint' : 'checkpoint'}) at ${new Date(cps.latestRestored.restoreTimestampMs).toISOString()}`);
  }
  if (failure && timeline) {
    log(`recovery: detected ${fmt(timeline.detectedAtMs, failure.injectedAtMs)}, RUNNING ${fmt(timeline.runningAtMs, failure.injectedAtMs)}, lag back to normal (≤ ${Math.round(timeline.thresholdLag)}, baseline ${Math.round(timeline.baselineLag)}) ${fmt(timeline.recoveredAtMs, failure.injectedAtMs)}`);
  }

  await flushWindows(bus, topics.input, sampleIdField(o.job), clock.now() + 120_000);
  const reconciliation = await awaitReconciliation(bus, clock, topics.audit, replay!.producedPerKey, 3 * o.checkpointIntervalMs + 60_000, log);
  log(reconciliation.ok ? `exactly-once: OK, ${reconciliation.countedTotal} events each counted once` : `exactly-once: FAILED: ${reconciliation.missing.length} keys short, ${reconciliation.extra.length} keys over, ${reconciliation.duplicateWindows} duplicate windows`);
  const firstOccurrences = o.job === 'dedup' ? await checkFirstOccurrences(bus, topics.output, generator.ids, log) : undefined;
  return { replay: replay!, failure, restoredCheckpointId, timeline, reconciliation, firstOccurrences };
}

/**
 * `khaos demo`: the config's job on the platform, the config's trace replayed into it and its
 * failure injected; `ok` when the output reconciles (and, for dedup, its first occurrences do)
 * and the job recovered.
 */
export async function runDemoFromConfig(deps: Platform, c: KhaosConfig, trace: Trace): Promise<{ result: DemoResult; ok: boolean }> {
  const result = await runDemo(deps, {
    job: requireSampleJob(c.job.descriptor, '`khaos demo`'), dedup: c.job.dedup, flinkConf: c.job.descriptor.flinkConf, trace, seed: c.replay.seed, checkpointIntervalMs: c.job.checkpointIntervalMs, parallelism: c.job.parallelism,
    partitions: c.stack.partitions, peakRateEps: c.replay.peakRateEps, peakPercentile: c.replay.peakPercentile, compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec,
    durationSec: c.replay.durationSec, failAtSec: c.chaos.atSec, failure: c.chaos.failure, freezeMs: c.chaos.freezeForMs, recoveryTimeoutMs: c.chaos.recoveryTimeoutMs,
  });
  return { result, ok: result.reconciliation.ok && result.firstOccurrences?.ok !== false && result.timeline?.recoveredAtMs !== undefined };
}

/**
 * `khaos stack up`: the topics of the config's job and one replica of it reading them (named
 * `<job>-1`), on a platform that stays up after this process.
 */
export async function startStackReplica(deps: Pick<Platform, 'orchestrator' | 'bus'>, c: KhaosConfig): Promise<ReplicaHandle> {
  const topics = { input: `khaos-${c.job.kind}-input`, output: `khaos-${c.job.kind}-output`, audit: `khaos-${c.job.kind}-audit` };
  for (const t of Object.values(topics)) await deps.bus.ensureTopic(t, c.stack.partitions);
  return deps.orchestrator.startReplica({ name: `${c.job.kind}-1`, job: c.job.descriptor, checkpointIntervalMs: c.job.checkpointIntervalMs, parallelism: c.job.parallelism, inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId: `khaos-${c.job.kind}-1` });
}
