import path from 'node:path';
import type { Command } from 'commander';
import { loadTrace } from '../compose.js';
import { MAX_SCHEDULES, resolvePolicyList } from '../config/schema.js';
import { badInput } from '../core/errors.js';
import { evaluationFromConfig, runEvaluation } from '../app/evaluate-sim.js';
import { evaluationJson, simulationRates, type EvaluationResult } from '../core/sim/sim-evaluation.js';
import { simulatedTimeline } from '../core/evaluation/timeline.js';
import { judgeScenario } from '../core/evaluation/verdict.js';
import { DEFAULT_LATENCY_WINDOW_SEC } from '../core/sim/simulate.js';
import { buildEvaluateReport, verdictLines, type EvaluateReportSetup } from '../report/evaluate-report.js';
import { evaluateReal } from './evaluate-real.js';
import { writeReport } from './evaluate-files.js';
import { checkOutputDir } from './output-paths.js';
import { act, configFrom, processIo, runAlone, withConfigOptions, type CliIo } from './common.js';
import { applyCalibration } from './sim.js';

const HELP = `
Without --sim, every policy runs on the config's platform: the local stack (real Flink and Kafka
processes, started and stopped by this command), or with platform: kubernetes a FlinkDeployment
per replica, killed through Chaos Mesh (docs/kubernetes.md). The same compressed slice of the
trace (replay.*) is replayed into a replica of the job under each policy, with the same
TaskManager kills (evaluate.real), after a warm-up nothing is scored on (evaluate.real.warmup).
Each policy runs evaluate.real.repeats times, in a seeded random order printed first
(evaluate.real.orderSeed). Replicas run one after another by default (evaluate.real.mode).
Writes <out>/plan.json first, <out>/runs.json as each run ends (a stopped evaluation continues
with --resume <out>), then <out>/evaluate.json and <out>/report.md with its plots, the paired
differences and the simulator's prediction of the same runs.
khaos and khaos+ need models: control.samples (a profile export) or model files.

--sim runs every policy through the fluid simulator over the whole trace (replay.trace, scaled to
replay.peakRateEps, compressed replay.compression×), once per seeded failure schedule
(evaluate.schedules, default 20), and reports the median of each figure with p10/p90 beside it.
Writes <out>/evaluate.json, <out>/report.md and its SVG plots; everything is labelled SIMULATED.
Progress goes to stderr. See docs/evaluate.md.

Examples:
  khaos evaluate --config examples/evaluate-iot.yaml
  khaos evaluate --config examples/evaluate-iot.yaml --resume khaos-evaluate-iot      (after Ctrl-C)
  khaos evaluate --config examples/evaluate-iot.yaml --runs 1-9 --out part1          (one sitting of several)
  khaos evaluate --config examples/evaluate-iot.yaml --from-runs part1,part2 --out all (the report of the sittings joined)
  khaos evaluate --sim --config examples/evaluate-iot.yaml
  khaos evaluate --sim --config examples/evaluate-iot.yaml --policies khaos+,khaos+@restart,static:30s --schedules 5 --json`;

interface Flags {
  config?: string;
  sim?: boolean;
  trace?: string;
  policies?: string;
  schedules?: string;
  seed?: string;
  json?: boolean;
  out?: string;
  calibration?: string;
  fromRuns?: string[];
  resume?: string;
  runs?: string;
  oracle?: boolean;
  strict?: boolean;
}

