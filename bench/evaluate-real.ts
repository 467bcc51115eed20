// MEASURED policy comparison on the local stack (issue 8, the real half): runs
//   npx khaos evaluate --config examples/evaluate-iot.yaml --out <dir>
// (or reads an earlier run's <dir> with --from <dir>) and checks the quality goal on it:
//   khaos+ has no more recovery violations than the best static interval in hindsight,
//   less time above the latency target than the median static interval,
//   and fewer total violations (time) than khaos;
// and the simulator's gap to the measurement (sim-vs-real.json of the run), against 15 %.
//
//   npx tsx bench/evaluate-real.ts [--config F] [--from DIR] [--calibration ID]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configFrom } from '../src/cli/common.js';
import type { RealEvaluationRow } from '../src/core/evaluation/real-qos.js';
import type { GapRow } from '../src/core/sim/real-gap.js';
import type { RealRunRecord } from '../src/core/evaluation/real-run.js';
import { median } from '../src/core/stats.js';
import { GAP_TOLERANCE } from '../src/report/real-evaluate-report.js';
import { report } from './lib.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { config: { type: 'string', default: 'examples/evaluate-iot.yaml' }, from: { type: 'string' }, calibration: { type: 'string' } }, strict: true });
const dir = path.resolve(flags.from ?? path.join(root, '.khaos', 'bench-evaluate-real'));
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && r.status !== 1) throw new Error(`khaos ${args.join(' ')} exited with ${r.status}`);
};
const calibration = flags.calibration ? ['--calibration', flags.calibration] : [];
const started = performance.now();
if (!flags.from) cli(['evaluate', '--config', flags.config, '--out', dir, ...calibration]);
else if (flags.calibration) cli(['evaluate', '--config', flags.config, '--from-runs', dir, '--out', dir, ...calibration]);

const read = <T>(f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as T;
// Per policy the medians over its repeats; per run its own row (name, run k).
const json = read<{ policies: RealEvaluationRow[]; runs: (RealEvaluationRow & { run: number })[] }>('evaluate.json');
const rows = json.policies;
const runs = read<RealRunRecord[]>('runs.json');
const gaps = read<{ simulatorParameters: string; policies: GapRow[] }>('sim-vs-real.json');
const targets = configFrom({ config: path.resolve(root, flags.config) }).control.options;
const recoveryTarget = targets.recoveryTargetS;
const latencyTarget = targets.latencyTargetMs;

/** One run's time over the latency target (share × scored span, from the end of the warm-up) plus recovery beyond the target (to the run's end when unrecovered), s. */
function runViolationSeconds(row: RealEvaluationRow & { run: number }): number {
  const r = runs.find((x) => x.policy === row.name && (x.run ?? 1) === row.run)!;
  const endMs = r.samples.at(-1)!.tMs;
  const late = r.failures.reduce((s, f) => s + Math.max(0, (f.recoverySec ?? (endMs - f.injectedAtMs) / 1000) - recoveryTarget), 0);
  return row.latencyViolationShare * ((endMs - r.replayStartMs) / 1000 - (r.warmupSec ?? 0)) + late;
}

/** The median over a policy's runs of their violation time, s. */
const violationSeconds = (i: number) => median(json.runs.filter((x) => x.name === rows[i]!.name).map(runViolationSeconds));

const index = (n: string) => rows.findIndex((x) => x.name === n);
const statics = rows.flatMap((x, i) => (x.name.startsWith('static:') ? [i] : []));
const kp = index('khaos+');
const kh = index('khaos');
if (kp < 0 || kh < 0 || statics.length === 0) throw new Error('the evaluation must hold khaos+, khaos and static intervals');
const best = [...statics].sort((a, b) => rows[a]!.recoveryViolations - rows[b]!.recoveryViolations || rows[a]!.latencyViolationShare - rows[b]!.latencyViolationShare)[0]!;
const medianStaticLatency = median(statics.map((i) => rows[i]!.latencyViolationShare));
const goal = {
  recoveryViolationsVsBestStatic: { bestStatic: rows[best]!.name, khaosPlus: rows[kp]!.recoveryViolations, static: rows[best]!.recoveryViolations, met: rows[kp]!.recoveryViolations <= rows[best]!.recoveryViolations },
  latencyViolationShareVsMedianStatic: { khaosPlus: rows[kp]!.latencyViolationShare, medianStatic: medianStaticLatency, met: rows[kp]!.latencyViolationShare < medianStaticLatency },
  totalViolationSecondsVsKhaos: { khaosPlus: violationSeconds(kp), khaos: violationSeconds(kh), met: violationSeconds(kp) < violationSeconds(kh) },
};
const gap = {
  simulatorParameters: gaps.simulatorParameters,
  tolerance: GAP_TOLERANCE,
  medianRecoveryWithin: gaps.policies.filter((g) => g.recoveryGap !== null && g.recoveryGap <= GAP_TOLERANCE).map((g) => g.name),
  latencyShareWithin: gaps.policies.filter((g) => g.latencyShareGap !== null && g.latencyShareGap <= GAP_TOLERANCE).map((g) => g.name),
  policies: gaps.policies,
};

console.log(`MEASURED on the local stack (${dir}); targets: p99 ${latencyTarget} ms, recovery ${recoveryTarget} s`);
rows.forEach((r, i) => console.log(`${r.name.padEnd(15)} latency ${(r.latencyViolationShare * 100).toFixed(2).padStart(6)} %  recovery violations ${r.recoveryViolations}/${r.failures}  mean recovery ${r.meanRecoveryS?.toFixed(1) ?? '—'} s  violation time ${violationSeconds(i).toFixed(0)} s  changes ${r.reconfigurations}  lost ${r.lost} duplicated ${r.duplicated}`));
console.log(`goal: recovery violations ≤ best static (${goal.recoveryViolationsVsBestStatic.bestStatic}): ${goal.recoveryViolationsVsBestStatic.met}; latency < median static: ${goal.latencyViolationShareVsMedianStatic.met}; violation time < khaos: ${goal.totalViolationSecondsVsKhaos.met}`);
console.log(`sim vs real within ${GAP_TOLERANCE * 100} %: median recovery for ${gap.medianRecoveryWithin.join(', ') || 'none'}; latency share for ${gap.latencyShareWithin.join(', ') || 'none'}`);

report(
  'evaluate-real',
  {
    MEASURED: 'real Flink and Kafka processes of the local stack, one replica at a time; the gap columns are the simulator (SIMULATED) against them',
    command: `npx tsx bench/evaluate-real.ts ${process.argv.slice(2).join(' ')}`.trim(),
    config: flags.config,
    outDir: path.relative(root, dir),
    totalViolationSeconds: 'per run, seconds over the latency target (share × span from the end of the warm-up) + seconds of recovery beyond the recovery target (to the run end when unrecovered); the median over each policy\'s runs',
    bestStaticInHindsight: 'the static interval with the fewest recovery violations, ties broken by the lower latency-violation share',
    wallS: (performance.now() - started) / 1000,
  },
  { policies: rows, goal, gap },
);
