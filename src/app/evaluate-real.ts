import { replaySchedule, type Trace } from '../core/load/trace.js';
import { requireInput } from '../core/jobs.js';
import type { KhaosConfig } from '../config/schema.js';
import { failureSchedules } from '../core/sim/failures.js';
import { missingRuns, parseRunRange, planId, planRealRuns, realPlanProblems, scoredView, type PlannedRun, type RealPlan } from '../core/evaluation/real-plan.js';
import { measureKills, realQos, runSamples, type QosTargets } from '../core/evaluation/real-qos.js';
import { gapRow, predictRun, type GapRow } from '../core/sim/real-gap.js';
import { pairedDifferences, referencePolicy, summariseRepeats } from '../core/evaluation/real-repeats.js';
import { judgeScenario, type VerdictRow } from '../core/evaluation/verdict.js';
import type { FailureSample } from '../core/profiling/samples.js';
import { parsePolicy } from '../core/control/policies.js';
import type { FluidParams } from '../core/sim/fluid-params.js';
import { median } from '../core/stats.js';
import { buildRealEvaluateReport, type PlatformName } from '../report/real-evaluate-report.js';
import type { EvaluateReport } from '../report/evaluate-report.js';
import type { EvaluationRuns, Sitting } from '../ports/evaluation-runs.js';
import { modelsFromSamples } from './control/control-models.js';
import { simulatedControl } from './evaluate-sim.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { badInput, KhaosError } from '../core/errors.js';
import { detectorOptions, type JobSample } from '../core/profiling/recovery.js';
import type { PolicyUnderTest } from '../core/sim/sim-evaluation.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import { runLocalGroup, type GroupMember, type LocalControlDeps, type MemberResult, type ReplayedJob } from './control/local-run.js';
import { controlSettings, type ControlSettings, type ModelInputs, type SessionTarget } from './control/session.js';
import type { ControlStore } from '../ports/control-store.js';
import type { Platform } from './platform.js';

/**
 * `khaos evaluate` on a real platform (the local stack, or Kubernetes: whichever compose.ts gives):
 * each policy under test controls a replica of the job while
 * the same compressed trace is replayed into it and the same TaskManager kills hit it. Sequential
 * (default): one replica at a time, each with its own replay of the same events; side by side: all
 * replicas on one replay. Each run starts with a warm-up (replayed, not scored, no kill); the runs
 * are made in the plan's seeded order (core/evaluation/real-plan.ts), and every run is recorded
 * (RealRunRecord) as soon as it ends, for the QoS, the report, the simulator's prediction and
 * calibration.
 */
export interface RealEvaluationInput extends ReplayedJob {
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
    `the replay's top rate is ${top} ev/s (at +${schedule.indexOf(top)} s of the replay), above the ${measured.sustainableEps} ev/s that profile ${measured.profileId}'s capacity probe measured for ${replicas} ${e.job.name} replica(s) of parallelism ${e.parallelism} running at once: its recoveries would never catch up; lower replay.peakRateEps to at most ${Math.floor((measured.sustainableEps * e.peakRateEps) / top)}`,
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
    job: e.job.name,
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
    ...(r.reconciliation.mode === 'none'
      ? { lost: null, duplicated: null }
      : { lost: r.reconciliation.missing.reduce((a, k) => a + k.produced - k.counted, 0), duplicated: r.reconciliation.extra.reduce((a, k) => a + k.counted - k.produced, 0) }),
  };
}

/** Where the real evaluation reads its inputs (compose.ts: the traces, the model files, the probes stored by profiles). */
export interface RealEvaluationSources {
  loadTrace(nameOrPath: string): Trace;
  modelInputs(control: KhaosConfig['control']): ModelInputs;
  /** The capacity a stored probe measured (by default none: no check). */
  capacity?: MeasuredCapacity;
}

/**
 * Everything checked before a process starts — policies, models for the policies that need them,
 * the plan (slice, kills) and the top rate against a stored capacity probe — with every problem
 * in one message.
 */
