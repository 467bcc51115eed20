// Where a policy's violating seconds come from, on one failure schedule of a simulated evaluation
// (SIMULATED: the fluid model of src/core/sim, not Flink): for each policy, its violation seconds,
// how many of its latency-violating seconds fell while the job was down, while it caught up (lag
// over 2 s of input) and in the steady state (by the interval in force then), and its recoveries
// (failure second @ input rate: recovery s). With --why P, the changes of policy P that the most
// steady-state violating seconds followed, with their reasons.
//
//   npx tsx bench/violation-causes.ts --config examples/evaluate.yaml --trace wiki_en_5min.csv \
//     --policies khaos+,static:1s,static:2s [--schedule 0] [--why khaos+ [--decisions 18900-19300]]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { evaluationFromConfig } from '../src/app/evaluate-sim.js';
import { loadTrace } from '../src/compose.js';
import { resolveConfig, resolvePolicyList, type ConfigInput } from '../src/config/schema.js';
import { planEvaluation, simulationRates } from '../src/core/sim/sim-evaluation.js';
import { FLUID_PHASES } from '../src/core/sim/fluid-state.js';
import { fluidControlModels } from '../src/core/sim/fluid-models.js';
import { simulate, type SimulationResult } from '../src/core/sim/simulate.js';
import type { Decision } from '../src/core/control/policy.js';

const { values: f } = parseArgs({ options: { config: { type: 'string' }, trace: { type: 'string' }, policies: { type: 'string' }, schedule: { type: 'string', default: '0' }, why: { type: 'string' }, decisions: { type: 'string' } }, strict: true });
if (!f.config || !f.trace || !f.policies) throw new Error('usage: --config <yaml> --trace <csv> --policies <list> [--schedule N] [--why <policy>] [--decisions FROM-TO]');
const raw = YAML.parse(fs.readFileSync(f.config, 'utf8')) as ConfigInput;
const c = resolveConfig({ ...raw, replay: { ...raw.replay, trace: f.trace } });
const rates = simulationRates(loadTrace(f.trace), c.replay);
const input = evaluationFromConfig(c, rates, { oracle: false });
const schedule = planEvaluation(input).schedules[Number(f.schedule)]!;
const models = fluidControlModels(input.params, input.modelOptions);
const L = input.policyOptions.latencyTargetMs;

const window = f.decisions?.split('-').map(Number);
const run = (name: string, trace = false): SimulationResult => {
  const p = resolvePolicyList([name], '--policies')[0]!;
  return simulate({
    ratesEps: rates, failures: schedule, params: input.params, control: input.control, policyOptions: input.policyOptions, models,
    ...(p.staticMs !== undefined ? { actuator: 'paced' as const, initialIntervalMs: p.staticMs } : { policy: p.policy, actuator: p.actuator!, initialIntervalMs: input.initialIntervalMs }),
    ...(trace && window ? { onDecision: (s: number, d: Decision) => s >= window[0]! && s <= window[1]! && console.log(`    ${s} s  ${Math.round(rates[s - 1]!)} ev/s  ${d.action}  ${d.reason}`) } : {}),
    qos: { latencyTargetMs: L, recoveryTargetS: input.policyOptions.recoveryTargetS, latencyWindowSec: input.latencyWindowSec },
  });
};
/** Per second: 'down', 'catch-up' or 'steady' when over the latency target, undefined when within it. */
const cause = (r: SimulationResult, s: number): 'down' | 'catch-up' | 'steady' | undefined => {
  const phase = FLUID_PHASES[r.series.phase[s]!];
  if (phase !== 'running' && phase !== 'failed') return 'down';
  if (!(r.series.latencyMs[s]! > L)) return undefined;
  return r.series.backlog[s]! > 2 * rates[s]! ? 'catch-up' : 'steady';
};

console.log(`SIMULATED: ${f.trace}, schedule ${f.schedule}, latency target ${L} ms, recovery target ${input.policyOptions.recoveryTargetS} s`);
for (const name of f.policies.split(',')) {
  const r = run(name);
  const n = { down: 0, 'catch-up': 0, steady: 0 };
  const steadyByInterval: Record<string, number> = {};
  for (let s = 0; s < rates.length; s++) {
    const k = cause(r, s);
    if (k) n[k]++;
    if (k === 'steady') steadyByInterval[`${r.series.intervalMs[s]! / 1000} s`] = (steadyByInterval[`${r.series.intervalMs[s]! / 1000} s`] ?? 0) + 1;
  }
  const recoveries = r.failures.map((x) => `${Math.floor(x.atSec)}@${Math.round(rates[Math.floor(x.atSec)]!)}:${x.recoverySec === null ? 'none' : x.recoverySec.toFixed(0)}`);
  console.log(`${name}: violation s ${JSON.stringify(r.qos.violationSeconds)}, recovery violations ${r.qos.recoveryViolations}, changes ${r.changes.length}; latency-violating s: down ${n.down}, catch-up ${n['catch-up']}, steady ${n.steady} ${JSON.stringify(steadyByInterval)}; recoveries ${recoveries.join(' ')}`);
}
if (f.why) {
  const r = run(f.why, true);
  const after = new Map<number, number>();
  let k = -1;
  for (let s = 0; s < rates.length; s++) {
    while (k + 1 < r.changes.length && r.changes[k + 1]!.atSec <= s) k++;
    if (cause(r, s) === 'steady') after.set(k, (after.get(k) ?? 0) + 1);
  }
  for (const [i, count] of [...after.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    const ch = r.changes[i];
    console.log(`  ${count} steady violating s after ${ch ? `the change at ${ch.atSec} s, ${ch.fromMs / 1000} s → ${ch.toMs / 1000} s: ${ch.reason}` : 'no change yet'}`);
  }
}
