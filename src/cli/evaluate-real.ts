import path from 'node:path';
import { loadTrace, localControlDeps, profileStore } from '../compose.js';
import { latestCapacityProbe } from '../app/capacity-probe.js';
import { modelsFromSamples } from '../app/control/models.js';
import { simulatedControl } from '../app/evaluate.js';
import { realEvaluationProblems, realPlan, runRealEvaluation, type MeasuredCapacity, type RealEvaluationInput } from '../app/evaluate-real.js';
import { badInput } from '../core/errors.js';
import { parseRunRange, planId, scoredView, type PlannedRun } from '../core/evaluation/real-plan.js';
import { gapRow, predictRun, realQos, runSamples, type GapRow, type QosTargets } from '../core/evaluation/real-qos.js';
import { pairedDifferences, referencePolicy, summariseRepeats } from '../core/evaluation/real-repeats.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { judgeScenario, type VerdictRow } from '../core/evaluation/verdict.js';
import { detectorOptions } from '../core/profiling/recovery.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { parsePolicy, type PolicyUnderTest } from '../core/control/policies.js';
import type { FluidParams } from '../core/sim/fluid-params.js';
import { median } from '../core/stats.js';
import { buildRealEvaluateReport } from '../report/real-evaluate-report.js';
import type { EvaluateReport } from '../report/evaluate-report.js';
import { controlSettings, modelInputs } from './control.js';
import { writeReport } from './evaluate-files.js';
import { joinRuns, missingRuns, openSitting, RUNS_FILE, type Sitting } from './evaluate-runs.js';
import { configFrom, log, stopOnSignals, withOwnedStack, type CliIo } from './common.js';

type Config = ReturnType<typeof configFrom>;

/**
 * Everything checked before a process starts — policies, models for the policies that need them,
 * the plan (slice, kills) and the top rate against a stored capacity probe — with every problem
 * in one message.
 */
export function realEvaluationInput(c: Config, policies: readonly PolicyUnderTest[], workloadsDir: string, capacity: MeasuredCapacity = () => undefined): RealEvaluationInput {
  if (policies.length === 0) throw badInput('no policy to evaluate: evaluate.policies and evaluate.staticIntervals are empty, and --policies is not given', 'list policies in --policies (e.g. --policies khaos+,static:5s), or in evaluate.policies / evaluate.staticIntervals');
  const models = modelInputs(c.control);
  const needModels = policies.filter((p) => parsePolicy(p.policy).entry.needsModels);
  if (needModels.length > 0 && !models.samples && !models.models)
    throw badInput(`${needModels.map((p) => p.name).join(', ')} need(s) models, and the config gives none`, 'set control.samples to a profile export (khaos profile export ID), or control.latencyModel and control.recoveryModel');
  const trace = loadTrace(c.replay.trace, workloadsDir);
  const plan = realPlan(c, policies, trace.name);
  const input: RealEvaluationInput = {
    job: c.job.kind, dedup: c.job.dedup, trace, seed: c.replay.seed, parallelism: c.job.parallelism, partitions: c.stack.partitions,
    peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec, durationSec: c.replay.durationSec,
    policies, control: controlSettings(c.control), initialIntervalMs: c.job.checkpointIntervalMs, fallbackIntervalMs: c.control.fallbackIntervalMs,
    warmupSec: c.evaluate.real.warmupSec, plan, planId: planId(plan), mode: c.evaluate.real.mode, drainMs: c.evaluate.real.drainMs, models,
  };
  const problems = realEvaluationProblems(input, c.control.options.recoveryTargetS, capacity);
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
}

const medianOf = (xs: readonly number[]) => (xs.length ? median(xs) : 0);

/**
 * QoS (of each run's scored window), the repeats' medians and spreads, the paired differences by
 * run index, the simulator's prediction and the report, from the records (pure given its inputs).
 */