export function realEvaluationInput(c: KhaosConfig, policies: readonly PolicyUnderTest[], sources: RealEvaluationSources): RealEvaluationInput {
  if (policies.length === 0) throw badInput('no policy to evaluate: evaluate.policies and evaluate.staticIntervals are empty, and --policies is not given', 'list policies in --policies (e.g. --policies khaos+,static:5s), or in evaluate.policies / evaluate.staticIntervals');
  requireInput(c.job.descriptor, '`khaos evaluate` on the real stack');
  const models = sources.modelInputs(c.control);
  const needModels = policies.filter((p) => parsePolicy(p.policy).entry.needsModels);
  if (needModels.length > 0 && !models.samples && !models.models)
    throw badInput(`${needModels.map((p) => p.name).join(', ')} need(s) models, and the config gives none`, 'set control.samples to a profile export (khaos profile export ID), or control.latencyModel and control.recoveryModel');
  const trace = sources.loadTrace(c.replay.trace);
  const plan = realPlan(c, policies, trace.name);
  const input: RealEvaluationInput = {
    job: c.job.descriptor, trace, seed: c.replay.seed, parallelism: c.job.parallelism, partitions: c.stack.partitions,
    peakRateEps: c.replay.peakRateEps, peakPercentile: c.replay.peakPercentile, compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec, durationSec: c.replay.durationSec,
    policies, control: controlSettings(c.control), initialIntervalMs: c.job.checkpointIntervalMs, fallbackIntervalMs: c.control.fallbackIntervalMs,
    warmupSec: c.evaluate.real.warmupSec, plan, planId: planId(plan), mode: c.evaluate.real.mode, drainMs: c.evaluate.real.drainMs, models,
  };
  const problems = realEvaluationProblems(input, c.control.options.recoveryTargetS, sources.capacity ?? (() => undefined));
  if (problems.length > 0) throw badInput(`the real evaluation cannot start: ${problems.join('; ')}`, 'nothing was started; fix the config (docs/evaluate.md, "On the real stack")');
  return input;
}

export interface RealOutcome {
  records: RealRunRecord[];
  report: EvaluateReport;
  json: string;
  /** The simulator against the measurement, per policy over its runs (sim-vs-real.json). */
  gaps: GapRow[];
  /** Events lost or duplicated by any run. */
  exactlyOnce: boolean;
  /** False when no run's output was checked (job.reconcile: none). */
  outputChecked: boolean;
}

const medianOf = (xs: readonly number[]) => (xs.length ? median(xs) : 0);

/**
 * QoS (of each run's scored window), the repeats' medians and spreads, the paired differences by
 * run index, the simulator's prediction and the report, from the records (pure given its inputs).
 */
