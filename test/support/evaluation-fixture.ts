import fs from 'node:fs';
import path from 'node:path';
import { judgeScenario } from '../../src/core/evaluation/verdict.js';
import { measuredTimeline, simulatedTimeline } from '../../src/core/evaluation/timeline.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';

/** An hour at one interval a second, `khaos+` stepping 30 s → 10 s → 20 s, the oracle 25 s → 12 s; two failures (the second one not recovered by static:30s). */
const simRuns = (names: string[]) =>
  names.map((name) => ({
    name,
    intervalMs: Array.from({ length: 3600 }, (_, s) => (name === 'static:10s' ? 10_000 : name === 'static:30s' ? 30_000 : name === 'oracle' ? (s < 800 ? 25_000 : 12_000) : s < 1200 ? 30_000 : s < 2400 ? 10_000 : 20_000)),
    failures: [{ atSec: 900, recoverySec: name === 'static:30s' ? 31 : 14 }, { atSec: 2700, recoverySec: name === 'static:30s' ? null : 12 }],
  }));

/** A measured run of `policy`: 10 min of replay, one kill at +300 s recovered in `recoverySec`. */
const realRun = (policy: string, intervals: [number, number][], recoverySec: number | null): RealRunRecord => {
  const t0 = 1_700_000_000_000;
  return {
    policy, job: 'iot', replica: 'iot-1', mode: 'sequential', replayStartMs: t0, replayEndMs: t0 + 600_000, scheduleEps: [],
    samples: [{ tMs: t0, state: 'RUNNING' }, { tMs: t0 + 600_000, state: 'RUNNING' }],
    intervals: intervals.map(([s, ms]) => ({ atMs: t0 + s * 1000, intervalMs: ms })),
    failures: [{ injectedAtMs: t0 + 300_000, type: 'kill', taskManagerId: 'tm-1', recoverySec, detectionSec: 2, restartSec: 3, catchupSec: recoverySec === null ? null : recoverySec - 5 }],
    checkpoints: [], checkpointsCompleted: 0, changes: [], lost: 0, duplicated: 0,
  };
};

const row = (name: string, latencyViolationShare: number, recoveryViolations: number, total: number) => ({
  name, latencyViolationShare, recoveryViolations, violationSeconds: { latency: total / 2, recovery: total / 2, total },
  checkpointOverhead: 0.02, meanRecoveryS: 12, maxRecoveryS: 20, reconfigurations: name.startsWith('static') ? 0 : 4,
});

/**
 * Two `khaos evaluate` output directories under `dir`, in the shape the command writes them: a
 * simulated one (evaluate.json: policies and verdict) and a measured one (with its plan, runs and
 * sim-vs-real.json), each with its timeline.json (by src/core/evaluation/timeline.ts). Figures
 * made up; the verdict judged by the real judgeScenario.
 */
export function writeEvaluationFixtures(dir: string): { sim: string; real: string } {
  const rows = [row('static:10s', 0.01, 3, 300), row('static:30s', 0.002, 6, 400), row('khaos+', 0.004, 2, 150), row('oracle', 0.001, 1, 80)];
  const sim = path.join(dir, 'eval-sim');
  const real = path.join(dir, 'eval-real');
  for (const d of [sim, real]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(sim, 'evaluate.json'), JSON.stringify({ policies: rows, verdict: judgeScenario(rows) }));
  const measured = rows.filter((r) => r.name !== 'oracle');
  fs.writeFileSync(path.join(real, 'evaluate.json'), JSON.stringify({ planId: 'plan-1', policies: measured, verdict: judgeScenario(measured), paired: [], runs: [] }));
  fs.writeFileSync(path.join(sim, 'timeline.json'), JSON.stringify(simulatedTimeline(simRuns(rows.map((r) => r.name)), 20)));
  const records = [realRun('static:10s', [[0, 10_000]], 12), realRun('static:30s', [[0, 30_000]], 25), realRun('khaos+', [[0, 30_000], [120, 15_000], [420, 20_000]], 11)];
  fs.writeFileSync(path.join(real, 'timeline.json'), JSON.stringify(measuredTimeline(records, 1, 20)));
  fs.writeFileSync(path.join(real, 'sim-vs-real.json'), JSON.stringify({ policies: [{ name: 'khaos+', realMedianRecoveryS: 12, simMedianRecoveryS: 10, recoveryGap: 0.1667, realLatencyShare: 0.004, simLatencyShare: 0.003, latencyShareGap: 0.25 }] }));
  return { sim, real };
}
