import type { DedupOptions, JobKind } from '../core/load/events.js';
import { replaySchedule, type ReplayPlan, type Trace } from '../core/load/trace.js';
import type { KhaosConfig } from '../config/schema.js';
import { failureSchedules } from '../core/sim/failures.js';
import { measureKills } from '../core/evaluation/real-qos.js';
import { planRealRuns, realPlanProblems, type PlannedRun, type RealPlan } from '../core/evaluation/real-plan.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { KhaosError } from '../core/errors.js';
import { detectorOptions, type JobSample } from '../core/profiling/recovery.js';
import type { PolicyUnderTest } from '../core/sim/evaluate.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import { runLocalGroup, type GroupMember, type LocalControlDeps, type MemberResult } from './control/local-run.js';
import type { ControlSettings, SessionTarget } from './control/session.js';

/**
 * `khaos evaluate` on the real stack: each policy under test controls a replica of the job while
 * the same compressed trace is replayed into it and the same TaskManager kills hit it. Sequential
 * (default): one replica at a time, each with its own replay of the same events; side by side: all
 * replicas on one replay. Each run starts with a warm-up (replayed, not scored, no kill); the runs
 * are made in the plan's seeded order (core/evaluation/real-plan.ts), and every run is recorded
 * (RealRunRecord) as soon as it ends, for the QoS, the report, the simulator's prediction and
 * calibration.
 */
export interface RealEvaluationInput extends ReplayPlan {
  job: JobKind;
  /** The dedup job's settings (job.dedup*): every replica and its replay use them. */
  dedup?: DedupOptions;
  trace: Trace;
  seed: number;
  parallelism: number;
  partitions: number;
  policies: readonly PolicyUnderTest[];
  /** control.* of the config; policy and actuator are set per policy under test. */
  control: ControlSettings;
  /** Where the policies that change the interval start, ms. */
  initialIntervalMs: number;
  /** The job's own interval under the paced actuator, ms. */
  fallbackIntervalMs: number;
  /** Wall s replayed before the scored window (of durationSec), unscored and without kills. */
  warmupSec: number;
  /** Which runs, in which order, with which kills (s after the warm-up, per repeat k). */
  plan: RealPlan;
  planId: string;
  mode: 'sequential' | 'side-by-side';
  drainMs: number;
  models: Pick<SessionTarget, 'samples' | 'models'>;
}

/**
 * The kills of each repeat k (at index k − 1), wall s after the warm-up: evaluate.real.kills in
 * every run, or drawn with evaluate.seed over the scored window — the same in every run, or anew
 * for each k with evaluate.real.varyKills. Run k of every policy gets run k's kills.
 */
export function realKillsSec(c: KhaosConfig): number[][] {
  const r = c.evaluate.real;
  const each = (f: (k: number) => number[]) => Array.from({ length: r.repeats }, (_, k) => f(k));
  if (r.killsSec) return each(() => [...r.killsSec!].sort((a, b) => a - b));
  if (r.failures === 0) return each(() => []);
  const schedules = failureSchedules(c.replay.durationSec, r.varyKills ? r.repeats : 1, r.failures, r.minSpacingSec, c.evaluate.seed, 'kill');
  return each((k) => schedules[r.varyKills ? k : 0]!.map((f) => Math.round(f.atSec * 10) / 10));
}

/** The plan of the config's real evaluation of `policies` (in their order): its runs in the seeded order, each repeat's slice and kills. */
export function realPlan(c: KhaosConfig, policies: readonly PolicyUnderTest[], traceName: string): RealPlan {
  const r = c.evaluate.real;
  return planRealRuns({
    job: c.job.kind, parallelism: c.job.parallelism, trace: traceName, peakRateEps: c.replay.peakRateEps, ...(c.replay.peakPercentile < 100 ? { peakPercentile: c.replay.peakPercentile } : {}), compression: c.replay.compression,
    startOffsetSec: c.replay.startOffsetSec, warmupSec: r.warmupSec, durationSec: c.replay.durationSec, seed: c.replay.seed,
    mode: r.mode, drainMs: r.drainMs, initialIntervalMs: c.job.checkpointIntervalMs, fallbackIntervalMs: c.control.fallbackIntervalMs,
    policies: policies.map((p) => p.name), repeats: r.repeats, orderSeed: r.orderSeed, killsSec: realKillsSec(c),
  });
}

