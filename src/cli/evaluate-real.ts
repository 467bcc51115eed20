import fs from 'node:fs';
import path from 'node:path';
import { loadTrace, localControlDeps } from '../compose.js';
import { modelsFromSamples } from '../app/control/models.js';
import { simulatedControl } from '../app/evaluate.js';
import { runRealEvaluation, type RealEvaluationInput } from '../app/evaluate-real.js';
import { badInput } from '../core/errors.js';
import { gapRow, predictRun, realQos, runSamples, type GapRow, type QosTargets } from '../core/evaluation/real-qos.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { judgeScenario } from '../core/evaluation/verdict.js';
import { failureSchedules } from '../core/sim/failures.js';
import { detectorOptions } from '../core/profiling/recovery.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { replaySchedule } from '../core/load/trace.js';
import type { PolicyUnderTest } from '../core/sim/evaluate.js';
import type { FluidParams } from '../core/sim/fluid.js';
import { buildRealEvaluateReport } from '../report/real-evaluate-report.js';
import type { EvaluateReport } from '../report/evaluate-report.js';
import { controlSettings, modelInputs } from './control.js';
import { writeReport } from './evaluate-files.js';
import { configFrom, log, stopOnSignals, withOwnedStack, type CliIo } from './common.js';

type Config = ReturnType<typeof configFrom>;

/** The kill times of the real run: evaluate.real.kills, or drawn with evaluate.seed over the replay. */
export function realKillsSec(c: Config): number[] {
  const r = c.evaluate.real;
  const D = c.replay.durationSec;
  if (r.killsSec) {
    const bad = r.killsSec.filter((k) => !(k > 0 && k < D));
    if (bad.length) throw badInput(`evaluate.real.kills: ${bad.map((k) => `${k} s`).join(', ')} outside the replay (0, ${D}) s`, 'kill while the replay runs, or lengthen replay.duration');
    return [...r.killsSec].sort((a, b) => a - b);
  }
  if (r.failures === 0) return [];
  const [schedule] = failureSchedules(D, 1, r.failures, r.minSpacingSec, c.evaluate.seed, 'kill');
  return schedule!.map((f) => Math.round(f.atSec * 10) / 10);
}

/** Everything checked before a process starts: policies, models for the policies that need them, kills. */
export function realEvaluationInput(c: Config, policies: readonly PolicyUnderTest[], workloadsDir: string): RealEvaluationInput {
  const models = modelInputs(c.control);
  const needModels = policies.filter((p) => p.policy === 'khaos' || p.policy === 'khaos+');
  if (needModels.length > 0 && !models.samples && !models.models)
    throw badInput(`${needModels.map((p) => p.name).join(', ')} need(s) models, and the config gives none`, 'set control.samples to a profile export (khaos profile export ID), or control.latencyModel and control.recoveryModel');
  const trace = loadTrace(c.replay.trace, workloadsDir);
  replaySchedule(trace, c.replay); // a bad slice of the trace is refused before anything starts
  return {
    job: c.job.kind, trace, seed: c.replay.seed, parallelism: c.job.parallelism, partitions: c.stack.partitions,
    peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec, durationSec: c.replay.durationSec,
    policies, control: controlSettings(c.control), initialIntervalMs: c.job.checkpointIntervalMs, fallbackIntervalMs: c.control.fallbackIntervalMs,
    killsSec: realKillsSec(c), mode: c.evaluate.real.mode, drainMs: c.evaluate.real.drainMs, models,
  };
}

export interface RealOutcome {
  records: RealRunRecord[];
  report: EvaluateReport;
  json: string;
  /** The simulator against the measurement, per policy (sim-vs-real.json). */
  gaps: GapRow[];
  /** Events lost or duplicated by any run. */
  exactlyOnce: boolean;
}

/** QoS, the simulator's prediction and the report, from the records (pure given its inputs). */
export function summariseReal(c: Config, input: RealEvaluationInput, records: RealRunRecord[], params: { params: FluidParams; source: string }, command: string, wallSec: number): RealOutcome {
  const o = c.control.options;
  const targets: QosTargets = { latencyTargetMs: o.latencyTargetMs, recoveryTargetS: o.recoveryTargetS, latencyWindowSec: c.evaluate.latencyWindowSec };
  const rows = records.map((r) => realQos(r, targets));
  const models = input.models.models ?? (input.models.samples ? modelsFromSamples(input.models.samples.samples, 1, `samples:${input.models.samples.source}`) : undefined);
  const gaps = records.map((r, i) => {
    const policy = input.policies[i]!;
    const sim = predictRun(r, {
      params: params.params, policy, policyOptions: o, models, targets,
      control: simulatedControl(c.control),
    });
    return gapRow(policy.name, { recoveriesSec: r.failures.map((f) => f.recoverySec), latencyShare: rows[i]!.latencyViolationShare }, { recoveriesSec: sim.recoveriesSec, latencyShare: sim.qos.latencyViolationShare });
  });
  const report = buildRealEvaluateReport(records, rows, gaps, {
    trace: input.trace.name, peakRateEps: input.peakRateEps, compression: input.compression, startOffsetSec: input.startOffsetSec, durationSec: input.durationSec,
    mode: input.mode, killsSec: input.killsSec, latencyTargetMs: o.latencyTargetMs, recoveryTargetS: o.recoveryTargetS, latencyWindowSec: c.evaluate.latencyWindowSec,
    initialIntervalMs: input.initialIntervalMs, fallbackIntervalMs: input.fallbackIntervalMs,
    models: input.models.samples ? `fitted at start from ${input.models.samples.source} (${input.models.samples.samples.length} samples), refitted online with each measured failure` : 'from the model files of the config',
    params: params.source, command, wallSec,
  });
  return { records, report, gaps, json: `${JSON.stringify({ policies: rows, verdict: judgeScenario(rows) }, null, 2)}\n`, exactlyOnce: rows.every((r) => r.lost === 0 && r.duplicated === 0) };
}

