import { badInput, KhaosError } from '../core/errors.js';
import { failureTypeProblem, requireInput, type JobDescriptor } from '../core/jobs.js';
import { jobIdentity } from '../core/job-identity.js';
import { FAILURE_TYPE_REGISTRY } from '../core/failure-types.js';
import type { KhaosConfig } from '../config/schema.js';
import { analyzeSteadyState } from '../core/load/steady-state.js';
import type { EventGenerator } from '../core/load/events.js';
import { checkPlan, defaultInjection, injectionOrder, injectionTarget, measureFailure, placeLevels, planSteps, pointRateEps, replayPeakEps, replicaName, stepReplaySec, stepSchedule, traceMax } from '../core/profiling/profile-plan.js';
import { planJob, type FailureMeasurement, type InjectionMode, type LatencySource, type PlannedPoint, type ProfilePlan, type ProfileRecord, type StepRecord, type TimingSource } from '../core/profiling/profile-records.js';
import { seededRandom, type Random } from '../core/random.js';
import { LAG_SLACK_SECONDS, recoveryTimeline } from '../core/profiling/recovery.js';
import { replaySchedule, type Trace } from '../core/load/trace.js';
import type { Clock } from '../ports/clock.js';
import type { FailureInjector } from '../ports/failure-injector.js';
import type { ProfileStore } from '../ports/profile-store.js';
import { pacerSleepMs } from './control/loop.js';
import { Pacer } from './control/pacer.js';
import { JobSampler, latencyMetricMissing, taskManagerRunning } from './observe.js';
import { jobInputGenerator } from './job-input.js';
import { OutputLatencyLog } from '../core/profiling/output-latency.js';
import { armDueInjections, injectFailure, injectionFailed, sampleAndRevive, type WatchedReplica } from './replica-watch.js';
import { replayWorkload } from './replay.js';
import { RunScope, tickEvery } from './run-scope.js';
import { latestCapacityProbe, probeCapacity, type ProbeDeps } from './capacity-probe.js';
import type { Platform } from './platform.js';

/** The platform a profile runs on, and where it is stored. */
export type ProfileDeps = Platform & { store: ProfileStore };

/** Live progress of a profile, reported once a second. */
export interface ProfileProgress {
  step: number;
  steps: number;
  point: PlannedPoint;
  /** The point's load in events/s as replayed (scaled trace level, or the probed rate). */
  levelEps: number;
  repetition: number;
  second: number;
  /** Per replica: baseline | waiting | injected | restarting | catching up | recovered | timeout. */
  phases: Record<string, string>;
  etaSec: number;
}

interface ReplicaRun extends WatchedReplica {
  ciMs: number;
  /** Planned at the end of the baseline (staggered: once the previous replica settled), victim included, so the signal goes out on time. */
  target?: { atMs: number; nextDueMs?: number; taskManagerId: string; source: TimingSource };
  /** Paced replicas: Khaos triggers their checkpoints every `ciMs` while a step runs. */
  pacer?: Pacer;
  /** Latency from committed output: the replica's output topic followed from its start. */
  output?: { log: OutputLatencyLog; tail: { close(): Promise<void> } };
  /** The topic the replica reads, where the step's replay goes. */
  inputTopic: string;
}

/** Longest sleep of a paced replica's pacer between ticks, ms (it wakes earlier when a checkpoint is due). */
const PACER_MAX_SLEEP_MS = 250;

/** A step's watch samples the replicas once a second. */
/** Plans stored before `profile.sampleEvery` existed sampled once a second. */
const sampleEveryMs = (plan: ProfileRecord['plan']) => plan.sampleEveryMs ?? 1000;

/** Replica names carry their interval, so records and logs read at a glance. */

/**
 * Phase 2: runs the profile's remaining steps on M replicas at once (one per interval), all
 * reading one replayed topic with their own consumer groups. Each step replays the window around
 * an injection point, breaks every replica at its own timing, measures its recovery and stores
 * the step atomically, so an interrupted profile resumes at the first step not stored.
 */