/** A capacity measured by a stored profile's probe, for as many replicas as run at once. */
export type MeasuredCapacity = (replicasAtOnce: number) => { profileId: string; sustainableEps: number } | undefined;

/**
 * What would waste or spoil the runs, each with its numbers (empty: none): the slice against the
 * trace, the kills against the scored window and the recovery target, and the top replayed rate
 * against the capacity a stored probe measured for as many replicas as run at once.
 */
export function realEvaluationProblems(e: RealEvaluationInput, recoveryTargetS: number, capacity: MeasuredCapacity): string[] {
  const span = e.trace.timesSec[e.trace.timesSec.length - 1]! - e.trace.timesSec[0]!;
  const problems = realPlanProblems(e.plan, span, recoveryTargetS);
  if (problems.length > 0) return problems;
  const replicas = e.mode === 'sequential' ? 1 : e.policies.length;
  const measured = capacity(replicas);
  if (!measured) return [];
  const schedule = replaySchedule(e.trace, { ...e, durationSec: e.warmupSec + e.durationSec });
  const top = schedule.reduce((a, b) => Math.max(a, b), 0);
  if (top <= measured.sustainableEps) return [];
  return [
    `the replay's top rate is ${top} ev/s (at +${schedule.indexOf(top)} s of the replay), above the ${measured.sustainableEps} ev/s that profile ${measured.profileId}'s capacity probe measured for ${replicas} ${e.job} replica(s) of parallelism ${e.parallelism} running at once: its recoveries would never catch up; lower replay.peakRateEps to at most ${Math.floor((measured.sustainableEps * e.peakRateEps) / top)}`,
  ];
}

/** The session settings and starting interval of a policy under test; a static interval runs as the job's own, never changed. */
export function memberFor(p: PolicyUnderTest, e: Pick<RealEvaluationInput, 'control' | 'initialIntervalMs' | 'fallbackIntervalMs'>, name: string): Omit<GroupMember, 'onTick'> {
  if (p.staticMs !== undefined) return { name, settings: { ...e.control, policy: p.policy, actuator: 'restart', learning: false }, startIntervalMs: p.staticMs, fallbackIntervalMs: p.staticMs };
  return { name, settings: { ...e.control, policy: p.policy, actuator: p.actuator! }, startIntervalMs: e.initialIntervalMs, fallbackIntervalMs: e.fallbackIntervalMs };
}

/** What a member's ticks recorded. */
class RunRecorder {
  readonly samples: JobSample[] = [];
  readonly checkpoints = new Map<string, RealRunRecord['checkpoints'][number]>();
  /** Completed checkpoints per job, as Flink counts them, at the first and the last read. */
  private readonly counts = new Map<string, { first: number; last: number }>();
  /** Completed checkpoints since recording began, after each tick (to count those of the scored window). */
  private readonly completedAt: { tMs: number; completed: number }[] = [];

  async tick(sample: JobSample, flink: FlinkEngine): Promise<void> {
    this.samples.push(sample);
    if (sample.state !== 'RUNNING' || !sample.jobId) return;
    const jobId = sample.jobId;
    try {
      const c = await flink.checkpoints(jobId);
      const n = this.counts.get(jobId);
      this.counts.set(jobId, { first: n?.first ?? (this.counts.size === 0 ? c.counts.completed : 0), last: c.counts.completed });
      this.completedAt.push({ tMs: sample.tMs, completed: this.completed });
      const l = c.latestCompleted;
      if (l) this.checkpoints.set(`${jobId}:${l.id}`, { id: l.id, jobId, triggeredAtMs: l.triggerTimestampMs, durationMs: l.endToEndDurationMs, stateBytes: l.stateSizeBytes, savepoint: l.isSavepoint });
    } catch {
      // A checkpoint history that cannot be read now is read at the next tick.
    }
  }

  /** Completed checkpoints since recording began (the first job's earlier ones left out). */
  get completed(): number {
    return [...this.counts.values()].reduce((a, c) => a + c.last - c.first, 0);
  }

  /** Completed checkpoints from `fromMs` on: those of the warm-up left out. */
  completedSince(fromMs: number): number {
    return this.completed - (this.completedAt.filter((c) => c.tMs < fromMs).at(-1)?.completed ?? 0);
  }
}

