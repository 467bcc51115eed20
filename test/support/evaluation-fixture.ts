import fs from 'node:fs';
import path from 'node:path';
import { judgeScenario } from '../../src/core/evaluation/verdict.js';

const row = (name: string, latencyViolationShare: number, recoveryViolations: number, total: number) => ({
  name, latencyViolationShare, recoveryViolations, violationSeconds: { latency: total / 2, recovery: total / 2, total },
  checkpointOverhead: 0.02, meanRecoveryS: 12, maxRecoveryS: 20, reconfigurations: name.startsWith('static') ? 0 : 4,
});

/**
 * Two `khaos evaluate` output directories under `dir`, in the shape the command writes them: a
 * simulated one (evaluate.json: policies and verdict) and a measured one (with its plan, runs and
 * sim-vs-real.json). Figures made up; the verdict judged by the real judgeScenario.
 */
export function writeEvaluationFixtures(dir: string): { sim: string; real: string } {
  const rows = [row('static:10s', 0.01, 3, 300), row('static:30s', 0.002, 6, 400), row('khaos+', 0.004, 2, 150), row('oracle', 0.001, 1, 80)];
  const sim = path.join(dir, 'eval-sim');
  const real = path.join(dir, 'eval-real');
  for (const d of [sim, real]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(sim, 'evaluate.json'), JSON.stringify({ policies: rows, verdict: judgeScenario(rows) }));
  const measured = rows.filter((r) => r.name !== 'oracle');
  fs.writeFileSync(path.join(real, 'evaluate.json'), JSON.stringify({ planId: 'plan-1', policies: measured, verdict: judgeScenario(measured), paired: [], runs: [] }));
  fs.writeFileSync(path.join(real, 'sim-vs-real.json'), JSON.stringify({ policies: [{ name: 'khaos+', realMedianRecoveryS: 12, simMedianRecoveryS: 10, recoveryGap: 0.1667, realLatencyShare: 0.004, simLatencyShare: 0.003, latencyShareGap: 0.25 }] }));
  return { sim, real };
}