export async function runProfile(given: ProfileDeps, profileId: string, trace: Trace, opts: { shouldStop?: () => boolean; onProgress?: (p: ProfileProgress) => void } = {}): Promise<'done' | 'interrupted'> {
  const deps = withOneInjectorPerReplica(given);
  const { store, clock, bus, log } = deps;
  const found = store.getProfile(profileId);
  if (!found) throw new KhaosError('bad-input', `no profile "${profileId}"`, 'list them with `khaos profile list`');
  const record: ProfileRecord = found;
  const plan = record.plan;
  const done = new Set(store.steps(profileId).filter((s) => s.status === 'done').map((s) => `${s.pointIndex}/${s.repetition}`));
  const todo = planSteps(plan).filter((s) => !done.has(`${s.point.index}/${s.repetition}`));
  log(`profile ${profileId}: ${plan.intervalsMs.length} replicas × ${planSteps(plan).length} steps; ${todo.length} to run`);
  store.setStatus(profileId, 'running', process.pid);
  if (todo.length === 0) {
    store.setStatus(profileId, 'done');
    return 'done';
  }

  const mode: InjectionMode = plan.injection ?? 'side-by-side';
  const input = `khaos-prof-${profileId}-in`;
  const job = planJob(plan);
  // Before any replica starts: a replay topic that is missing or empty is refused here.
  const generate = await jobInputGenerator(bus, job, plan.seed, '`khaos profile`', log);
  const latencyField = job.latency.kind === 'output-timestamp' ? job.latency.field : undefined;
  const start = async (ciMs: number, inputTopic: string): Promise<ReplicaRun> => {
    const name = replicaName(ciMs);
    const out = `khaos-prof-${profileId}-${name}`;
    await bus.ensureTopic(inputTopic, 4);
    await bus.ensureTopic(`${out}-out`, 4);
    await bus.ensureTopic(`${out}-audit`, 4);
    const paced = plan.actuator === 'paced';
    // Sampled faster than Flink's REST refreshes its metrics (1 s), every other sample would repeat the last one.
    const metricsRefreshMs = sampleEveryMs(plan) < 1000 ? { metricsRefreshMs: sampleEveryMs(plan) } : {};
    const handle = await deps.orchestrator.startReplica({ ...metricsRefreshMs, name, job, checkpointIntervalMs: paced ? plan.fallbackIntervalMs! : ciMs, parallelism: plan.parallelism, inputTopic, outputTopic: `${out}-out`, auditTopic: `${out}-audit`, groupId: out });
    const flink = deps.flinkAt(handle.restUrl);
    log(`replica ${name} RUNNING (interval ${ciMs} ms${paced ? `, paced by Khaos; Flink's own ${plan.fallbackIntervalMs} ms` : ''})`);
    const sampler = new JobSampler(flink, clock, { jobMetrics: true, ...(plan.latencyMetric === undefined ? {} : { latencyMetric: plan.latencyMetric }) });
    const marker = job.failureMarker && { input: { markerField: job.failureMarker.field, inputTopic, groupId: out } };
    const r: ReplicaRun = { name, ciMs, flink, sampler, samples: [], ...marker, pacer: paced ? new Pacer(flink, clock, ciMs) : undefined, inputTopic };
    if (plan.latencySource === 'output') {
      const latency = new OutputLatencyLog(undefined, latencyField);
      r.output = { log: latency, tail: await bus.tailCommitted(`${out}-out`, (v, t, ts) => latency.add(v, t, ts)) };
    }
    return r;
  };
  const stop = async (r: ReplicaRun) => {
    await r.output?.tail.close().catch(() => undefined);
    await deps.orchestrator.stopReplica(r.name).catch((e: unknown) => log(`stopping replica ${r.name}: ${(e as Error).message}`));
  };
  // One at a time, each replica is started for its turn of a step and stopped after it (alone on the machine).
  const replicas: ReplicaRun[] = [];
  try {
    if (mode !== 'one-at-a-time') for (const ciMs of plan.intervalsMs) replicas.push(await start(ciMs, input));
    return await runSteps();
  } finally {
    // Every replica started goes, with its output follower: on Kubernetes nothing else deletes them.
    for (const r of replicas) await stop(r);
  }

  async function runSteps(): Promise<'done' | 'interrupted'> {

  // Random injection times have their own stream: the replay and the watch run side by side, and
  // the events must not depend on when the watch draws.
  const rnd = seededRandom(plan.seed + 1);
  const max = traceMax(trace.values);
  const typicalAfterSec = Math.min(plan.replay.afterSec, 60);
  const stepWallSec = mode === 'one-at-a-time' ? plan.intervalsMs.reduce((a, ci) => a + stepReplaySec(plan, mode, [ci], typicalAfterSec), 0) : stepReplaySec(plan, mode, plan.intervalsMs, typicalAfterSec);
  const stepIndex = (s: { point: PlannedPoint; repetition: number }) => plan.points.indexOf(s.point) * plan.repetitions + s.repetition;
  for (const [i, step] of todo.entries()) {
    if (opts.shouldStop?.()) return interrupted(store, profileId, log);
    const startedAtMs = clock.now();
    const progress = (second: number, phases: Record<string, string>) =>
      opts.onProgress?.({ step: done.size + i + 1, steps: done.size + todo.length, point: step.point, levelEps: pointRateEps(plan, step.point, max), repetition: step.repetition, second, phases, etaSec: (todo.length - i - 1) * stepWallSec + Math.max(0, stepWallSec - second) });
    const order = injectionOrder(plan.intervalsMs, stepIndex(step));
    try {
      let measurements: FailureMeasurement[] | undefined = [];
      if (mode === 'one-at-a-time') {
        for (const ciMs of order) {
          const r = await start(ciMs, `${input}-${replicaName(ciMs)}-${step.point.index}-${step.repetition}`);
          let mine: FailureMeasurement[] | undefined;
          try {
            mine = await runStep(deps, record, { trace, max }, step, [r], generate, rnd, progress, opts.shouldStop);
          } finally {
            await stop(r);
          }
          if (!mine) return interrupted(store, profileId, log);
          measurements.push(...mine);
        }
      } else measurements = await runStep(deps, record, { trace, max }, step, order.map((ci) => replicas.find((r) => r.ciMs === ci)!), generate, rnd, progress, opts.shouldStop);
      if (!measurements) return interrupted(store, profileId, log);
      store.saveStep({ profileId, pointIndex: step.point.index, repetition: step.repetition, status: 'done', startedAtMs, endedAtMs: clock.now() }, measurements);
      log(`step ${done.size + i + 1}/${done.size + todo.length} stored: ${measurements.map((m) => `${replicaName(m.ciMs)} ${m.outcome === 'recovered' ? `${m.recoverySec!.toFixed(1)} s` : m.outcome === 'unmeasured' ? 'unmeasured (Flink’s metrics froze after the restart)' : 'timeout'}`).join(', ')}`);
    } catch (e) {
      const step_: StepRecord = { profileId, pointIndex: step.point.index, repetition: step.repetition, status: 'failed', startedAtMs, endedAtMs: clock.now(), error: (e as Error).message };
      store.saveStep(step_, []);
      throw e;
    }
  }
  store.setStatus(profileId, 'done');
  return 'done';
  }
}

/** One injector per replica for the whole run: what it prepares when a victim is planned is there when the injection goes out. */
function withOneInjectorPerReplica(deps: ProfileDeps): ProfileDeps {
  const injectors = new Map<string, FailureInjector>();
  const injectorFor = (replica: string) => injectors.get(replica) ?? injectors.set(replica, deps.injectorFor(replica)).get(replica)!;
  return { ...deps, injectorFor };
}

function interrupted(store: ProfileStore, id: string, log: (l: string) => void): 'interrupted' {
  store.setStatus(id, 'interrupted');
  log(`profile ${id} interrupted; resume it with \`khaos profile --resume ${id}\``);
  return 'interrupted';
}

/** Normal is learnt from the baseline replay, less its first seconds (the replay ramps up). */
const recoveryOptions = (plan: ProfileRecord['plan']) => ({
  baselineMs: (plan.replay.beforeSec - 2) * 1000,
  sustainMs: plan.sustainSec * 1000,
  sampleEveryMs: sampleEveryMs(plan),
  slackSeconds: LAG_SLACK_SECONDS,
  requireRestart: FAILURE_TYPE_REGISTRY[plan.failure].restarts,
});

/** The phase of a replica in its step; 'timeout' once its recovery outlasted the plan's timeout. */
function phaseOf(r: ReplicaRun, plan: ProfileRecord['plan'], nowMs: number): string {
  if (!r.target) return 'baseline';
  if (!r.failure) return 'waiting';
  const until = r.failure.injectedAtMs + plan.recoveryTimeoutMs;
  const t = recoveryTimeline(r.samples.filter((x) => x.tMs <= until), r.failure.injectedAtMs, recoveryOptions(plan));
  if (t.recoveredAtMs !== undefined) return 'recovered';
  if (nowMs >= until) return 'timeout';
  if (t.runningAtMs !== undefined) return 'catching up';
  if (t.detectedAtMs !== undefined) return 'restarting';
  return 'injected';
}

/** What one tick of a profile step saw and did. */
export interface StepTick {
  /** Seconds of the step's replay so far. */
  second: number;
  /** Per replica: baseline | waiting | injected | restarting | catching up | recovered | timeout. */
  phases: Record<string, string>;
  /** Replicas whose injection was armed at this tick (each goes out at its own time). */
  armed: string[];
  /** Every replica recovered or timed out, or the replay is over: the step ends. */
  done: boolean;
}

/**
 * The watch over a step's replicas while its replay runs: one tick = sample every replica →
 * bring back dead TaskManagers → plan the injections once the baseline is replayed (all at once,
 * or staggered: the next in order once the previous one's recovery ended) → arm those due before
 * the next tick → phases. A thin scheduler ticks it once per `profile.sampleEvery` (1 s by default).
 */
export class StepWatch {
  /** Seconds replayed so far, and whether the replay is over (set by the replay). */
  replayed = 0;
  replayDone = false;

  constructor(
    private readonly deps: ProfileDeps,
    private readonly plan: ProfileRecord['plan'],
    /** In injection order. */
    private readonly replicas: ReplicaRun[],
    private readonly run: RunScope,
    private readonly rnd: Random,
  ) {}

  async tick(): Promise<StepTick> {
    const { plan, replicas, deps } = this;
    await sampleAndRevive(deps.orchestrator, replicas);
    const armed: string[] = [];
    const phase = (r: ReplicaRun) => phaseOf(r, plan, deps.clock.now());
    const ended = (r: ReplicaRun) => r.injection === 'settled' && (phase(r) === 'recovered' || phase(r) === 'timeout');
    if (this.replayed >= plan.replay.beforeSec) {
      // Each replica's own checkpoint schedule decides its injection time; the victim is found
      // ahead of time, and each is armed as soon as planned so the signal goes out on time.
      const staggered = plan.injection === 'staggered';
      for (const [i, r] of replicas.entries()) {
        if (r.target) continue;
        if (staggered && i > 0 && !ended(replicas[i - 1]!)) break;
        await this.planInjection(r);
        armed.push(...this.arm());
        if (staggered) break;
      }
    }
    armed.push(...this.arm());
    const phases = Object.fromEntries(replicas.map((r) => [r.name, phase(r)]));
    const over = replicas.every((r) => r.failure && (phases[r.name] === 'recovered' || phases[r.name] === 'timeout'));
    return { second: this.replayed, phases, armed, done: over || this.replayDone };
  }

  private async planInjection(r: ReplicaRun): Promise<void> {
    const { plan, deps } = this;
    const missing = plan.latencyMetric === undefined ? undefined : await latencyMetricMissing(r.flink, r.sampler, plan.latencyMetric);
    if (missing) throw badInput(`job.latency metric:${plan.latencyMetric}: after the baseline of replica ${r.name}, ${missing}`, 'set job.latency to metric:<one of those names>, output-timestamp or none');
    const cps = await r.flink.checkpoints((await r.flink.listJobs())[0]!.id);
    const silent = r.output && outputSilence(r, cps.counts.completed, deps.clock.now());
    if (silent) throw badInput(`job.latency output-timestamp: after the baseline of replica ${r.name}, ${silent}`, "check that the job writes the topic it is given as {outputTopic} in job.args, and reads the one given as {inputTopic}; or set job.latency to metric:<its p99 gauge> or none");
    const { taskManagerId } = await taskManagerRunning(r.flink);
    // Paced: the next checkpoint is the one Khaos triggers at the pacer's due time (exact); else
    // Flink's periodic schedule, predicted from its last trigger.
    const due = r.pacer?.dueAtMs();
    const lastTriggerMs = r.pacer ? (due === undefined ? undefined : due - r.ciMs) : cps.latestCompleted?.triggerTimestampMs;
    const target = injectionTarget(plan.timing, { nowMs: deps.clock.now(), lastTriggerMs, intervalMs: r.ciMs, leadMs: plan.leadMs, rnd: this.rnd });
    r.target = { ...target, taskManagerId, source: target.nextDueMs === undefined ? 'none' : r.pacer ? 'khaos-trigger' : 'flink-schedule' };
    await deps.injectorFor(r.name).prepare?.(plan.failure, taskManagerId);
  }

  /** Arms the injections due before the next tick; returns their replicas' names. */
  private arm(): string[] {
    return armDueInjections(this.run, this.deps.clock, this.replicas, sampleEveryMs(this.plan), (r) => this.inject(r)).map((r) => r.name);
  }

  /** An injection that fails ends the step with a message that names the replica and the failure. */
  private async inject(r: ReplicaRun): Promise<void> {
    const { plan, deps } = this;
    try {
      await injectFailure(deps.injectorFor(r.name), deps.clock, r, plan.failure, r.target!.taskManagerId, plan.freezeMs);
    } catch (e) {
      throw injectionFailed(plan.failure, ` into replica ${r.name}`, e, 'the step is stored as failed; check the replica’s processes (`khaos stack status`) and resume the profile');
    }
  }
}

/**
 * Triggers a paced replica's checkpoints while the step runs. A tick that fails (a JobManager
 * restarting) is tried again after the poll interval: the pacer itself follows job changes.
 */
async function pace(clock: Clock, pacer: Pacer, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const r = await pacer.tick().catch((e: unknown) => ({ kind: 'waiting' as const, why: (e as Error).message }));
    await clock.sleep(pacerSleepMs(r, pacer, clock.now(), PACER_MAX_SLEEP_MS));
  }
}