export function summariseReal(c: Config, input: RealEvaluationInput, records: RealRunRecord[], params: { params: FluidParams; source: string }, command: string, wallSec: number): RealOutcome {
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
    trace: input.trace.name, peakRateEps: input.peakRateEps, compression: input.compression, startOffsetSec: input.startOffsetSec, durationSec: input.durationSec,
    warmupSec: input.warmupSec, repeats: input.plan.repeats, orderSeed: input.plan.orderSeed, planId: input.planId, order: input.plan.order,
    mode: input.mode, killsSec: input.plan.killsSec, latencyTargetMs: o.latencyTargetMs, recoveryTargetS: o.recoveryTargetS, latencyWindowSec: c.evaluate.latencyWindowSec,
    initialIntervalMs: input.initialIntervalMs, fallbackIntervalMs: input.fallbackIntervalMs,
    models: input.models.samples ? `fitted at start from ${input.models.samples.source} (${input.models.samples.samples.length} samples), refitted online with each measured failure` : 'from the model files of the config',
    params: params.source, command, wallSec,
  }, { summaries, paired });
  // The verdict judges each policy by its medians over the repeats, not by any one run.
  const json = { planId: input.planId, policies: summaries, verdict: judgeScenario(summaries as unknown as VerdictRow[]), paired, runs: perRun };
  return { records: ordered, report, gaps, json: `${JSON.stringify(json, null, 2)}\n`, exactlyOnce: rows.every((r) => r.lost === 0 && r.duplicated === 0) };
}

/** Options of the real evaluation from the command line. */
export interface RealOptions {
  outDir: string;
  json: boolean;
  params: { params: FluidParams; source: string };
  command: string;
  /** Report from these sittings' runs (runs.json files or their directories), making none. */
  fromRuns?: string[];
  /** Continue the evaluation recorded in this directory. */
  resume?: string;
  /** Only these positions of the order (`3-7`), this sitting. */
  runs?: string;
}

const unitName = (u: PlannedRun) => `${u.position}. ${u.policies.join(' + ')} #${u.run}`;

/**
 * `khaos evaluate` without --sim: the planned runs on the local stack (or the runs of earlier
 * sittings), then, once every planned run is recorded, the report. 1 when a run lost or
 * duplicated events; 130 when stopped (the runs done are kept, and --resume continues).
 */
