import { KhaosError } from '../core/errors.js';
import { eventGenerator, type JobKind } from '../core/workload/events.js';
import { seededRandom } from '../core/random.js';
import type { Reconciliation } from '../core/reconcile.js';
import { LAG_SLACK_SECONDS, recoveryTimeline, type JobSample, type RecoveryTimeline } from '../core/profiling/recovery.js';
import { replaySchedule, type ReplayPlan, type Trace } from '../core/workload/trace.js';
import type { Clock } from '../ports/clock.js';
import type { FailureInjector, FailureType, InjectedFailure } from '../ports/failure-injector.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import type { MessageBus } from '../ports/message-bus.js';
import type { Orchestrator } from '../ports/orchestrator.js';
import { JobSampler, taskManagerRunning } from './observe.js';
import { awaitReconciliation, flushWindows } from './reconcile-output.js';
import { replayWorkload, type ReplayResult } from './replay.js';

export interface DemoDeps {
  orchestrator: Orchestrator;
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
  injectorFor(replica: string): FailureInjector;
  clock: Clock;
  log(line: string): void;
}

export interface DemoOptions extends ReplayPlan {
  job: JobKind;
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
}

const fmt = (ms: number | undefined, from: number) => (ms === undefined ? 'not reached' : `+${((ms - from) / 1000).toFixed(1)} s`);

/**
 * The main job end to end: deploy a replica, replay a real trace, break a TaskManager mid-run,
 * watch detection → restart → catch-up, and reconcile input with committed output.
 */
export async function runDemo(deps: DemoDeps, o: DemoOptions): Promise<DemoResult> {
  const { bus, clock, log } = deps;
  const topics = { input: `khaos-${o.job}-input`, output: `khaos-${o.job}-output`, audit: `khaos-${o.job}-audit` };
  for (const t of Object.values(topics)) await bus.ensureTopic(t, o.partitions);
  const schedule = replaySchedule(o.trace, o);
  log(`workload: ${o.trace.name}, ${o.durationSec} s at ×${o.compression} from +${o.startOffsetSec} s, peak ${o.peakRateEps} ev/s → ${schedule.reduce((a, b) => a + b, 0)} events`);

  const replica = await deps.orchestrator.startReplica({
    name: `${o.job}-1`, job: o.job, checkpointIntervalMs: o.checkpointIntervalMs, parallelism: o.parallelism,
    inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId: `khaos-${o.job}-1`,
  });
  log(`replica ${replica.name} RUNNING at ${replica.restUrl} with checkpoint interval ${o.checkpointIntervalMs} ms`);
  const flink = deps.flinkAt(replica.restUrl);
  const sampler = new JobSampler(flink, clock);
  const samples: JobSample[] = [];
  let failure: InjectedFailure | undefined;
  // Never rejects: an injection's error is kept and stops the replay, then is thrown (with teardown by the caller).
  let failing: Promise<void> | undefined;
  let injectionError: unknown;
  let lastState = 'RUNNING';
  let watching = true;

  const watch = (async () => {
    while (watching) {
      const s = await sampler.sample();
      samples.push(s);
      if (s.state !== lastState) log(`flink: job ${s.state}${failure ? ` (${fmt(s.tMs, failure.injectedAtMs)} after the ${failure.type})` : ''}`);
      lastState = s.state;
      for (const id of deps.orchestrator.restartDeadTaskManagers(replica.name)) log(`supervisor: started replacement TaskManager ${id}`);
      await clock.sleep(1000);
    }
  })();

  const generate = eventGenerator(o.job, seededRandom(o.seed));
  const replay = await replayWorkload({
    bus, clock, topic: topics.input, schedule, generate,
    shouldStop: () => injectionError !== undefined,
    onSecond: (s) => {
      if (s.second % 10 === 0) log(`replay: second ${s.second}/${schedule.length}, ${s.produced}/${s.scheduled} events${s.lateMs > 0 ? `, ${s.lateMs} ms late` : ''}`);
      if (s.second === o.failAtSec && !failing) {
        failing = (async () => {
          const target = await taskManagerRunning(flink);
          const injector = deps.injectorFor(replica.name);
          log(`chaos: ${o.failure} TaskManager ${target.taskManagerId} (runs ${target.vertex})`);
          const f = o.failure === 'kill' ? await injector.kill(target.taskManagerId) : await injector.freeze(target.taskManagerId, o.freezeMs);
          failure = f;
          log(`chaos: ${f.type} at ${new Date(f.injectedAtMs).toISOString()} (pid ${f.pid})`);
        })().catch((e: unknown) => void (injectionError = e));
      }
    },
  });
  if (failing) await failing;
  if (injectionError !== undefined) {
    watching = false;
    await watch;
    throw new KhaosError('platform', `injecting a ${o.failure} failed: ${(injectionError as Error).message ?? String(injectionError)}`, 'check the replica’s processes (`khaos stack status`)', { cause: injectionError });
  }
  log(`replay done: ${replay.producedTotal}/${replay.scheduledTotal} events in ${(replay.wallMs / 1000).toFixed(1)} s`);

  const opts = { baselineMs: 20_000, sustainSamples: 5, slackSeconds: LAG_SLACK_SECONDS, requireRestart: o.failure === 'kill' };
  let timeline: RecoveryTimeline | undefined;
  if (failure) {
    const deadline = clock.now() + o.recoveryTimeoutMs;
    for (;;) {
      timeline = recoveryTimeline(samples, failure.injectedAtMs, opts);
      const done = timeline.recoveredAtMs !== undefined && samples.filter((s) => s.tMs >= timeline!.recoveredAtMs!).length >= opts.sustainSamples;
      if (done || clock.now() > deadline) break;
      await clock.sleep(1000);
    }
  }
  watching = false;
  await watch;

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

  await flushWindows(bus, topics.input, o.job, clock.now() + 120_000);
  const reconciliation = await awaitReconciliation(bus, clock, topics.audit, replay.producedPerKey, 3 * o.checkpointIntervalMs + 60_000, log);
  log(reconciliation.ok ? `exactly-once: OK, ${reconciliation.countedTotal} events each counted once` : `exactly-once: FAILED: ${reconciliation.missing.length} keys short, ${reconciliation.extra.length} keys over, ${reconciliation.duplicateWindows} duplicate windows`);
  return { replay, failure, restoredCheckpointId, timeline, reconciliation };
}