/**
 * One step: the replay of the window around the point and the watch run side by side in one
 * RunScope (with a pacer per paced replica); the step ends when every replica recovered or timed
 * out, or the replay is over. The replay is long enough for each replica to wait for its
 * checkpoint and recover within the timeout (staggered: one after another), playing the window
 * around the point back and forth beyond its length (stepSchedule). An error of any loop
 * (an injection, the supervisor) stops them all at once and rejects. Undefined when interrupted.
 */
async function runStep(
  deps: ProfileDeps,
  record: ProfileRecord,
  { trace, max }: { trace: Trace; max: number },
  step: { point: PlannedPoint; repetition: number },
  replicas: ReplicaRun[],
  generate: EventGenerator,
  rnd: Random,
  progress: (second: number, phases: Record<string, string>) => void,
  shouldStop?: () => boolean,
): Promise<FailureMeasurement[] | undefined> {
  const { clock, bus } = deps;
  const plan = record.plan;
  const mode = plan.injection ?? 'side-by-side';
  const maxSec = stepReplaySec(plan, mode, replicas.map((r) => r.ciMs));
  const startOffsetSec = Math.max(0, step.point.traceOffsetSec - plan.replay.beforeSec * plan.replay.compression);
  const schedule =
    plan.stepLoad === 'flat'
      ? new Array<number>(maxSec).fill(Math.round(pointRateEps(plan, step.point, max)))
      : stepSchedule(replaySchedule(trace, { peakRateEps: replayPeakEps(plan, step.point, max), compression: plan.replay.compression, startOffsetSec, durationSec: plan.replay.beforeSec + plan.replay.afterSec }), maxSec);
  for (const r of replicas) Object.assign(r, { samples: [], target: undefined, failure: undefined, injection: undefined });
  const run = new RunScope();
  const watch = new StepWatch(deps, plan, replicas, run, rnd);
  let interrupted = false;
  const stopped = () => run.stopped || (interrupted ||= shouldStop?.() === true);
  const replayStartMs = clock.now();
  run.loop(async () => {
    await tickEvery(clock, sampleEveryMs(plan), async () => {
      const t = await watch.tick();
      progress(t.second, t.phases);
      return t;
    }, stopped);
    run.stop(); // the replay ends with the step, and injections not sent by now are not sent
  });
  for (const r of replicas) if (r.pacer) run.loop(() => pace(clock, r.pacer!, stopped));
  run.loop(async () => {
    await replayWorkload({ bus, clock, topic: replicas[0]!.inputTopic, schedule, generate, shouldStop: stopped, onSecond: (s) => (watch.replayed = s.second + 1) });
    watch.replayDone = true;
  });
  await run.join();
  if (interrupted) return undefined;
  const baselineSec = Math.round(recoveryOptions(plan).baselineMs / 1000);
  return Promise.all(
    replicas.map(async (r) => {
      if (!r.failure) throw new KhaosError('platform', `no failure was injected into ${r.name} (its injection time was never reached)`);
      const injectedAtMs = r.failure.injectedAtMs;
      // What came after the timeout does not count (a staggered step goes on for the others).
      const measured = r.samples.filter((x) => x.tMs <= injectedAtMs + plan.recoveryTimeoutMs);
      const m = measureFailure(measured, injectedAtMs, recoveryOptions(plan));
      // At least one interval and a little: a paced replica commits once per interval, so a baseline
      // shorter than that can hold no commit at all (20 s intervals, an 18 s baseline: none).
      if (r.output) m.latencyMs = r.output.log.p99(injectedAtMs - Math.max(recoveryOptions(plan).baselineMs, r.ciMs + 2000), injectedAtMs);
      if (plan.latencySource === 'none') m.latencyMs = null;
      // Throughput is the input offered in this replica's baseline window, from what the replay
      // produced: exact, and immune to stale source metrics (the measured source rate is kept when offered is unknown).
      const injectedSec = Math.floor((injectedAtMs - replayStartMs) / 1000);
      const offered = schedule.slice(Math.max(0, injectedSec - baselineSec), injectedSec);
      if (offered.length > 0) m.throughputEps = offered.reduce((a, b) => a + b, 0) / offered.length;
      const jobs = await r.flink.listJobs().catch(() => []);
      const cps = jobs[0] ? await r.flink.checkpoints(jobs[0].id).catch(() => undefined) : undefined;
      return {
        profileId: record.id, pointIndex: step.point.index, repetition: step.repetition, ciMs: r.ciMs, failure: plan.failure, timing: plan.timing,
        timingSource: r.target?.source, injection: mode, latencySource: r.output ? 'output' : (plan.latencySource ?? 'gauge'),
        injectedAtMs,
        plannedLeadMs: r.target?.nextDueMs !== undefined ? r.target.nextDueMs - r.target.atMs : undefined,
        actualLeadMs: r.target?.nextDueMs !== undefined ? r.target.nextDueMs - injectedAtMs : undefined,
        restoredCheckpointId: cps?.latestRestored?.id,
        stateBytes: cps?.latestCompleted?.stateSizeBytes,
        checkpointMs: cps?.latestCompleted?.endToEndDurationMs,
        ...m,
        series: measured.filter((x) => x.tMs >= injectedAtMs - baselineSec * 1000).map(({ tMs, state, lag, inputEps, processed, restarts }) => ({ tMs, state, lag, inputEps, processed, restarts })),
      } satisfies FailureMeasurement;
    }),
  );
}

