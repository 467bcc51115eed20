// SIMULATED check of khaos+'s forecast (issue 19 item 8, "khaos+ oscillates because its forecast
// is biased upward"): the job, targets and cadence of examples/evaluate-iot-original-scale.yaml on
//   flat — 15 000 ev/s with ±5 % seeded uniform noise per second, 30 000 s, no failure;
//   ramp — the same noise on 8 000 ev/s for 1 h, a 1 h ramp to 17 000 ev/s, 1 h there.
// For khaos+ (forecast on and off) and static:30s: interval changes, the loads the reasons cite,
// the latency-violation share; on the ramp, when the forecast first reaches 90 % of the peak.
//
//   npx tsx bench/forecast-bias.ts
//
// Pure JavaScript; every figure is SIMULATED (the fluid model of src/core/sim).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { evaluationFromConfig } from '../src/app/evaluate-sim.js';
import { resolveConfig, type ConfigInput } from '../src/config/schema.js';
import type { Policy } from '../src/core/control/policy.js';
import { createPolicy } from '../src/core/control/policies.js';
import { seededRandom } from '../src/core/random.js';
import { fluidControlModels } from '../src/core/sim/fluid-models.js';
import { simulate } from '../src/core/sim/simulate.js';
import { report } from './lib.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'evaluate-iot-original-scale.yaml');
const config = resolveConfig(YAML.parse(fs.readFileSync(example, 'utf8')) as ConfigInput);
const ev = evaluationFromConfig(config, []);
const models = fluidControlModels(ev.params, ev.modelOptions);

const noisy = (base: (s: number) => number, seconds: number, seed: number) => {
  const r = seededRandom(seed);
  return Array.from({ length: seconds }, (_, s) => base(s) * (1 + 0.1 * (r.next() - 0.5)));
};
const SCENARIOS = {
  flat: noisy(() => 15_000, 30_000, 1),
  ramp: noisy((s) => (s < 3600 ? 8000 : s < 7200 ? 8000 + (9000 * (s - 3600)) / 3600 : 17_000), 3 * 3600, 1),
};
const PEAK_RAMP_START = 3600;

function run(rates: number[], name: string, useForecast: boolean) {
  const forecasts: { atS: number; eps: number }[] = [];
  const inner = createPolicy(name, { ...ev.policyOptions, useForecast });
  // Records the forecast the policy reads at each evaluation (not at waits: it is read lazily).
  const policy: Policy = {
    name,
    decide(obs, state, ctx) {
      const out = inner.decide(obs, state, ctx);
      if (out.decision.action !== 'wait' && obs.forecastEps !== undefined) forecasts.push({ atS: obs.atMs / 1000, eps: Math.round(obs.forecastEps) });
      return out;
    },
  };
  const r = simulate({
    ratesEps: rates, policy, policyOptions: { ...ev.policyOptions, useForecast }, actuator: 'paced', initialIntervalMs: ev.initialIntervalMs,
    params: ev.params, models, control: ev.control, qos: { latencyWindowSec: ev.latencyWindowSec },
  });
  const cited = [...new Set(r.changes.flatMap((c) => [...c.reason.matchAll(/at (\d+) ev\/s \(forecast/g)].map((m) => Number(m[1]))))];
  return {
    changes: r.changes.length,
    intervalsS: r.changes.map((c) => c.toMs / 1000),
    forecastLoadsCited: cited.slice(0, 6),
    latencyViolationShare: r.qos.latencyViolationShare,
    forecasts,
  };
}

const results: Record<string, unknown> = {};
for (const [scenario, rates] of Object.entries(SCENARIOS)) {
  for (const [label, name, fc] of [['khaos+', 'khaos+', true], ['khaos+ forecast off', 'khaos+', false], ['static:30s', 'static:30000', false]] as const) {
    const r = run(rates, name, fc);
    const first90 = scenario === 'ramp' && fc ? r.forecasts.find((f) => f.atS > PEAK_RAMP_START && f.eps >= 0.9 * 17_000) : undefined;
    const maxFlat = scenario === 'flat' && fc ? Math.max(...r.forecasts.map((f) => f.eps)) : undefined;
    results[`${scenario} ${label}`] = {
      changes: r.changes, intervalsS: r.intervalsS.slice(0, 20), forecastLoadsCited: r.forecastLoadsCited, latencyViolationShare: +r.latencyViolationShare.toFixed(5),
      ...(maxFlat !== undefined ? { highestForecastEps: maxFlat } : {}),
      ...(scenario === 'ramp' && fc ? { forecastReaches90PctOfPeakAtS: first90?.atS ?? null, peakReachedAtS: 7200, forecastsDuringRamp: r.forecasts.filter((f) => f.atS > 3600 && f.atS <= 7500).map((f) => `${f.atS}:${f.eps}`) } : {}),
    };
  }
}
report('forecast-bias', { example: 'examples/evaluate-iot-original-scale.yaml', noise: '±5 % uniform, seed 1', simulated: true }, results);