/** `khaos evaluate`: policies compared on one scenario (only `--sim` so far). */
export function addEvaluateCommand(parent: Command, io: CliIo): Command {
  const cmd = withConfigOptions(parent.command('evaluate').description('compare khaos+, khaos, the baselines and static intervals on one scenario: on the local stack or Kubernetes (platform), or in the simulator (--sim)'), ['config', 'trace'], {
    trace: 'trace path or file name in shared/workloads, instead of replay.trace (any length; scaled to replay.peakRateEps)',
  })
    .option('--sim', 'run the scenario in the simulator, over the whole trace and many failure schedules')
    .option('--policies <list>', 'comma-separated, instead of evaluate.policies and evaluate.staticIntervals, e.g. khaos+,khaos+@restart,khaos,static:30s')
    .option('--schedules <n>', 'seeded failure schedules (evaluate.schedules, default 20)')
    .option('--seed <n>', 'seed of the failure schedules (evaluate.seed, default 42)')
    .option('--json', 'print {policies: [...]} as JSON on stdout, nothing else')
    .option('--calibration <id>', 'a stored calibration (`khaos sim calibrations`) as the simulated job, with evaluate.sim on top (evaluate.sim.calibration)')
    .option('--no-oracle', '--sim: leave out the load oracle (evaluate.oracle)')
    .option('--strict', 'real stack: refuse models fitted for another job (jar, entry class, parallelism, recovery options) instead of warning')
    .option('--from-runs <file>', 'real stack: no new runs; the report from the runs.json (or out directory) of earlier sittings of the same config, joined; repeatable or comma-separated', (v: string, prev?: string[]) => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')])
    .option('--resume <dir>', 'real stack: continue the evaluation recorded in <dir> (its plan.json and runs.json): the runs done are skipped, the same order goes on')
    .option('--runs <range>', 'real stack: make only these positions of the planned order in this sitting, e.g. 1-5 (join the sittings with --from-runs, or --resume one directory)')
    .option('--out <dir>', 'where to write evaluate.json, report.md and the plots (evaluate.out, default khaos-evaluate)')
    .addHelpText('after', HELP);
  return act(cmd, (f: Flags) => evaluate(f, io));
}

/** `khaos evaluate …` on its own (`args` are the words after `evaluate`), as the CLI runs it; returns the exit code. */
export function evaluateCommand(args: string[], io: Partial<CliIo>): Promise<number> {
  return runAlone(addEvaluateCommand, ['evaluate', ...args], processIo(io));
}

function wholeNumber(v: string | undefined, flag: string, min: number, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const range = [min > -Infinity && `≥ ${min}`, max < Infinity && `≤ ${max}`].filter(Boolean).join(' and ');
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw badInput(`--${flag} needs a whole number${range ? ` ${range}` : ''}, got "${v}"`, `e.g. --${flag} ${flag === 'seed' ? 7 : 20}`);
  return n;
}


function summaryLines(r: EvaluationResult, latencyWindowSec: number): string[] {
  const w = Math.max(6, ...r.rows.map((x) => x.name.length));
  const win = `lat. viol. ${latencyWindowSec}s`;
  const head = `${'policy'.padEnd(w)}  ${'latency viol.'.padStart(13)}  ${win.padStart(14)}  ${'recovery viol.'.padStart(14)}  ${'viol. time'.padStart(10)}  ${'mean rec.'.padStart(9)}  ${'max rec.'.padStart(9)}  ${'ckpt overhead'.padStart(13)}  ${'reconfigs'.padStart(9)}`;
  const s = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)} s`);
  const p = (v: number) => `${(v * 100).toFixed(2)} %`;
  return [
    `SIMULATED: medians over ${r.runs[0]?.qos.length ?? 0} schedule(s) (p10/p90 in evaluate.json and the report)`,
    head,
    ...r.rows.map((x) =>
      [x.name.padEnd(w), p(x.latencyViolationShare).padStart(13), p(x.latencyWindowViolationShare).padStart(14), String(x.recoveryViolations).padStart(14), `${x.violationSeconds.total} s`.padStart(10), s(x.meanRecoveryS).padStart(9), s(x.maxRecoveryS).padStart(9), p(x.checkpointOverhead).padStart(13), String(x.reconfigurations).padStart(9)].join('  '),
    ),
    ...verdictLines(judgeScenario(r.rows), r.rows),
  ];
}

async function evaluate(f: Flags, io: CliIo): Promise<number> {
  const schedules = wholeNumber(f.schedules, 'schedules', 1, MAX_SCHEDULES);
  const seed = wholeNumber(f.seed, 'seed', -Infinity);
  const policiesFlag = f.policies === undefined ? undefined : resolvePolicyList(f.policies.split(',').map((p) => p.trim()), '--policies');
  const { config: c, calibration } = applyCalibration(configFrom({ config: f.config, trace: f.trace }), f.calibration);
  const outDir = f.out ?? c.evaluate.out;
  checkOutputDir(outDir, f.out === undefined ? 'evaluate.out' : '--out'); // before the runs: results that cannot be written are lost
  if (!f.sim) {
    if (f.schedules !== undefined) throw badInput('--schedules is for --sim: the real stack runs one failure schedule (evaluate.real)', 'drop --schedules, or add --sim');
    if (f.resume !== undefined && f.out !== undefined && path.resolve(f.out) !== path.resolve(f.resume)) throw badInput(`--resume ${f.resume} writes into ${f.resume}, and --out names ${f.out}`, 'drop --out when resuming');
    const params = { params: c.evaluate.params, source: calibration ? `calibration ${calibration.id} (version ${calibration.version}) with evaluate.sim on top` : 'evaluate.sim of the config' };
    return evaluateReal(c, policiesFlag ?? c.evaluate.evaluated, { outDir, json: !!f.json, params, fromRuns: f.fromRuns, resume: f.resume, runs: f.runs, strict: f.strict, command: `khaos ${process.argv.slice(2).join(' ')}` }, io);
  }
  for (const [flag, v] of [['--from-runs', f.fromRuns], ['--resume', f.resume], ['--runs', f.runs]] as const)
    if (v !== undefined) throw badInput(`${flag} is for the real-stack mode`, `drop --sim to use ${flag}`);
  const trace = loadTrace(c.replay.trace, io.workloadsDir);
  // commander sets oracle to true unless --no-oracle: only false overrides evaluate.oracle.
  const input = evaluationFromConfig(c, simulationRates(trace, c.replay), { policies: policiesFlag, schedules, seed, oracle: f.oracle === false ? false : undefined });
  const { policies, failures } = input;
  const progress = (line: string) => io.err(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const started = performance.now();
  let policiesDone = 0;
  const result = await runEvaluation(
    { ...input, onProgress: ({ policy, runs }) => progress(`  ${policy}: ${runs} run(s) done (${++policiesDone}/${policies.length} policies, ${((performance.now() - started) / 1000).toFixed(1)} s so far)`) },
    {
      workers: c.evaluate.workers,
      onStart: (plan, threads) =>
        progress(`evaluate (SIMULATED): ${policies.length} policies × ${failures.schedules} schedule(s) of ${failures.perSchedule} ${failures.type} failure(s) over ${plan.durationSec} simulated s (${trace.name} at compression ${c.replay.compression}), ${threads} thread(s)`),
    },
  );
  progress(`simulated in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const setup: EvaluateReportSetup = {
    trace: { name: trace.name, spanSec: trace.timesSec.at(-1)! - trace.timesSec[0]! },
    peakRateEps: c.replay.peakRateEps,
    peakPercentile: c.replay.peakPercentile,
    compression: c.replay.compression,
    failures,
    latencyTargetMs: input.policyOptions.latencyTargetMs,
    recoveryTargetS: input.policyOptions.recoveryTargetS,
    latencyWindowSec: input.latencyWindowSec ?? DEFAULT_LATENCY_WINDOW_SEC,
    initialIntervalMs: input.initialIntervalMs,
    models: 'the physical models of the simulated job itself (fluidControlModels of its parameters: exact, no profiling error), trusted over the candidate intervals',
    params: input.params,
    calibration: calibration && { id: calibration.id, version: calibration.version },
  };
  const json = `${JSON.stringify(evaluationJson(result), null, 2)}\n`;
  const timeline = { name: 'timeline.json', content: `${JSON.stringify(simulatedTimeline(result.representative.runs, setup.recoveryTargetS))}\n` };
  const markdownPath = writeReport(outDir, json, buildEvaluateReport(result, setup), [timeline]);
  if (f.json) {
    io.out(json);
    for (const l of verdictLines(judgeScenario(result.rows), result.rows)) progress(l);
    progress(`report (SIMULATED): ${markdownPath}`);
  } else {
    for (const l of summaryLines(result, setup.latencyWindowSec)) io.out(`${l}\n`);
    io.out(`report (SIMULATED): ${markdownPath}\n`);
  }
  return 0;
}