/**
 * Plans a profile from the config: phase 1 on the replay trace picks the points (with
 * `levels: probe` their rates are placed once the probe has run, in `profileFromConfig`);
 * `injection: auto` staggers below 2 cores per replica (`cores` of this machine).
 */
export function planFromConfig(c: KhaosConfig, trace: Trace, cores: number, log: (line: string) => void): ProfilePlan {
  const p = c.profile;
  const job = c.job.descriptor;
  requireInput(job, '`khaos profile`');
  const unsupported = failureTypeProblem(job, c.chaos.failure);
  if (unsupported) throw badInput(`chaos.failure ${c.chaos.failure}: ${unsupported}`, 'set chaos.failure to kill or freeze');
  const analysis = analyzeSteadyState(
    trace,
    { compression: c.replay.compression, levels: p.points, windowSec: p.analysisWindowSec, tolerance: { relative: p.tolerance }, minSpacingSec: p.minSpacingSec, edgeSec: p.beforeSec + p.afterSec },
    seededRandom(c.replay.seed),
  );
  for (const u of analysis.unplaced) log(`phase 1: level ${u.level.toFixed(0)} has no injection point: ${u.reason}`);
  const idle = analysis.points.filter((pt) => !(pt.level > 0));
  if (p.levels === 'probe' && idle.length) throw badInput(`profile.levels: probe scales each point's window to its rate, but ${idle.length} point(s) sit where the trace is 0`, 'use another trace or fewer points');
  return checkPlan({
    job: job.name, descriptor: job, ...(job.name === 'dedup' ? { dedup: { ...c.job.dedup } } : {}), ...(Object.keys(job.flinkConf).length > 0 ? { flinkConf: { ...job.flinkConf } } : {}), intervalsMs: [...p.intervalsMs].sort((a, b) => a - b), repetitions: p.repetitions,
    points: analysis.points.map((pt, index) => ({ index, traceOffsetSec: pt.traceOffsetSec, level: pt.level, rate: pt.rate })),
    failure: c.chaos.failure, freezeMs: c.chaos.freezeForMs, timing: p.timing, leadMs: p.leadMs, parallelism: p.parallelism, seed: c.replay.seed,
    replay: { trace: c.replay.trace, peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, beforeSec: p.beforeSec, afterSec: p.afterSec },
    sustainSec: p.sustainSec, sampleEveryMs: p.sampleEveryMs, recoveryTimeoutMs: p.afterSec * 1000,
    injection: p.injection === 'auto' ? defaultInjection(cores, p.intervalsMs.length) : p.injection,
    actuator: p.actuator, fallbackIntervalMs: p.actuator === 'paced' ? p.fallbackIntervalMs : undefined, aggregate: p.aggregate, ...latencyOf(job, p.latency), stepLoad: p.stepLoad,
  });
}

