import { KhaosError } from '../core/errors.js';
import { eventGenerator } from '../core/workload/events.js';
import { injectionTarget, measureFailure, planSteps } from '../core/profiling/profile-plan.js';
import type { FailureMeasurement, PlannedPoint, ProfileRecord, StepRecord } from '../core/profiling/profile-records.js';
import { seededRandom } from '../core/random.js';
import { LAG_SLACK_SECONDS, recoveryTimeline, type JobSample } from '../core/profiling/recovery.js';
import { replaySchedule, type Trace } from '../core/workload/trace.js';
import type { Clock } from '../ports/clock.js';
import type { FailureInjector, InjectedFailure } from '../ports/failure-injector.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import type { MessageBus, OutgoingRecord } from '../ports/message-bus.js';
import type { Orchestrator } from '../ports/orchestrator.js';
import type { ProfileStore } from '../ports/profile-store.js';
import { JobSampler, taskManagerRunning } from './observe.js';

export interface ProfileDeps {
  orchestrator: Orchestrator;
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
  injectorFor(replica: string): FailureInjector;
  clock: Clock;
  store: ProfileStore;
  log(line: string): void;
}

/** Live progress of a profile, reported once a second. */
export interface ProfileProgress {
  step: number;
  steps: number;
  point: PlannedPoint;
  repetition: number;
  second: number;
  /** Per replica: baseline | waiting | injected | restarting | catching up | recovered | timeout. */
  phases: Record<string, string>;
  etaSec: number;
}

interface ReplicaRun {
  name: string;
  ciMs: number;
  flink: FlinkEngine;
  sampler: JobSampler;
  samples: JobSample[];
  target?: { atMs: number; nextDueMs?: number; taskManagerId: string };
  failure?: InjectedFailure;
  /** Never rejects: an injection's error is kept in `injectionError` and ends the step at the next second. */
  injecting?: Promise<void>;
  injectionError?: unknown;
}

const SLICES = 10;

/** Replica names carry their interval, so records and logs read at a glance. */
export const replicaName = (ciMs: number) => `ci-${ciMs}`;

/**
 * Phase 2: runs the profile's remaining steps on M replicas at once (one per interval), all
 * reading one replayed topic with their own consumer groups. Each step replays the window around
 * an injection point, breaks every replica at its own timing, measures its recovery and stores
 * the step atomically, so an interrupted profile resumes at the first step not stored.
 */
export async function runProfile(deps: ProfileDeps, profileId: string, trace: Trace, opts: { shouldStop?: () => boolean; onProgress?: (p: ProfileProgress) => void } = {}): Promise<'done' | 'interrupted'> {
  const { store, clock, bus, log } = deps;
  const record = store.getProfile(profileId);
  if (!record) throw new KhaosError('bad-input', `no profile "${profileId}"`, 'list them with `khaos profile list`');
  const plan = record.plan;
  const done = new Set(store.steps(profileId).filter((s) => s.status === 'done').map((s) => `${s.pointIndex}/${s.repetition}`));
  const todo = planSteps(plan).filter((s) => !done.has(`${s.point.index}/${s.repetition}`));
  log(`profile ${profileId}: ${plan.intervalsMs.length} replicas × ${planSteps(plan).length} steps; ${todo.length} to run`);
  store.setStatus(profileId, 'running', process.pid);
  if (todo.length === 0) {
    store.setStatus(profileId, 'done');
    return 'done';
  }

  const input = `khaos-prof-${profileId}-in`;
  await bus.ensureTopic(input, 4);
  const replicas: ReplicaRun[] = [];
  for (const ciMs of plan.intervalsMs) {
    const name = replicaName(ciMs);
    const out = `khaos-prof-${profileId}-${name}`;
    await bus.ensureTopic(`${out}-out`, 4);
    await bus.ensureTopic(`${out}-audit`, 4);
    const handle = await deps.orchestrator.startReplica({ name, job: plan.job, checkpointIntervalMs: ciMs, parallelism: plan.parallelism, inputTopic: input, outputTopic: `${out}-out`, auditTopic: `${out}-audit`, groupId: `khaos-prof-${profileId}-${name}` });
    const flink = deps.flinkAt(handle.restUrl);
    replicas.push({ name, ciMs, flink, sampler: new JobSampler(flink, clock), samples: [] });
    log(`replica ${name} RUNNING (interval ${ciMs} ms)`);
  }

  const rnd = seededRandom(plan.seed);
  const generate = eventGenerator(plan.job, rnd);
  const stepWallSec = plan.replay.beforeSec + Math.min(plan.replay.afterSec, 60);
  for (const [i, step] of todo.entries()) {
    if (opts.shouldStop?.()) return interrupted(store, profileId, log);
    const startedAtMs = clock.now();
    try {
      const measurements = await runStep(deps, record, trace, step, replicas, input, generate, rnd, (second, phases) =>
        opts.onProgress?.({ step: done.size + i + 1, steps: done.size + todo.length, point: step.point, repetition: step.repetition, second, phases, etaSec: (todo.length - i - 1) * stepWallSec + Math.max(0, stepWallSec - second) }),
        opts.shouldStop,
      );
      if (!measurements) return interrupted(store, profileId, log);
      store.saveStep({ profileId, pointIndex: step.point.index, repetition: step.repetition, status: 'done', startedAtMs, endedAtMs: clock.now() }, measurements);
      log(`step ${done.size + i + 1}/${done.size + todo.length} stored: ${measurements.map((m) => `${replicaName(m.ciMs)} ${m.outcome === 'recovered' ? `${m.recoverySec!.toFixed(1)} s` : 'timeout'}`).join(', ')}`);
    } catch (e) {
      const step_: StepRecord = { profileId, pointIndex: step.point.index, repetition: step.repetition, status: 'failed', startedAtMs, endedAtMs: clock.now(), error: (e as Error).message };
      store.saveStep(step_, []);
      throw e;
    }
  }
  store.setStatus(profileId, 'done');
  return 'done';
}