/**
 * Makes the runs `todo` (positions of e.plan.order, in that order) and returns their records;
 * `onRecord` gets each as soon as its run ends (so an interrupted evaluation keeps what was done).
 * `topicPrefix` names the topics (`<prefix>-<position>-…`): a new one per sitting keeps a
 * resumed run from reading the input an interrupted one left.
 */
export async function runRealEvaluation(deps: LocalControlDeps, e: RealEvaluationInput, config: unknown, shouldStop: () => boolean, o: { todo: readonly PlannedRun[]; onRecord?: (r: RealRunRecord) => void; topicPrefix?: string }): Promise<RealRunRecord[]> {
  const byName = new Map(e.policies.map((p, i) => [p.name, { policy: p, replica: `eval-${i + 1}` }]));
  const records: RealRunRecord[] = [];
  for (const [i, unit] of o.todo.entries()) {
    if (shouldStop()) break;
    const group = unit.policies.map((name) => {
      const p = byName.get(name);
      if (!p) throw new KhaosError('bug', `the plan names ${name}, which is not among the policies evaluated`);
      return { policy: p.policy, recorder: new RunRecorder(), member: memberFor(p.policy, e, p.replica) };
    });
    const killsSec = e.plan.killsSec[unit.run - 1] ?? [];
    deps.log(`evaluate: run ${unit.position}/${e.plan.order.length} (${i + 1} of ${o.todo.length} in this sitting): ${unit.policies.join(', ')}, repeat ${unit.run}: warm-up ${e.warmupSec} s, replay ${e.durationSec} s scored, kills at ${killsSec.map((k) => `+${k.toFixed(0)} s`).join(', ') || 'none'} after the warm-up, then ${e.drainMs / 1000} s of drain`);
    const results = await runLocalGroup(
      deps,
      { ...e, durationSec: e.warmupSec + e.durationSec, killsSec: killsSec.map((k) => e.warmupSec + k), topicPrefix: `${o.topicPrefix ?? 'khaos-eval'}-${unit.position}`, stopReplicas: true },
      group.map((m) => ({ ...m.member, ...e.models, onTick: (r, flink) => m.recorder.tick(r.sample, flink) })),
      config,
      shouldStop,
    );
    // A run cut short by Ctrl-C is no measurement of the plan: it is not recorded, and a resume makes it again.
    if (shouldStop()) break;
    for (const [k, r] of results.entries()) {
      const record = { ...recordOf(deps, e, group[k]!, r), planId: e.planId, run: unit.run, position: unit.position };
      records.push(record);
      o.onRecord?.(record);
    }
  }
  return records;
}

function recordOf(deps: LocalControlDeps, e: RealEvaluationInput, m: { policy: PolicyUnderTest; recorder: RunRecorder; member: Omit<GroupMember, 'onTick'> }, r: MemberResult): RealRunRecord {
  const applied = deps.store.decisions(r.runId).filter((d) => d.outcome === 'applied');
  const changes = applied.map((d) => ({ atMs: d.atMs, fromMs: d.fromIntervalMs, toMs: d.toIntervalMs, outageMs: d.outageMs }));
  const samples = m.recorder.samples;
  return {
    policy: m.policy.name,
    job: e.job,
    replica: r.name,
    mode: e.mode,
    replayStartMs: r.replayStartMs,
    replayEndMs: r.replayEndMs,
    warmupSec: e.warmupSec,
    scheduleEps: r.scheduleEps,
    samples,
    intervals: [{ atMs: samples[0]?.tMs ?? r.replayStartMs, intervalMs: m.member.startIntervalMs }, ...changes.map((c) => ({ atMs: c.atMs, intervalMs: c.toMs }))],
    failures: measureKills(samples, r.kills, detectorOptions(e.control.windowMs)),
    checkpoints: [...m.recorder.checkpoints.values()].sort((a, b) => a.triggeredAtMs - b.triggeredAtMs),
    checkpointsCompleted: m.recorder.completedSince(r.replayStartMs + e.warmupSec * 1000),
    changes,
    lost: r.reconciliation.missing.reduce((a, k) => a + k.produced - k.counted, 0),
    duplicated: r.reconciliation.extra.reduce((a, k) => a + k.counted - k.produced, 0),
  };
}