/**
 * Why a replica's committed output gives no latency after its baseline, or undefined: nothing
 * committed although two checkpoints completed (the second commits all that was processed before
 * the first), or records without the reference time job.latency names.
 */
function outputSilence(r: ReplicaRun, completedCheckpoints: number, nowMs: number): string | undefined {
  const { log } = r.output!;
  if (log.count(0, nowMs + 1) > 0 || completedCheckpoints < 2) return undefined;
  if (log.unreadable > 0) return `none of the ${log.unreadable} committed record(s) of its output topic has the reference time job.latency reads (its Kafka timestamp, or the field it names)`;
  return `its output topic holds no committed record although ${completedCheckpoints} checkpoints completed: the job writes nothing there`;
}

/** Where a profile's latency comes from: job.latency, and for output-timestamp, profile.latency (output, or the sample jobs' gauge). */
function latencyOf(job: JobDescriptor, profileLatency: 'output' | 'gauge'): { latencySource: LatencySource; latencyMetric?: string } {
  if (job.latency.kind === 'metric') return { latencySource: 'gauge', latencyMetric: job.latency.name };
  return { latencySource: job.latency.kind === 'none' ? 'none' : profileLatency };
}

/**
 * A plan with trace levels is refused when its highest level exceeds the capacity a stored probe
 * measured for the same job, parallelism and replicas running at once: its replicas would never
 * recover, and every failure there would be a timeout. Plans with probed levels pass.
 */
