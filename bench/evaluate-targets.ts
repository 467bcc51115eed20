// The target rule of the headline scenario (examples/evaluate.yaml, issue 19), computed: the fluid
// model's steady-state p99 (fluidLatencyMs: its latency parameters say which latency, see the config) and its recovery from a kill
// just before a checkpoint completes (fluidRecoverySec, φ = 1) for each static interval of the
// config at loads of 30-95 % of capacity, and the targets the rule gives: the middle static
// interval at RULE_LOAD of capacity. Checks that the config's control targets are those, rounded.
//
//   npx tsx bench/evaluate-targets.ts [--config examples/evaluate.yaml]
//
// Then, per trace of ../shared/workloads scaled as the config scales it, the share of simulated
// seconds above 70-88 % of capacity: where the targets bind (the rule's check).
//
// SIMULATED: the fluid model of src/core/sim, not a measurement. No Flink, no Kafka, a few s.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { loadTrace } from '../src/compose.js';
import { resolveConfig, type ConfigInput } from '../src/config/schema.js';
import { simulationRates } from '../src/core/sim/sim-evaluation.js';
import { downtimeSec } from '../src/core/sim/fluid-params.js';
import { fluidLatencyMs, fluidRecoverySec } from '../src/core/sim/fluid-models.js';

/** The rule's load: the peak a job is provisioned for, with ~15 % headroom. */
const RULE_LOAD = 0.85;
const LOADS = [0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { config: { type: 'string', default: path.join(root, 'examples', 'evaluate.yaml') } }, strict: true });
const c = resolveConfig(YAML.parse(fs.readFileSync(flags.config!, 'utf8')) as ConfigInput);
const p = c.evaluate.params;
const statics = c.evaluate.evaluated.flatMap((x) => (x.staticMs === undefined ? [] : [x.staticMs])).sort((a, b) => a - b);
if (statics.length % 2 === 0) throw new Error(`the rule needs an odd number of static intervals to have a middle one; the config lists ${statics.length}`);
const middle = statics[(statics.length - 1) / 2]!;

const state = (eps: number) => p.state.baseBytes + p.state.bytesPerEvent * eps * p.state.windowSec;
const latencyS = (eps: number, ci: number) => fluidLatencyMs(p, eps, ci) / 1000;
const recoveryS = (eps: number, ci: number) => fluidRecoverySec(p, downtimeSec(p, c.evaluate.failure, state(eps)), 1, eps, ci);
const show = (x: number) => (x >= 86_400 ? 'never' : x.toFixed(1));

console.log(`SIMULATED: the fluid model of ${path.relative(process.cwd(), flags.config!)} (capacity ${p.capacityEps} ev/s)`);
console.log(`steady-state p99 latency (the config's latency parameters), s | recovery from a kill at φ = 1, s; columns: the static intervals ${statics.map((s) => `${s / 1000} s`).join(', ')}`);
for (const load of LOADS) {
  const eps = load * p.capacityEps;
  console.log(`${String(Math.round(load * 100)).padStart(3)} % | ${statics.map((s) => show(latencyS(eps, s)).padStart(6)).join(' ')} | ${statics.map((s) => show(recoveryS(eps, s)).padStart(6)).join(' ')}`);
}
const eps = RULE_LOAD * p.capacityEps;
const rule = { latencyTargetMs: Math.round(latencyS(eps, middle) * 10) * 100, recoveryTargetS: Math.round(recoveryS(eps, middle)) };
console.log(`rule: the middle static (${middle / 1000} s) at ${RULE_LOAD * 100} % of capacity: latency ${rule.latencyTargetMs} ms, recovery ${rule.recoveryTargetS} s`);
const o = c.control.options;
const same = o.latencyTargetMs === rule.latencyTargetMs && o.recoveryTargetS === rule.recoveryTargetS;
console.log(`config: latencyTarget ${o.latencyTargetMs} ms, recoveryTarget ${o.recoveryTargetS} s: ${same ? 'as the rule gives' : 'NOT as the rule gives'}`);
if (!same) process.exitCode = 1;

const TRACES = ['nyc_taxi.csv', 'Twitter_volume_AAPL.csv', 'elb_request_count_8c0756.csv', 'wiki_en_5min.csv'];
const LEVELS = [0.7, 0.8, 0.85, 0.9, 0.95, 1];
console.log(`share of simulated seconds above ${LEVELS.map((l) => `${Math.round(l * 100)} %`).join(' / ')} of capacity (maximum at ${c.replay.peakRateEps} ev/s, compression ${c.replay.compression}):`);
for (const t of TRACES) {
  const rates = simulationRates(loadTrace(t), c.replay);
  const share = (l: number) => `${((100 * rates.filter((r) => r > l * p.capacityEps).length) / rates.length).toFixed(2)} %`;
  console.log(`  ${t}: ${LEVELS.map(share).join(' / ')}`);
}