export async function evaluateReal(c: Config, policies: readonly PolicyUnderTest[], o: RealOptions, io: CliIo): Promise<number> {
  if (o.fromRuns && (o.resume || o.runs)) throw badInput('--from-runs makes no run: it takes neither --resume nor --runs', 'drop --resume/--runs to report from the runs given, or drop --from-runs to make runs');
  const input = realEvaluationInput(c, policies, io.workloadsDir, capacityFromStore(c));
  const { plan } = input;
  const started = Date.now();
  let records: RealRunRecord[];
  let dir = o.outDir;
  if (o.fromRuns) records = joinRuns(o.fromRuns, plan, input.planId);
  else {
    dir = o.resume ?? o.outDir;
    const range = o.runs === undefined ? { from: 1, to: plan.order.length } : parseRunRange(o.runs, plan.order.length);
    const sitting = openSitting(dir, plan, input.planId, o.resume !== undefined);
    const todo = missingRuns(plan, sitting.records).filter((u) => u.position >= range.from && u.position <= range.to);
    log(`evaluate (real stack): ${input.planId}, ${plan.order.length} runs (${plan.policies.length} policies × ${plan.repeats} repeats${input.mode === 'side-by-side' ? ', side by side' : ''}) in the order of seed ${plan.orderSeed}: ${plan.order.map(unitName).join(', ')}`);
    log(`evaluate: ${plan.order.length - missingRuns(plan, sitting.records).length} recorded in ${dir}; this sitting makes ${todo.length}: ${todo.map((u) => u.position).join(', ') || 'none'}; about ${Math.ceil((todo.length * (input.warmupSec + input.durationSec + input.drainMs / 1000 + 60)) / 60)} min`);
    const stopped = todo.length > 0 && (await runOnLocalStack(c, input, todo, sitting));
    records = sitting.records;
    const left = missingRuns(plan, records);
    if (left.length > 0) {
      const resume = `khaos ${o.command.replace(/^khaos /, '').replace(/\s--(out|resume|runs)(\s+|=)\S+/g, '')} --resume ${dir}`;
      io.err(`evaluate: ${stopped ? 'stopped; ' : ''}${plan.order.length - left.length} of ${plan.order.length} runs recorded in ${path.join(dir, RUNS_FILE)}; left: ${left.map((u) => u.position).join(', ')}. Continue with \`${resume}\` (add --runs A-B for a part), or join sittings with --from-runs DIR1 --from-runs DIR2; the report comes once every run is recorded\n`);
      return stopped ? 130 : 0;
    }
  }
  const missing = missingRuns(plan, records);
  if (missing.length > 0) throw badInput(`--from-runs: ${missing.length} of ${plan.order.length} planned runs are in none of the files: ${missing.map(unitName).join(', ')}`, 'make them (`--resume DIR`, or `--runs A-B --out DIR` in another sitting) and give that sitting too');
  const wallSec = o.fromRuns ? sittingsWallSec(records) : (Date.now() - started) / 1000;
  const out = summariseReal(c, input, records, o.params, o.command, wallSec);
  // The kills as failure samples, usable as control.samples (models measured with each replica alone).
  const samples = runSamples(out.records.map(scoredView), detectorOptions(c.control.windowMs));
  const markdownPath = writeReport(o.fromRuns ? o.outDir : dir, out.json, out.report, [
    { name: 'samples.csv', content: samplesToCsv(samples, [`MEASURED on the local stack: the kills of \`${o.command}\` (${input.mode}), ${input.planId}; usable as control.samples`]) },
    { name: 'sim-vs-real.json', content: `${JSON.stringify({ simulatorParameters: o.params.source, params: o.params.params, policies: out.gaps }, null, 2)}\n` },
  ]);
  if (o.json) io.out(out.json);
  else io.out(`${out.report.markdown.split('\n## Violations')[1]?.replace(/^\n/, '## Violations\n') ?? ''}\nreport: ${markdownPath}\n`);
  io.err(`report (MEASURED on the local stack): ${markdownPath}; runs: ${o.fromRuns?.join(', ') ?? path.join(dir, RUNS_FILE)}\n`);
  if (!out.exactlyOnce) io.err('evaluate: a run lost or duplicated events in its committed output (see the lost and duplicated columns)\n');
  return out.exactlyOnce ? 0 : 1;
}

/** Wall time the joined sittings spent measuring: the sum of each run's span. */
const sittingsWallSec = (records: readonly RealRunRecord[]) => records.reduce((a, r) => a + ((r.samples.at(-1)?.tMs ?? r.replayEndMs) - (r.samples[0]?.tMs ?? r.replayStartMs)) / 1000, 0);

/** The capacity a stored profile's probe measured for this job, if any (profile.ts checks plans the same way). */
function capacityFromStore(c: Config): MeasuredCapacity {
  return (replicas) => {
    const store = profileStore();
    try {
      return latestCapacityProbe(store, c.job.kind, c.job.parallelism, replicas);
    } finally {
      store.close();
    }
  };
}

/** Makes `todo` on a stack of its own, recording each run into the sitting; true when stopped (Ctrl-C). */
async function runOnLocalStack(c: Config, input: RealEvaluationInput, todo: readonly PlannedRun[], sitting: Sitting): Promise<boolean> {
  const stopped = stopOnSignals('the evaluation');
  // A topic prefix of its own per sitting: a resumed run must not read what an interrupted one left in its input topic.
  const topicPrefix = `khaos-eval-${Date.now().toString(36)}`;
  await withOwnedStack(c, async (stack) => {
    const deps = localControlDeps(stack, log);
    try {
      await runRealEvaluation(deps, input, c, stopped, { todo, onRecord: (r) => sitting.record(r), topicPrefix });
    } finally {
      deps.store.close();
      await deps.bus.close();
    }
  });
  return stopped();
}