export function withinMeasuredCapacity(store: Pick<ProfileStore, 'listProfiles'>, plan: ProfilePlan, traceMaxValue: number): ProfilePlan {
  if (plan.points.some((pt) => pt.rateEps !== undefined)) return plan;
  const replicas = plan.injection === 'one-at-a-time' ? 1 : plan.intervalsMs.length;
  const probed = latestCapacityProbe(store, planJob(plan), plan.parallelism, replicas);
  if (!probed) return plan;
  const highest = Math.max(...plan.points.map((pt) => pointRateEps(plan, pt, traceMaxValue)));
  const capacity = probed.sustainableEps;
  if (highest <= capacity) return plan;
  throw badInput(
    `the plan's highest load level is ${Math.round(highest)} ev/s, above the ${capacity} ev/s that profile ${probed.profileId}'s capacity probe measured for ${replicas} ${plan.job} replica(s) of parallelism ${plan.parallelism} running at once: failures there would never recover`,
    `lower replay.peakRateEps to at most ${capacity}, or let the probe place the levels (profile.levels: probe)`,
  );
}

/** Measures one replica's sustainable throughput on the platform, then places the plan's levels over loadRange of it; undefined when stopped. */
async function probed(deps: ProbeDeps, plan: ProfilePlan, c: KhaosConfig, id: string, shouldStop: () => boolean): Promise<ProfilePlan | undefined> {
  const p = c.profile;
  // As many replicas at once as the profile's steps run: one at a time runs one, the other modes all.
  const intervalsMs = plan.injection === 'one-at-a-time' ? [Math.min(...plan.intervalsMs)] : plan.intervalsMs;
  deps.log(`capacity probe: ${intervalsMs.length === 1 ? `one ${plan.job} replica alone` : `${intervalsMs.length} ${plan.job} replicas side by side on one input, as the profile runs them`}, rates from ${p.probeStartEps} ev/s, each held up to ${p.probeHoldSec} s until steady`);
  const capacity = await probeCapacity(deps, { job: planJob(plan), parallelism: plan.parallelism, intervalsMs, topicPrefix: `khaos-probe-${id}`, startEps: p.probeStartEps, maxHoldSec: p.probeHoldSec, seed: plan.seed, shouldStop });
  if (!capacity) return undefined;
  const loadRange: [number, number] = [p.loadRange[0], p.loadRange[1]];
  return checkPlan({ ...plan, points: placeLevels(plan.points, capacity.sustainableEps, loadRange), capacity: { ...capacity, loadRange } });
}