export function summariseReal(c: KhaosConfig, input: RealEvaluationInput, records: RealRunRecord[], params: { params: FluidParams; source: string }, command: string, wallSec: number, platform?: PlatformName): RealOutcome {
  const o = c.control.options;
  const targets: QosTargets = { latencyTargetMs: o.latencyTargetMs, recoveryTargetS: o.recoveryTargetS, latencyWindowSec: c.evaluate.latencyWindowSec };
  const ordered = [...records].sort((a, b) => input.policies.findIndex((p) => p.name === a.policy) - input.policies.findIndex((p) => p.name === b.policy) || (a.run ?? 1) - (b.run ?? 1));
  const scored = ordered.map(scoredView);
  const rows = scored.map((r) => realQos(r, targets));
  const models = input.models.models ?? (input.models.samples ? modelsFromSamples(input.models.samples.samples, 1, `samples:${input.models.samples.source}`) : undefined);
  const predicted = scored.map((r) => {
    const policy = input.policies.find((p) => p.name === r.policy)!;
    return predictRun(r, { params: params.params, policy, policyOptions: o, models, targets, control: simulatedControl(c.control) });
  });
  const runsOf = (name: string) => ordered.flatMap((r, i) => (r.policy === name ? [i] : []));
  const gaps = input.policies.map((p) => {
    const ix = runsOf(p.name);
    return gapRow(
      p.name,
      { recoveriesSec: ix.flatMap((i) => ordered[i]!.failures.map((f) => f.recoverySec)), latencyShare: medianOf(ix.map((i) => rows[i]!.latencyViolationShare)) },
      { recoveriesSec: ix.flatMap((i) => predicted[i]!.recoveriesSec), latencyShare: medianOf(ix.map((i) => predicted[i]!.qos.latencyViolationShare)) },
    );
  });
  const runsOfPolicy = (name: string) => rows.flatMap((row, i) => (row.name === name ? [{ run: ordered[i]!.run ?? 1, row }] : []));
  const summaries = input.policies.map((p) => summariseRepeats(runsOfPolicy(p.name).map((r) => r.row)));
  const reference = referencePolicy(input.policies.map((p) => p.name))!;
  const paired = input.policies.filter((p) => p.name !== reference).map((p) => pairedDifferences({ name: reference, runs: runsOfPolicy(reference) }, { name: p.name, runs: runsOfPolicy(p.name) }));
  const perRun = rows.map((row, i) => ({ run: ordered[i]!.run ?? 1, position: ordered[i]!.position ?? null, ...row }));
  const report = buildRealEvaluateReport(ordered, rows, gaps, {
    trace: input.trace.name, peakRateEps: input.peakRateEps, peakPercentile: input.peakPercentile, compression: input.compression, startOffsetSec: input.startOffsetSec, durationSec: input.durationSec,
    warmupSec: input.warmupSec, repeats: input.plan.repeats, orderSeed: input.plan.orderSeed, planId: input.planId, order: input.plan.order,
    mode: input.mode, killsSec: input.plan.killsSec, latencyTargetMs: o.latencyTargetMs, recoveryTargetS: o.recoveryTargetS, latencyWindowSec: c.evaluate.latencyWindowSec,
    initialIntervalMs: input.initialIntervalMs, fallbackIntervalMs: input.fallbackIntervalMs,
    models: input.models.samples ? `fitted at start from ${input.models.samples.source} (${input.models.samples.samples.length} samples), refitted online with each measured failure` : 'from the model files of the config',
    params: params.source, command, wallSec, ...(platform ? { platform } : {}),
  }, { summaries, paired });
  // The verdict judges each policy by its medians over the repeats, not by any one run.
  const json = { planId: input.planId, policies: summaries, verdict: judgeScenario(summaries as unknown as VerdictRow[]), paired, runs: perRun };
  return { records: ordered, report, gaps, json: `${JSON.stringify(json, null, 2)}\n`, exactlyOnce: rows.every((r) => r.lost === null || (r.lost === 0 && r.duplicated === 0)), outputChecked: rows.some((r) => r.lost !== null) };
}

/** What the real evaluation needs besides the config: its inputs, where its runs are kept, a platform to make them on. */
export interface RealEvaluationDeps extends RealEvaluationSources {
  runs: EvaluationRuns;
  /**
   * Runs `body` on the config's platform (compose.onPlatform): a local stack of its own, started
   * before and torn down after, or Kubernetes, where `scope` names the FlinkDeployments. The
   * replicas are stopped by the runs; the bus is closed here.
   */
  onPlatform(scope: string, body: (platform: Platform) => Promise<void>): Promise<void>;
  /** Where the controllers of the runs record their sessions. */
  controlStore(): ControlStore;
  newRunId(): string;
  /** Where the replicas run, for the report (default: the local stack's processes). */
  platform?: PlatformName;
  /** Called once runs are about to be made: the check it returns turns true when the user stops them (the runs done are kept). */
  watchForStop(): () => boolean;
  log(line: string): void;
  /** Wall time, ms since the epoch. */
  now(): number;
}

/** Options of the real evaluation. */
export interface RealOptions {
  outDir: string;
  params: { params: FluidParams; source: string };
  /** The command line, for the report and the samples it writes. */
  command: string;
  /** Report from these sittings' runs (runs.json files or their directories), making none. */
  fromRuns?: string[];
  /** Continue the evaluation recorded in this directory. */
  resume?: string;
  /** Only these positions of the order (`3-7`), this sitting. */
  runs?: string;
}

/**
 * What a real evaluation came to: runs still to make (`incomplete`: stopped, or a part of the
 * order made), or every planned run recorded and summarised (`report`, to be written into
 * `outDir`, with the kills as failure samples; `dir` is the sitting's, when runs were made).
 */
export type RealEvaluationResult =
  | { kind: 'incomplete'; stopped: boolean; dir: string; plan: RealPlan; left: PlannedRun[] }
  | { kind: 'report'; outDir: string; dir: string; input: RealEvaluationInput; outcome: RealOutcome; samples: FailureSample[] };

export const unitName = (u: PlannedRun) => `${u.position}. ${u.policies.join(' + ')} #${u.run}`;