/** The records of an earlier real evaluation (`--from-runs`), checked against the policies of this one. */
export function readRuns(file: string, policies: readonly PolicyUnderTest[]): RealRunRecord[] {
  if (!fs.existsSync(file)) throw badInput(`--from-runs: ${file} not found`, 'give the runs.json an earlier `khaos evaluate` (without --sim) wrote');
  let runs: unknown;
  try {
    runs = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw badInput(`--from-runs: ${file} is not JSON: ${(e as Error).message}`, 'give the runs.json an earlier `khaos evaluate` wrote');
  }
  const ok = (r: unknown): r is RealRunRecord => typeof r === 'object' && r !== null && ['policy', 'samples', 'failures', 'scheduleEps', 'intervals', 'checkpoints', 'changes'].every((k) => k in r);
  if (!Array.isArray(runs) || !runs.every(ok)) throw badInput(`--from-runs: ${file} is not a list of evaluation runs`, 'give the runs.json an earlier `khaos evaluate` wrote');
  const names = runs.map((r) => r.policy).join(',');
  const wanted = policies.map((p) => p.name).join(',');
  if (names !== wanted) throw badInput(`--from-runs: ${file} has the runs of ${names}, and this evaluation lists ${wanted}`, 'use the config (or --policies) of that evaluation');
  return runs;
}

/** `khaos evaluate` without --sim: every policy on the local stack (or the runs of `fromRuns`), then the report. 1 when a run lost or duplicated events. */
export async function evaluateReal(c: Config, policies: readonly PolicyUnderTest[], o: { outDir: string; json: boolean; params: { params: FluidParams; source: string }; command: string; fromRuns?: string }, io: CliIo): Promise<number> {
  const input = realEvaluationInput(c, policies, io.workloadsDir);
  const started = Date.now();
  const records = o.fromRuns ? readRuns(o.fromRuns, policies) : await runOnLocalStack(c, input);
  if (records.length < policies.length) throw badInput(`evaluate stopped after ${records.length} of ${policies.length} runs`, 'nothing was written; run it again');
  const wallSec = o.fromRuns ? (records.at(-1)!.samples.at(-1)?.tMs ?? 0) / 1000 - (records[0]!.samples[0]?.tMs ?? 0) / 1000 : (Date.now() - started) / 1000;
  const out = summariseReal(c, input, records, o.params, o.command, wallSec);
  // The kills as failure samples, usable as control.samples (models measured with each replica alone).
  const samples = runSamples(records, detectorOptions(c.control.windowMs));
  const markdownPath = writeReport(o.outDir, out.json, out.report, [
    ...(o.fromRuns ? [] : [{ name: 'runs.json', content: `${JSON.stringify(records)}\n` }]),
    { name: 'samples.csv', content: samplesToCsv(samples, [`MEASURED on the local stack: the kills of \`${o.command}\` (${input.mode}), runs ${records.map((r) => r.policy).join(', ')}; usable as control.samples`]) },
    { name: 'sim-vs-real.json', content: `${JSON.stringify({ simulatorParameters: o.params.source, params: o.params.params, policies: out.gaps }, null, 2)}\n` },
  ]);
  if (o.json) io.out(out.json);
  else io.out(`${out.report.markdown.split('\n## Violations')[1]?.replace(/^\n/, '## Violations\n') ?? ''}\nreport: ${markdownPath}\n`);
  io.err(`report (MEASURED on the local stack): ${markdownPath}; runs: ${o.fromRuns ?? path.join(o.outDir, 'runs.json')}\n`);
  if (!out.exactlyOnce) io.err('evaluate: a run lost or duplicated events in its committed output (see the lost and duplicated columns)\n');
  return out.exactlyOnce ? 0 : 1;
}

async function runOnLocalStack(c: Config, input: RealEvaluationInput): Promise<RealRunRecord[]> {
  const runs = input.mode === 'sequential' ? input.policies.length : 1;
  log(`evaluate (real stack): ${input.policies.length} policies ${input.mode === 'sequential' ? 'one after another' : 'side by side'}, ${input.durationSec} s of replay each, ${input.killsSec.length} kill(s); about ${Math.ceil((runs * (input.durationSec + input.drainMs / 1000 + 60)) / 60)} min`);
  const stopped = stopOnSignals('the evaluation');
  return withOwnedStack(c, async (stack) => {
    const deps = localControlDeps(stack, log);
    try {
      return await runRealEvaluation(deps, input, c, stopped);
    } finally {
      deps.store.close();
      await deps.bus.close();
    }
  });
}
