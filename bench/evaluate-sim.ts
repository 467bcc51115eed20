// SIMULATED policy comparison on every trace of ../shared/workloads (issue 8, the simulation half):
// the scenario of examples/evaluate-iot-original-scale.yaml (job, targets, cadence, policies) on each trace in
// turn, 20 seeded failure schedules each, and the three quality comparisons with spreads:
//   khaos+ vs the best static interval in hindsight, on recovery violations;
//   khaos+ vs the median static interval, on the latency-violation share;
//   khaos+ vs khaos, on total violation time.
//
//   npx tsx bench/evaluate-sim.ts [--schedules N] [--workers N]
//
// Pure JavaScript (no Flink, no Kafka). Every figure is SIMULATED: the fluid model of
// src/core/sim, not a measurement.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { evaluationFromConfig, runEvaluation } from '../src/app/evaluate-sim.js';
import { loadTrace } from '../src/compose.js';
import { resolveConfig, type ConfigInput } from '../src/config/schema.js';
import type { EvaluationResult } from '../src/core/sim/sim-evaluation.js';
import { simulationRates } from '../src/core/sim/sim-evaluation.js';
import { median, quantile } from '../src/core/stats.js';
import { report } from './lib.js';

const TRACES = ['nyc_taxi.csv', 'Twitter_volume_AAPL.csv', 'elb_request_count_8c0756.csv', 'wiki_en_5min.csv'];
/** Each trace is scaled so that its 99th percentile is this share of the simulated job's capacity: its usual peaks, as in the example. */
const P99_LOAD = 0.85;
const FAILURES_PER_SCHEDULE = 6;

const { values: flags } = parseArgs({ options: { schedules: { type: 'string', default: '20' }, workers: { type: 'string', default: '0' } }, strict: true });
const schedules = Number(flags.schedules);
const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'evaluate-iot-original-scale.yaml');
const base = YAML.parse(fs.readFileSync(example, 'utf8')) as ConfigInput;

/** Median and p10/p90 of per-schedule values. */
const spread = (xs: number[]) => ({ median: median(xs), p10: quantile(xs, 0.1), p90: quantile(xs, 0.9) });
const fmt = (s: { median: number; p10: number; p90: number }, f: (v: number) => string) => `${f(s.median)} [${f(s.p10)}, ${f(s.p90)}]`;
const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
const n1 = (v: number) => v.toFixed(1);

/** Total violation seconds per schedule: over the latency target or of a recovery beyond its target, each second once (evaluation/violations.ts; a late recovery's seconds were counted twice before). */
function violationSeconds(r: EvaluationResult, i: number): number[] {
  return r.runs[i]!.qos.map((q) => q.violationSeconds.total);
}