/** Wall time the joined sittings spent measuring: the sum of each run's span. */
const sittingsWallSec = (records: readonly RealRunRecord[]) => records.reduce((a, r) => a + ((r.samples.at(-1)?.tMs ?? r.replayEndMs) - (r.samples[0]?.tMs ?? r.replayStartMs)) / 1000, 0);

/**
 * `khaos evaluate` without --sim: the planned runs on the config's platform (or the runs of earlier
 * sittings), then, once every planned run is recorded, their summary and report.
 */
export async function evaluateRealFromConfig(deps: RealEvaluationDeps, c: KhaosConfig, policies: readonly PolicyUnderTest[], o: RealOptions): Promise<RealEvaluationResult> {
  if (o.fromRuns && (o.resume || o.runs)) throw badInput('--from-runs makes no run: it takes neither --resume nor --runs', 'drop --resume/--runs to report from the runs given, or drop --from-runs to make runs');
  const input = realEvaluationInput(c, policies, deps);
  const { plan } = input;
  const started = deps.now();
  let records: RealRunRecord[];
  let dir = o.outDir;
  if (o.fromRuns) records = deps.runs.join(o.fromRuns, plan, input.planId);
  else {
    dir = o.resume ?? o.outDir;
    const range = o.runs === undefined ? { from: 1, to: plan.order.length } : parseRunRange(o.runs, plan.order.length);
    const sitting = deps.runs.open(dir, plan, input.planId, o.resume !== undefined);
    const todo = missingRuns(plan, sitting.records).filter((u) => u.position >= range.from && u.position <= range.to);
    deps.log(`evaluate (${deps.platform?.name ?? 'real stack'}): ${input.planId}, ${plan.order.length} runs (${plan.policies.length} policies × ${plan.repeats} repeats${input.mode === 'side-by-side' ? ', side by side' : ''}) in the order of seed ${plan.orderSeed}: ${plan.order.map(unitName).join(', ')}`);
    deps.log(`evaluate: ${plan.order.length - missingRuns(plan, sitting.records).length} recorded in ${dir}; this sitting makes ${todo.length}: ${todo.map((u) => u.position).join(', ') || 'none'}; about ${Math.ceil((todo.length * (input.warmupSec + input.durationSec + input.drainMs / 1000 + 60)) / 60)} min`);
    const stopped = todo.length > 0 && (await makeRuns(deps, c, input, todo, sitting));
    records = sitting.records;
    const left = missingRuns(plan, records);
    if (left.length > 0) return { kind: 'incomplete', stopped, dir, plan, left };
  }
  const missing = missingRuns(plan, records);
  if (missing.length > 0) throw badInput(`--from-runs: ${missing.length} of ${plan.order.length} planned runs are in none of the files: ${missing.map(unitName).join(', ')}`, 'make them (`--resume DIR`, or `--runs A-B --out DIR` in another sitting) and give that sitting too');
  const wallSec = o.fromRuns ? sittingsWallSec(records) : (deps.now() - started) / 1000;
  const outcome = summariseReal(c, input, records, o.params, o.command, wallSec, deps.platform);
  // The kills as failure samples, usable as control.samples (models measured with each replica alone).
  const samples = runSamples(outcome.records.map(scoredView), detectorOptions(c.control.windowMs));
  return { kind: 'report', outDir: o.fromRuns ? o.outDir : dir, dir, input, outcome, samples };
}

/** Makes `todo` on the platform, recording each run into the sitting; true when stopped. */
async function makeRuns(deps: RealEvaluationDeps, c: KhaosConfig, input: RealEvaluationInput, todo: readonly PlannedRun[], sitting: Sitting): Promise<boolean> {
  const stopped = deps.watchForStop();
  // Topics and replicas (on Kubernetes, FlinkDeployments `khaos-eval-<stamp>-eval-<i>`) of their own per sitting: a resumed run must not read what an interrupted one left in its input topic.
  const stamp = deps.now().toString(36);
  const topicPrefix = `khaos-eval-${stamp}`;
  await deps.onPlatform(`eval-${stamp}`, async (platform) => {
    const controlDeps: LocalControlDeps = { ...platform, store: deps.controlStore(), newRunId: deps.newRunId };
    try {
      await runRealEvaluation(controlDeps, input, c, stopped, { todo, onRecord: (r) => sitting.record(r), topicPrefix });
    } finally {
      controlDeps.store.close();
      await controlDeps.bus.close();
    }
  });
  return stopped();
}