function interrupted(store: ProfileStore, id: string, log: (l: string) => void): 'interrupted' {
  store.setStatus(id, 'interrupted');
  log(`profile ${id} interrupted; resume it with \`khaos profile --resume ${id}\``);
  return 'interrupted';
}

/** Normal is learnt from the baseline replay, less its first seconds (the replay ramps up). */
const recoveryOptions = (plan: ProfileRecord['plan']) => ({
  baselineMs: (plan.replay.beforeSec - 2) * 1000,
  sustainSamples: plan.sustainSec,
  slackSeconds: LAG_SLACK_SECONDS,
  requireRestart: plan.failure === 'kill',
});

function phaseOf(r: ReplicaRun, injectedAt: number | undefined, plan: ProfileRecord['plan']): string {
  if (!r.target) return 'baseline';
  if (!r.failure) return 'waiting';
  const t = recoveryTimeline(r.samples, r.failure.injectedAtMs, recoveryOptions(plan));
  if (t.recoveredAtMs !== undefined) return 'recovered';
  if (t.runningAtMs !== undefined) return 'catching up';
  if (t.detectedAtMs !== undefined) return 'restarting';
  return injectedAt === undefined ? 'waiting' : 'injected';
}

async function runStep(
  deps: ProfileDeps,
  record: ProfileRecord,
  trace: Trace,
  step: { point: PlannedPoint; repetition: number },
  replicas: ReplicaRun[],
  input: string,
  generate: ReturnType<typeof eventGenerator>,
  rnd: ReturnType<typeof seededRandom>,
  progress: (second: number, phases: Record<string, string>) => void,
  shouldStop?: () => boolean,
): Promise<FailureMeasurement[] | undefined> {
  const { clock, bus } = deps;
  const plan = record.plan;
  const maxSec = plan.replay.beforeSec + plan.replay.afterSec;
  const startOffsetSec = Math.max(0, step.point.traceOffsetSec - plan.replay.beforeSec * plan.replay.compression);
  const schedule = replaySchedule(trace, { peakRateEps: plan.replay.peakRateEps, compression: plan.replay.compression, startOffsetSec, durationSec: maxSec });
  for (const r of replicas) Object.assign(r, { samples: [], target: undefined, failure: undefined, injecting: undefined, injectionError: undefined });
  const t0 = clock.now();
  for (let sec = 0; sec < maxSec; sec++) {
    if (shouldStop?.()) return undefined;
    if (sec === plan.replay.beforeSec) {
      // Each replica's own checkpoint schedule decides its injection time.
      for (const r of replicas) {
        const cps = await r.flink.checkpoints((await r.flink.listJobs())[0]!.id);
        // The victim is found ahead of time so the signal goes out on time.
        const { taskManagerId } = await taskManagerRunning(r.flink);
        r.target = { ...injectionTarget(plan.timing, { nowMs: clock.now(), lastTriggerMs: cps.latestCompleted?.triggerTimestampMs, intervalMs: r.ciMs, leadMs: plan.leadMs, rnd }), taskManagerId };
      }
    }
    for (let slice = 0; slice < SLICES; slice++) {
      const due = t0 + sec * 1000 + (slice * 1000) / SLICES;
      if (due > clock.now()) await clock.sleep(due - clock.now());
      const n = Math.floor(((schedule[sec] ?? 0) * (slice + 1)) / SLICES) - Math.floor(((schedule[sec] ?? 0) * slice) / SLICES);
      if (n > 0) {
        const ts = clock.now();
        const batch: OutgoingRecord[] = Array.from({ length: n }, () => generate(ts));
        await bus.produce(input, batch);
      }
      // Injections due before the next slice go out at their own time (100 ms slices would blur the timing).
      const dueNow = replicas.filter((r) => r.target && !r.injecting && r.target.atMs < due + 1000 / SLICES).sort((a, b) => a.target!.atMs - b.target!.atMs);
      for (const r of dueNow) {
        if (r.target!.atMs > clock.now()) await clock.sleep(r.target!.atMs - clock.now());
        r.injecting = inject(deps, r, plan).catch((e: unknown) => void (r.injectionError = e));
      }
    }
    throwInjectionError(replicas, plan);
    await Promise.all(replicas.map(async (r) => r.samples.push(await r.sampler.sample())));
    for (const r of replicas) deps.orchestrator.restartDeadTaskManagers(r.name);
    const phases = Object.fromEntries(replicas.map((r) => [r.name, phaseOf(r, r.failure?.injectedAtMs, plan)]));
    progress(sec, phases);
    if (replicas.every((r) => r.failure && phases[r.name] === 'recovered')) break;
  }
  await Promise.all(replicas.map((r) => r.injecting));
  throwInjectionError(replicas, plan);
  return Promise.all(
    replicas.map(async (r) => {
      if (!r.failure) throw new KhaosError('platform', `no failure was injected into ${r.name} (its injection time was never reached)`);
      const m = measureFailure(r.samples, r.failure.injectedAtMs, recoveryOptions(plan));
      // Throughput is the input offered in the baseline window, from what the replay produced:
      // exact, and immune to stale source metrics (the measured source rate is kept when offered is unknown).
      const baselineStart = Math.max(0, plan.replay.beforeSec - Math.round(recoveryOptions(plan).baselineMs / 1000));
      const offered = schedule.slice(baselineStart, plan.replay.beforeSec);
      if (offered.length > 0) m.throughputEps = offered.reduce((a, b) => a + b, 0) / offered.length;
      const jobs = await r.flink.listJobs().catch(() => []);
      const cps = jobs[0] ? await r.flink.checkpoints(jobs[0].id).catch(() => undefined) : undefined;
      return {
        profileId: record.id, pointIndex: step.point.index, repetition: step.repetition, ciMs: r.ciMs, failure: plan.failure, timing: plan.timing,
        injectedAtMs: r.failure.injectedAtMs,
        plannedLeadMs: r.target?.nextDueMs !== undefined ? r.target.nextDueMs - r.target.atMs : undefined,
        actualLeadMs: r.target?.nextDueMs !== undefined ? r.target.nextDueMs - r.failure.injectedAtMs : undefined,
        restoredCheckpointId: cps?.latestRestored?.id,
        stateBytes: cps?.latestCompleted?.stateSizeBytes,
        checkpointMs: cps?.latestCompleted?.endToEndDurationMs,
        ...m,
      } satisfies FailureMeasurement;
    }),
  );
}

/** An injection that failed ends the step with a message that names the replica and the failure. */
function throwInjectionError(replicas: ReplicaRun[], plan: ProfileRecord['plan']): void {
  const r = replicas.find((x) => x.injectionError !== undefined);
  if (!r) return;
  const e = r.injectionError;
  throw new KhaosError('platform', `injecting a ${plan.failure} into replica ${r.name} failed: ${(e as Error).message ?? String(e)}`, 'the step is stored as failed; check the replica’s processes (`khaos stack status`) and resume the profile', { cause: e });
}

async function inject(deps: ProfileDeps, r: ReplicaRun, plan: ProfileRecord['plan']): Promise<void> {
  const { taskManagerId } = r.target!;
  const injector = deps.injectorFor(r.name);
  if (plan.failure === 'kill') r.failure = await injector.kill(taskManagerId);
  else {
    // The freeze resolves at the thaw; its start is what the measurement needs now.
    const injectedAtMs = deps.clock.now();
    const frozen = injector.freeze(taskManagerId, plan.freezeMs);
    r.failure = { type: 'freeze', taskManagerId, pid: 0, injectedAtMs };
    r.failure = await frozen;
  }
}