/** What `khaos profile` needs besides the config: the store, the traces, the platform and this process. */
export interface ProfileCommandDeps {
  store: ProfileStore;
  loadTrace(nameOrPath: string): Trace;
  /** Runs `body` on the config's platform (compose.onPlatform), scoped to the profile id. */
  onPlatform<T>(scope: string, body: (platform: Platform) => Promise<T>): Promise<T>;
  /** Whether a process runs (the owner recorded in a profile). */
  processAlive(pid: number): boolean;
  /** The Flink version and the job jar's hash, for the record. */
  provenance(): { flinkVersion: string; jobJarSha256: string };
  /** What stands for the job's jar in its identity (compose.jobJarHash: the sha256 of its bytes). */
  jobJarHash(job: JobDescriptor): string;
  /** This process, the owner of the profile it runs, and its cores. */
  ownerPid: number;
  cores: number;
  newId(): string;
  log(line: string): void;
}

/**
 * `khaos profile`: plans a profile from the config and runs it, or resumes the stored profile
 * `resume`. Every problem of a new plan is reported before a process starts. `onPlatformUp` is
 * called once the platform runs (the CLI takes Ctrl-C over from the stack's teardown there);
 * 'probe-interrupted' when stopped during the capacity probe (nothing was stored).
 */
export async function profileFromConfig(deps: ProfileCommandDeps, c: KhaosConfig, o: { resume?: string; shouldStop: () => boolean; onPlatformUp?: () => void; onProgress?: (p: ProfileProgress) => void }): Promise<{ id: string; outcome: 'done' | 'interrupted' | 'probe-interrupted' }> {
  const { store, log } = deps;
  let record: ProfileRecord | undefined;
  let planned: ProfilePlan | undefined;
  let trace: Trace;
  if (o.resume) {
    const existing = store.getProfile(o.resume);
    if (!existing) throw badInput(`no profile "${o.resume}" to resume`, 'see `khaos profile list`');
    if (existing.status === 'done') throw badInput(`profile ${existing.id} is already done`, `see its report: khaos profile export ${existing.id}`);
    if (existing.status === 'running' && existing.ownerPid && deps.processAlive(existing.ownerPid)) throw badInput(`profile ${existing.id} is running in process ${existing.ownerPid}`);
    record = existing;
    trace = deps.loadTrace(existing.plan.replay.trace);
  } else {
    trace = deps.loadTrace(c.replay.trace);
    planned = withinMeasuredCapacity(store, planFromConfig(c, trace, deps.cores, log), traceMax(trace.values)); // every problem of the plan is reported before a process starts
    planned = { ...planned, jobIdentity: jobIdentity(c.job.descriptor, planned.parallelism, deps.jobJarHash(c.job.descriptor)) };
  }
  const id = record?.id ?? deps.newId();
  const outcome = await deps.onPlatform(id, async (platform) => {
    const profileDeps = { ...platform, store };
    o.onPlatformUp?.();
    try {
      if (!record) {
        const plan = c.profile.levels === 'probe' ? await probed(profileDeps, planned!, c, id, o.shouldStop) : planned!;
        if (!plan) return 'probe-interrupted' as const;
        record = { id, createdAtMs: platform.clock.now(), status: 'running', ownerPid: deps.ownerPid, plan, provenance: { config: c, ...deps.provenance(), clock: 'system clock (ms since the epoch) for every timestamp', timeScaling: { compression: plan.replay.compression } } };
        store.createProfile(record);
        const levels = plan.capacity ? `, levels ${plan.points.map((pt) => pt.rateEps).join('/')} ev/s (${c.profile.loadRange.map((f) => `${Math.round(f * 100)} %`).join('–')} of the probed ${plan.capacity.sustainableEps} ev/s with ${plan.capacity.replicas ?? 1} replica(s) running)` : `, peak ${plan.replay.peakRateEps} ev/s`;
        log(`profile ${id}: ${plan.intervalsMs.length} intervals (${plan.intervalsMs.join(', ')} ms) × ${plan.points.length} points × ${plan.repetitions}; injection ${plan.injection}${plan.actuator === 'paced' ? ', paced checkpoints' : ''}; trace ${plan.replay.trace} at ×${plan.replay.compression}${levels}`);
      }
      return await runProfile(profileDeps, id, trace, { shouldStop: o.shouldStop, onProgress: o.onProgress });
    } catch (e) {
      if (record) store.setStatus(id, 'interrupted');
      throw e;
    } finally {
      await platform.bus.close();
    }
  });
  return { id, outcome };
}