const results: Record<string, unknown>[] = [];
const started = performance.now();
console.log('SIMULATED policy evaluation on every trace (fluid model, not Flink)');
for (const name of TRACES) {
  const trace = loadTrace(name);
  const capacity = (base.evaluate?.sim as { capacityEps?: number } | undefined)?.capacityEps ?? 12_000;
  const peakRateEps = Math.round(P99_LOAD * capacity);
  const c = resolveConfig({ ...base, replay: { ...base.replay, trace: name, peakRateEps, peakPercentile: 99 }, evaluate: { ...base.evaluate, failuresPerSchedule: FAILURES_PER_SCHEDULE } });
  const input = evaluationFromConfig(c, simulationRates(trace, c.replay), { schedules });
  const t0 = performance.now();
  const r = await runEvaluation(input, { workers: Number(flags.workers) });
  const wallS = (performance.now() - t0) / 1000;
  const index = (n: string) => r.rows.findIndex((x) => x.name === n);
  const statics = r.rows.flatMap((x, i) => (x.name.startsWith('static:') ? [i] : []));
  const kp = index('khaos+');
  const qos = (i: number) => r.runs[i]!.qos;
  // Best static in hindsight on recovery violations: fewest (median), then lowest latency share.
  const best = [...statics].sort((a, b) => r.rows[a]!.recoveryViolations - r.rows[b]!.recoveryViolations || r.rows[a]!.latencyViolationShare - r.rows[b]!.latencyViolationShare)[0]!;
  const medianStaticLatency = qos(kp).map((_, k) => median(statics.map((i) => qos(i)[k]!.latencyViolationShare)));
  const kpViolation = violationSeconds(r, kp);
  const khViolation = violationSeconds(r, index('khaos'));
  const comparisons = {
    recoveryViolationsVsBestStatic: {
      bestStatic: r.rows[best]!.name,
      khaosPlus: spread(qos(kp).map((q) => q.recoveryViolations)),
      static: spread(qos(best).map((q) => q.recoveryViolations)),
      difference: spread(qos(kp).map((q, k) => q.recoveryViolations - qos(best)[k]!.recoveryViolations)),
    },
    latencyViolationShareVsMedianStatic: {
      khaosPlus: spread(qos(kp).map((q) => q.latencyViolationShare)),
      medianStatic: spread(medianStaticLatency),
      difference: spread(qos(kp).map((q, k) => q.latencyViolationShare - medianStaticLatency[k]!)),
    },
    totalViolationSecondsVsKhaos: {
      khaosPlus: spread(kpViolation),
      khaos: spread(khViolation),
      difference: spread(kpViolation.map((v, k) => v - khViolation[k]!)),
    },
  };
  console.log(`\n== ${name}: ${r.durationSec} simulated s at compression ${c.replay.compression}, peak ${peakRateEps} ev/s (p99 at ${P99_LOAD * 100} % of capacity ${capacity}), ${schedules} schedules × ${FAILURES_PER_SCHEDULE} kills; ${wallS.toFixed(1)} s`);
  console.log(`${'policy'.padEnd(15)} ${'latency viol. [p10, p90]'.padEnd(30)} ${'recovery viol.'.padEnd(22)} ${'violation s'.padEnd(28)} reconfigs`);
  r.rows.forEach((x, i) => {
    const q = qos(i);
    console.log(`${x.name.padEnd(15)} ${fmt(spread(q.map((v) => v.latencyViolationShare)), pct).padEnd(30)} ${fmt(spread(q.map((v) => v.recoveryViolations)), n1).padEnd(22)} ${fmt(spread(violationSeconds(r, i)), (v) => v.toFixed(0)).padEnd(28)} ${x.reconfigurations}`);
  });
  const cr = comparisons.recoveryViolationsVsBestStatic;
  const cl = comparisons.latencyViolationShareVsMedianStatic;
  const ct = comparisons.totalViolationSecondsVsKhaos;
  console.log(`khaos+ vs best static in hindsight (${cr.bestStatic}) on recovery violations: ${fmt(cr.khaosPlus, n1)} vs ${fmt(cr.static, n1)}; paired difference ${fmt(cr.difference, n1)}`);
  console.log(`khaos+ vs the median static on latency-violation share: ${fmt(cl.khaosPlus, pct)} vs ${fmt(cl.medianStatic, pct)}; paired difference ${fmt(cl.difference, pct)}`);
  console.log(`khaos+ vs khaos on total violation time (s): ${fmt(ct.khaosPlus, (v) => v.toFixed(0))} vs ${fmt(ct.khaos, (v) => v.toFixed(0))}; paired difference ${fmt(ct.difference, (v) => v.toFixed(0))}`);
  results.push({ trace: name, simulatedSec: r.durationSec, compression: c.replay.compression, peakRateEps, wallS, policies: r.rows, comparisons });
}

report(
  'evaluate-sim',
  {
    SIMULATED: 'every figure comes from the fluid simulator (src/core/sim), not from Flink',
    command: `npx tsx bench/evaluate-sim.ts ${process.argv.slice(2).join(' ')}`.trim(),
    scenario: 'examples/evaluate-iot-original-scale.yaml with replay.trace and replay.peakRateEps per trace',
    peakRule: `each trace scaled so that its 99th percentile is ${P99_LOAD * 100} % of the simulated capacity`,
    schedules,
    failuresPerSchedule: FAILURES_PER_SCHEDULE,
    totalViolationSeconds: 'seconds over the latency target or of a recovery beyond the recovery target (to the end of the trace when unrecovered), each second once (violationSeconds.total)',
    bestStaticInHindsight: 'the static interval with the fewest median recovery violations, ties broken by the lower latency-violation share',
    medianStatic: 'per schedule, the median latency-violation share over the static intervals',
    wallS: (performance.now() - started) / 1000,
  },
  { simulated: true, traces: results },
);
