// The target rule of the headline scenario (examples/evaluate.yaml, issue 19), computed: the fluid
// model's steady-state p99 from committed output (fluidLatencyMs) and its recovery from a kill
// just before a checkpoint completes (fluidRecoverySec, φ = 1) for each static interval of the
// config at loads of 30-95 % of capacity, and the targets the rule gives: the middle static
// interval at RULE_LOAD of capacity. Checks that the config's control targets are those, rounded.
//
//   npx tsx bench/evaluate-targets.ts [--config examples/evaluate.yaml]
//
// SIMULATED: the fluid model of src/core/sim, not a measurement. No Flink, no Kafka, ~1 s.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { resolveConfig, type ConfigInput } from '../src/config/schema.js';
import { downtimeSec } from '../src/core/sim/fluid.js';
import { fluidLatencyMs, fluidRecoverySec } from '../src/core/sim/models.js';

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
console.log(`p99 latency from committed output, s | recovery from a kill at φ = 1, s; columns: the static intervals ${statics.map((s) => `${s / 1000} s`).join(', ')}`);
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
